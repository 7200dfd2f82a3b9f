#include "tests/bench/kube_scale_state.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <string>
#include <utility>

namespace meshgate::bench {
namespace {

constexpr int kNamespaces = 100;
constexpr int kMaxPerSlice = 100;  // the EndpointSlice controller's default
constexpr int kRuleEvery = 10;     // one service in 10 has a DestinationRule
constexpr int kOrphanEvery = 10;   // one WorkloadEntry in 10 matches no service
constexpr uint16_t kHttpTarget = 8080;
constexpr uint16_t kGrpcTarget = 9091;

// "10.a.b.c" style address from an index, unique below 2^24.
std::string ip(int first_octet, int index) {
  const auto u = static_cast<unsigned>(index);
  return std::to_string(first_octet) + "." + std::to_string((u >> 16) & 0xffU) + "." +
         std::to_string((u >> 8) & 0xffU) + "." + std::to_string(u & 0xffU);
}

std::string ns_name(int index) {
  return "ns-" + std::to_string(index % kNamespaces);
}
std::string svc_name(int index) {
  return "svc-" + std::to_string(index);
}

kube::ObjectMeta meta(std::string name, std::string ns) {
  kube::ObjectMeta m;
  m.name = std::move(name);
  m.ns = std::move(ns);
  m.resource_version = "1000";
  return m;
}

void add_namespaces(kube::ClusterState& state) {
  for (int i = 0; i < kNamespaces; ++i) {
    kube::Namespace n{meta(ns_name(i), "")};
    n.meta.labels[discovery::kNetworkLabel] = "network1";
    state.namespaces.emplace(n.meta.name, std::move(n));
  }
}

void add_service(kube::ClusterState& state, int index) {
  kube::Service svc;
  svc.meta = meta(svc_name(index), ns_name(index));
  svc.cluster_ip = ip(100, index);
  svc.ports.push_back({"http", "TCP", 80, kHttpTarget, ""});
  svc.ports.push_back({"grpc", "TCP", 9090, 0, "grpc-port"});  // named targetPort
  svc.selector["app"] = svc.meta.name;
  state.services.emplace(svc.meta.ns + "/" + svc.meta.name, std::move(svc));
}

void add_pod(kube::ClusterState& state, const std::string& svc, const std::string& ns, int ordinal,
             const std::string& address) {
  kube::Pod pod;
  pod.meta = meta(svc + "-" + std::to_string(ordinal), ns);
  pod.pod_ips = {address};
  pod.phase = "Running";
  pod.meta.labels["app"] = svc;
  pod.meta.labels["version"] = ordinal % 2 == 0 ? "v1" : "v2";
  pod.meta.labels[discovery::kTlsModeLabel] = "istio";
  pod.meta.labels[discovery::kNetworkLabel] = "network1";
  state.pods.emplace(ns + "/" + pod.meta.name, std::move(pod));
}

// The service's endpoints, cut into slices of at most kMaxPerSlice, with
// their pods. `next_ip` numbers pod addresses across the cluster.
void add_slices(kube::ClusterState& state, int index, int endpoints, int& next_ip) {
  const std::string svc = svc_name(index);
  const std::string ns = ns_name(index);
  for (int first = 0, n = 0; first < endpoints; first += kMaxPerSlice, ++n) {
    kube::EndpointSlice slice{meta(svc + "-" + std::to_string(n), ns), "IPv4", {}, {}};
    slice.meta.labels["kubernetes.io/service-name"] = svc;
    slice.meta.labels["endpointslice.kubernetes.io/managed-by"] = "endpointslice-controller.k8s.io";
    slice.ports = {{"http", "TCP", kHttpTarget}, {"grpc", "TCP", kGrpcTarget}};
    for (int i = first; i < std::min(endpoints, first + kMaxPerSlice); ++i) {
      const std::string address = ip(10, next_ip++);
      slice.endpoints.push_back(
          kube::SliceEndpoint{{address},
                              {true, true, false},
                              kube::ObjectReference{"Pod", svc + "-" + std::to_string(i), ns}});
      add_pod(state, svc, ns, i, address);
    }
    state.endpoint_slices.emplace(ns + "/" + slice.meta.name, std::move(slice));
  }
}

// Half the rules use the short host, half the full one.
void add_destination_rule(kube::ClusterState& state, int index) {
  kube::DestinationRule rule;
  rule.meta = meta(svc_name(index) + "-dr", ns_name(index));
  rule.host = index % 2 == 0 ? svc_name(index)
                             : svc_name(index) + "." + ns_name(index) + ".svc.cluster.local";
  rule.subsets.push_back({"v1", {{"version", "v1"}}, {}});
  rule.subsets.push_back({"v2", {{"version", "v2"}}, {}});
  state.destination_rules.emplace(rule.meta.ns + "/" + rule.meta.name, std::move(rule));
}

// Multicluster-style entries: a .global host, a VIP, the remote gateway.
void add_service_entry(kube::ClusterState& state, int index) {
  const std::string name = "remote-" + std::to_string(index);
  kube::ServiceEntry entry{meta(name, ns_name(index)), {}, {}, {}, "", "", {}, {}, {}};
  entry.hosts = {name + "." + entry.meta.ns + ".global"};
  entry.addresses = {ip(240, index)};
  entry.ports = {{80, "HTTP", "http", 0}, {9090, "GRPC", "grpc", 0}};
  entry.location = "MESH_INTERNAL";
  entry.resolution = "DNS";
  kube::WorkloadEntrySpec gateway;
  gateway.address = ip(192, index % 16);
  gateway.ports = {{"http", 15443}, {"grpc", 15443}};
  gateway.network = "network2";
  entry.endpoints.push_back(std::move(gateway));
  state.service_entries.emplace(entry.meta.ns + "/" + name, std::move(entry));
}

// VMs: entry i joins service (i * stride) % services, except one in
// kOrphanEvery whose app label matches no service. Returns true if selected.
bool add_workload_entry(kube::ClusterState& state, int index, int services) {
  const int stride = std::max(1, services / kWorkloadEntries);
  const int target = (index * stride) % services;
  const bool selected = index % kOrphanEvery != kOrphanEvery - 1;
  kube::WorkloadEntry we{meta("vm-" + std::to_string(index), ns_name(target)), {}};
  we.spec.address = ip(172, index);
  we.spec.ports = {{"http", kHttpTarget}, {"grpc", kGrpcTarget}};
  we.spec.labels["app"] = selected ? svc_name(target) : "vm-orphan";
  we.spec.labels["version"] = "v1";
  we.spec.labels[discovery::kTlsModeLabel] = "istio";
  we.spec.network = "network1";
  we.spec.service_account = "vm";
  state.workload_entries.emplace(we.meta.ns + "/" + we.meta.name, std::move(we));
  return selected;
}

}  // namespace

Expected build_state(int services, int endpoints_per_service, kube::ClusterState& state) {
  Expected expected;
  add_namespaces(state);
  int next_ip = 0;
  for (int i = 0; i < services; ++i) {
    add_service(state, i);
    add_slices(state, i, endpoints_per_service, next_ip);
    if (i % kRuleEvery == 0) {
      add_destination_rule(state, i);
      expected.subsets += 2;
    }
  }
  for (int i = 0; i < kServiceEntries; ++i)
    add_service_entry(state, i);
  for (int i = 0; i < kWorkloadEntries; ++i) {
    if (add_workload_entry(state, i, services)) ++expected.workload_entries_selected;
  }
  expected.services = static_cast<size_t>(services);
  expected.endpoints = expected.services * static_cast<size_t>(endpoints_per_service) +
                       expected.workload_entries_selected;
  expected.aliases = kServiceEntries;
  expected.pods = state.pods.size();
  expected.slices = state.endpoint_slices.size();
  return expected;
}

Memory memory_now() {
  Memory m;
  std::ifstream statm("/proc/self/statm");
  long size = 0;
  long resident = 0;
  if (statm >> size >> resident) m.rss = static_cast<double>(resident) * sysconf(_SC_PAGESIZE);
  const struct mallinfo2 info = mallinfo2();
  m.heap = static_cast<double>(info.uordblks + info.hblkhd);
  return m;
}

bool parse_count(std::string_view text, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return false;
  out = value;
  return true;
}

}  // namespace meshgate::bench
