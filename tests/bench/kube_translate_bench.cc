// Benchmark: a large cluster's objects translated into the registry's model.
//
// Builds a ClusterState in memory (Services, EndpointSlices of at most 100
// endpoints as the EndpointSlice controller cuts them, Pods, Namespaces,
// DestinationRules, ServiceEntries, WorkloadEntries), then times
// kube::translate() and publishing the result through a one-source
// discovery::Registry (the production path: the registry keeps the source's
// state and builds the Snapshot from it). Memory is read as RSS from
// /proc/self/statm and as glibc's heap in use (mallinfo2).
//
//   kube_translate_bench [--services N] [--endpoints-per-service E] [--runs R]
//   kube_translate_bench --smoke   # 200 services, 5 endpoints, 1 run (ctest)
//
// Every run checks the output counts against what was built (services,
// endpoints = services * E + selected WorkloadEntries, subsets, aliases) and
// exits 1 on a mismatch.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "discovery/kubernetes/objects.h"
#include "discovery/kubernetes/translate.h"
#include "discovery/registry.h"

namespace {

namespace kube = meshgate::discovery::kube;
namespace discovery = meshgate::discovery;
using Clock = std::chrono::steady_clock;

constexpr int kNamespaces = 100;
constexpr int kMaxPerSlice = 100;  // the EndpointSlice controller's default
constexpr int kRuleEvery = 10;     // one service in 10 has a DestinationRule
constexpr int kOrphanEvery = 10;   // one WorkloadEntry in 10 matches no service
constexpr int kServiceEntries = 1000;
constexpr int kWorkloadEntries = 1000;
constexpr uint16_t kHttpTarget = 8080;
constexpr uint16_t kGrpcTarget = 9091;

struct Config {
  int services = 10000;
  int endpoints_per_service = 10;
  int runs = 5;
  bool smoke = false;
};

// What the built state should translate to.
struct Expected {
  size_t services = 0;
  size_t endpoints = 0;
  size_t aliases = 0;
  size_t subsets = 0;
  size_t workload_entries_selected = 0;
  size_t pods = 0;
  size_t slices = 0;
};

struct Memory {
  double rss = 0;   // bytes
  double heap = 0;  // bytes in use by malloc
};

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

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

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

Expected build_state(const Config& config, kube::ClusterState& state) {
  Expected expected;
  add_namespaces(state);
  int next_ip = 0;
  for (int i = 0; i < config.services; ++i) {
    add_service(state, i);
    add_slices(state, i, config.endpoints_per_service, next_ip);
    if (i % kRuleEvery == 0) {
      add_destination_rule(state, i);
      expected.subsets += 2;
    }
  }
  for (int i = 0; i < kServiceEntries; ++i)
    add_service_entry(state, i);
  for (int i = 0; i < kWorkloadEntries; ++i) {
    if (add_workload_entry(state, i, config.services)) ++expected.workload_entries_selected;
  }
  expected.services = static_cast<size_t>(config.services);
  expected.endpoints = expected.services * static_cast<size_t>(config.endpoints_per_service) +
                       expected.workload_entries_selected;
  expected.aliases = kServiceEntries;
  expected.pods = state.pods.size();
  expected.slices = state.endpoint_slices.size();
  return expected;
}

bool parse_int(std::string_view text, int& out) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return false;
  out = value;
  return true;
}

bool parse_args(int argc, char** argv, Config& config) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--smoke") {
      config = Config{200, 5, 1, true};
      continue;
    }
    if (i + 1 >= argc) return false;
    const std::string_view value = argv[++i];
    int* target = arg == "--services"                ? &config.services
                  : arg == "--endpoints-per-service" ? &config.endpoints_per_service
                  : arg == "--runs"                  ? &config.runs
                                                     : nullptr;
    if (target == nullptr || !parse_int(value, *target)) return false;
  }
  return true;
}

struct Counts {
  size_t services = 0;
  size_t endpoints = 0;
  size_t aliases = 0;
  size_t subsets = 0;
};

Counts count(const discovery::Snapshot& snapshot) {
  Counts c;
  c.services = snapshot.services().size();
  c.aliases = snapshot.aliases().size();
  for (const discovery::Service& svc : snapshot.services()) {
    c.endpoints += svc.endpoints.size();
    c.subsets += svc.subsets.size();
  }
  return c;
}

struct Results {
  double build_s = 0;
  std::vector<double> translate_s;
  double publish_s = 0;
  Memory before, after_state, after_translate, after_snapshot;
  Counts counts;
};

