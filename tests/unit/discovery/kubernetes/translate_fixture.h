// The objects and fixture the translation tests share: a namespace "bar"
// with httpbin (ports http 8000 -> the named targetPort "http-web", tls
// 8443 -> 9443, dns 53/UDP), three pods (v1, v2 on network2, v1 not ready)
// and their EndpointSlice; the system namespace istio-system on network1.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "discovery/kubernetes/translate.h"

namespace meshgate::discovery::kube::testing {

using DService = discovery::Service;
using DEndpoint = discovery::Endpoint;

inline constexpr const char* kServiceName = "kubernetes.io/service-name";

inline ObjectMeta meta(std::string ns, std::string name, Labels labels = {}) {
  ObjectMeta m;
  m.ns = std::move(ns);
  m.name = std::move(name);
  m.resource_version = "4242";
  m.labels = std::move(labels);
  return m;
}

inline std::string key(const ObjectMeta& m) {
  return m.ns + "/" + m.name;
}

inline Pod pod(std::string ns, std::string name, std::string ip, Labels labels) {
  Pod p;
  p.meta = meta(std::move(ns), std::move(name), std::move(labels));
  p.pod_ips = {std::move(ip)};
  p.phase = "Running";
  p.ready = true;
  return p;
}

inline SliceEndpoint slice_endpoint(std::string address, std::optional<std::string> pod_name,
                                    EndpointConditions conditions = {true, true, false}) {
  SliceEndpoint ep;
  ep.addresses = {std::move(address)};
  ep.conditions = conditions;
  if (pod_name) ep.target_ref = ObjectReference{"Pod", *pod_name, "bar"};
  return ep;
}

inline EndpointSlice slice(std::string ns, std::string name, std::string service,
                           std::vector<SliceEndpoint> endpoints, std::string type = "IPv4") {
  EndpointSlice s;
  s.meta = meta(std::move(ns), std::move(name),
                {{kServiceName, std::move(service)},
                 {"endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"}});
  s.address_type = std::move(type);
  s.endpoints = std::move(endpoints);
  // As the controller writes them: the named targetPort "http-web" resolved
  // to the container port under the Service port's name.
  s.ports = {SlicePort{"http", "TCP", 8080}, SlicePort{"tls", "TCP", 9443},
             SlicePort{"dns", "UDP", 5353}};
  return s;
}

inline Labels httpbin_labels(std::string version) {
  return {{"app", "httpbin"},
          {"version", std::move(version)},
          {"pod-template-hash", "7d9f8c6b5"},
          {"security.istio.io/tlsMode", "istio"},
          {"service.istio.io/canonical-name", "httpbin"}};
}

inline Service httpbin_service(std::string ns = "bar") {
  Service svc;
  svc.meta = meta(std::move(ns), "httpbin", {{"app", "httpbin"}});
  svc.cluster_ip = "10.96.12.34";
  svc.ports = {ServicePort{"http", "TCP", 8000, 0, "http-web"},
               ServicePort{"tls", "TCP", 8443, 9443, ""}, ServicePort{"dns", "UDP", 53, 5353, ""}};
  svc.selector = {{"app", "httpbin"}};
  return svc;
}

inline WorkloadEntry workload_entry(std::string ns, std::string name, std::string address,
                                    Labels labels) {
  WorkloadEntry we;
  we.meta = meta(std::move(ns), std::move(name));
  we.spec.address = std::move(address);
  we.spec.labels = std::move(labels);
  return we;
}

// What istiod adds to an endpoint's labels for subset matching
// (serviceregistry/util/label/label.go AugmentLabels): the cluster, and the
// network when the labels have none.
inline Labels augmented(Labels labels, const std::string& network = "network1") {
  labels["topology.istio.io/cluster"] = "Kubernetes";
  if (!network.empty()) labels.try_emplace("topology.istio.io/network", network);
  return labels;
}

class Translate : public ::testing::Test {
 protected:
  void SetUp() override {
    // The pods' default network is the system namespace's label; their own
    // namespace's label means nothing to istiod.
    Namespace system;
    system.meta = meta("", "istio-system", {{"topology.istio.io/network", "network1"}});
    state_.namespaces["istio-system"] = system;
    Namespace bar;
    bar.meta = meta("", "bar", {{"topology.istio.io/network", "network9"}});
    state_.namespaces["bar"] = bar;
    Namespace foo;
    foo.meta = meta("", "foo");
    state_.namespaces["foo"] = foo;
    add_service(httpbin_service());
    Labels v2 = httpbin_labels("v2");
    v2["topology.istio.io/network"] = "network2";
    add_pod(pod("bar", "httpbin-v1-7d9f8c6b5-abcde", "10.1.0.11", httpbin_labels("v1")));
    add_pod(pod("bar", "httpbin-v2-5c4b7f9d8-fghij", "10.1.0.12", v2));
    Pod not_ready = pod("bar", "httpbin-v1-7d9f8c6b5-klmno", "10.1.0.13", httpbin_labels("v1"));
    not_ready.ready = false;
    add_pod(not_ready);
    add_slice(
        slice("bar", "httpbin-x7k2p", "httpbin",
              {slice_endpoint("10.1.0.11", "httpbin-v1-7d9f8c6b5-abcde"),
               slice_endpoint("10.1.0.12", "httpbin-v2-5c4b7f9d8-fghij"),
               slice_endpoint("10.1.0.13", "httpbin-v1-7d9f8c6b5-klmno", {false, false, false})}));
  }

  void add_service(const Service& s) { state_.services[key(s.meta)] = s; }
  void add_pod(const Pod& p) { state_.pods[key(p.meta)] = p; }
  void add_slice(const EndpointSlice& s) { state_.endpoint_slices[key(s.meta)] = s; }
  void add_we(const WorkloadEntry& we) { state_.workload_entries[key(we.meta)] = we; }
  void add_dr(const DestinationRule& dr) { state_.destination_rules[key(dr.meta)] = dr; }
  void add_se(const ServiceEntry& se) { state_.service_entries[key(se.meta)] = se; }

  SourceState run() const { return translate(state_, options_); }

  // The translated service, or a failure if it is not there.
  std::optional<DService> find(std::string_view ns, std::string_view name) const {
    for (const DService& s : run().services) {
      if (s.ns == ns && s.name == name) return s;
    }
    return std::nullopt;
  }

  static std::vector<std::string> addresses(const DService& s) {
    std::vector<std::string> out;
    for (const DEndpoint& ep : s.endpoints)
      out.push_back(ep.address);
    return out;
  }

  static const DEndpoint* endpoint(const DService& s, std::string_view address) {
    for (const DEndpoint& ep : s.endpoints) {
      if (ep.address == address) return &ep;
    }
    return nullptr;
  }

  ClusterState state_;
  TranslateOptions options_;
};

}  // namespace meshgate::discovery::kube::testing
