// The DestinationRule istiod uses for a host, seen from the gateway's
// namespace (pilot/pkg/model/push_context.go: setDestinationRules,
// destinationRule; destination_rule.go: mergeDestinationRule; config.go:
// MostSpecificHostMatch):
// 1. rules in the gateway's own namespace that it can see (when the gateway
//    runs in the root namespace: the root namespace's private rules);
// 2. else rules of the service's namespace exported to the gateway: the most
//    specific host among them, and only if that one is exported to the
//    gateway (no retry with a less specific host);
// 3. else the same among the root namespace's exported rules.
// Within one namespace, rules for the same host with the same exportTo merge
// (oldest first: subsets by name, the first trafficPolicy); a host matches
// its exact rule before a wildcard one ("*.bar.svc.cluster.local", "*"), the
// longest wildcard first. Rules with a workloadSelector are left out: they
// apply to chosen workloads, not to the gateway.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube {

// The merged rule chosen for a host.
struct RuleView {
  std::vector<Subset> subsets;
  TlsPolicy tls;
};

class DestinationRules {
 public:
  struct Options {
    std::string gateway_namespace;
    std::string root_namespace;
    std::string cluster_domain;
  };

  // `wanted`: false for rules to leave out (deleted, excluded namespace).
  DestinationRules(const ObjectMap<DestinationRule>& rules, Options options,
                   const std::function<bool(const ObjectMeta&)>& wanted);

  // The rule for `host` (lower case) of a service in `service_ns`; null: none.
  const RuleView* find(std::string_view host, std::string_view service_ns) const;

 private:
  struct Entry {
    RuleView view;
    std::vector<std::string> export_to;
  };
  using ByHost = std::map<std::string, std::vector<Entry>, std::less<>>;

  void add(const DestinationRule& rule);
  static void merge(ByHost& bucket, const std::string& host, const DestinationRule& rule);
  static const std::vector<Entry>* most_specific(const ByHost& bucket, std::string_view host);
  const RuleView* exported_from(const ByHost* bucket, std::string_view host) const;

  Options options_;
  std::map<std::string, ByHost, std::less<>> namespace_local_;  // by the rules' namespace
  std::map<std::string, ByHost, std::less<>> exported_;         // by the rules' namespace
  ByHost root_local_;
};

// True when the rule's TLS mode for this service port (and subset; "" for
// the whole service) is set to anything but ISTIO_MUTUAL: istiod then sends
// the cluster no endpoint (xds/endpoints/mtls_checker.go).
bool plaintext_cluster(const RuleView& rule, uint16_t port, std::string_view subset);

}  // namespace meshgate::discovery::kube