// Run 1 keeps its result and publishes it (memory is read around both);
// the other runs are timed only.
discovery::SnapshotPtr measure(const Config& config, const kube::ClusterState& state,
                               discovery::Registry& registry, Results& r) {
  const kube::TranslateOptions options;
  auto start = Clock::now();
  discovery::SourceState result = kube::translate(state, options);
  r.translate_s.push_back(seconds_since(start));
  r.after_translate = memory_now();
  start = Clock::now();
  registry.update("kubernetes", std::move(result));
  r.publish_s = seconds_since(start);
  r.after_snapshot = memory_now();
  for (int run = 1; run < config.runs; ++run) {
    start = Clock::now();
    const discovery::SourceState again = kube::translate(state, options);
    r.translate_s.push_back(seconds_since(start));
  }
  return registry.snapshot();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

std::string mib(double bytes) {
  char text[64];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

std::string fixed(double value, const char* unit) {
  char text[64];
  std::snprintf(text, sizeof text, "%.3f %s", value, unit);
  return text;
}

void row(const std::string& metric, const std::string& value) {
  std::printf("| %s | %s |\n", metric.c_str(), value.c_str());
}

void print_memory(const Results& r) {
  row("RSS before state", mib(r.before.rss));
  row("RSS after state (delta)",
      mib(r.after_state.rss) + " (+" + mib(r.after_state.rss - r.before.rss) + ")");
  row("RSS after translate result (delta)",
      mib(r.after_translate.rss) + " (+" + mib(r.after_translate.rss - r.after_state.rss) + ")");
  row("RSS after snapshot published (delta)",
      mib(r.after_snapshot.rss) + " (+" + mib(r.after_snapshot.rss - r.after_translate.rss) + ")");
  row("heap in use: state", mib(r.after_state.heap - r.before.heap));
  row("heap in use: translate result", mib(r.after_translate.heap - r.after_state.heap));
  row("heap in use: snapshot", mib(r.after_snapshot.heap - r.after_translate.heap));
  const double endpoints = std::max<double>(1, static_cast<double>(r.counts.endpoints));
  row("snapshot bytes/endpoint (RSS delta)",
      fixed((r.after_snapshot.rss - r.after_translate.rss) / endpoints, "B"));
  row("snapshot bytes/endpoint (heap delta)",
      fixed((r.after_snapshot.heap - r.after_translate.heap) / endpoints, "B"));
}

void print_table(const Config& config, const Expected& expected, const Results& r) {
  std::printf("| metric | value |\n|---|---|\n");
  row("cores (hardware_concurrency; translate is single-threaded)",
      std::to_string(std::thread::hardware_concurrency()));
  row("services in / endpoints per service",
      std::to_string(config.services) + " / " + std::to_string(config.endpoints_per_service));
  row("pods / endpoint slices / destination rules", std::to_string(expected.pods) + " / " +
                                                        std::to_string(expected.slices) + " / " +
                                                        std::to_string(expected.subsets / 2));
  row("service entries / workload entries (selected)",
      std::to_string(kServiceEntries) + " / " + std::to_string(kWorkloadEntries) + " (" +
          std::to_string(expected.workload_entries_selected) + ")");
  row("build state (once)", fixed(r.build_s * 1000, "ms"));
  const auto [lo, hi] = std::minmax_element(r.translate_s.begin(), r.translate_s.end());
  row("translate() runs", std::to_string(r.translate_s.size()));
  row("translate() min / median / max", fixed(*lo * 1000, "ms") + " / " +
                                            fixed(median(r.translate_s) * 1000, "ms") + " / " +
                                            fixed(*hi * 1000, "ms"));
  row("Registry::update (merge + Snapshot)", fixed(r.publish_s * 1000, "ms"));
  row("services out", std::to_string(r.counts.services));
  row("endpoints out", std::to_string(r.counts.endpoints));
  row("subsets out", std::to_string(r.counts.subsets));
  row("aliases out", std::to_string(r.counts.aliases));
  print_memory(r);
}

bool check(const Expected& e, const Counts& c) {
  bool ok = true;
  auto expect = [&ok](const char* what, size_t want, size_t got) {
    if (want == got) return;
    std::fprintf(stderr, "FAIL: %s: expected %zu, got %zu\n", what, want, got);
    ok = false;
  };
  expect("services", e.services, c.services);
  expect("endpoints", e.endpoints, c.endpoints);
  expect("aliases", e.aliases, c.aliases);
  expect("subsets", e.subsets, c.subsets);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  if (!parse_args(argc, argv, config)) {
    std::fprintf(stderr,
                 "usage: %s [--services N] [--endpoints-per-service E] [--runs R] | --smoke\n",
                 argv[0]);
    return 2;
  }
  Results r;
  r.before = memory_now();
  kube::ClusterState state;
  auto start = Clock::now();
  const Expected expected = build_state(config, state);
  r.build_s = seconds_since(start);
  r.after_state = memory_now();
  discovery::Registry registry;
  registry.add_source("kubernetes");
  const discovery::SnapshotPtr snapshot = measure(config, state, registry, r);
  r.counts = count(*snapshot);
  print_table(config, expected, r);
  const bool ok = check(expected, r.counts);
  std::printf("\n%s\n", ok ? "counts: OK" : "counts: MISMATCH");
  return ok ? 0 : 1;
}
