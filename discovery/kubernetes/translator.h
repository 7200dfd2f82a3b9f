// The translator behind translate() and Translation: the rules of
// translate.cc over one ClusterState, with the parts that do not depend on
// one service (exported hosts, DestinationRules) built once. Internal to
// discovery/kubernetes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "discovery/kubernetes/cluster_index.h"
#include "discovery/kubernetes/destination_rules.h"
#include "discovery/kubernetes/gateway_hosts.h"
#include "discovery/kubernetes/translate.h"
#include "discovery/kubernetes/workloads.h"

namespace meshgate::discovery::kube {

class Translator {
 public:
  // `state`, `index` (state's) and `options` must outlive the translator.
  Translator(const ClusterState& state, const ClusterIndex& index, const TranslateOptions& options)
      : state_(state),
        options_(options),
        wanted_([this](const ObjectMeta& meta) { return wanted(meta); }),
        exported_hosts_(options.gateway_labels.empty()
                            ? options.export_hosts
                            : gateway_hosts(state.gateways, options.gateway_labels,
                                            options.gateway_port, wanted_)),
        rules_(state.destination_rules,
               {options.gateway_namespace, options.system_namespace, options.cluster_domain},
               wanted_),
        workloads_(state, index, {options.cluster_id, options.system_namespace}, wanted_) {}
  Translator(const Translator&) = delete;
  Translator& operator=(const Translator&) = delete;

  SourceState run() const;

  // A Service's translation; none when it is left out.
  std::optional<discovery::Service> service(const Service& svc) const;
  // The services of the ServiceEntries, by host; `taken` are the Kubernetes
  // Services' hosts, which entries do not take.
  std::map<std::string, discovery::Service> entry_services(
      const std::set<std::string>& taken) const;
  std::vector<HostAlias> aliases() const;
  bool wanted(const ObjectMeta& meta) const;

 private:
  bool exported(const std::string& host) const;
  void add_entry(const ServiceEntry& entry, const std::set<std::string>& taken,
                 std::map<std::string, discovery::Service>& by_host) const;
  void apply_rule(const std::string& host, discovery::Service& out) const;

  const ClusterState& state_;
  const TranslateOptions& options_;
  const std::function<bool(const ObjectMeta&)> wanted_;
  const std::vector<std::string> exported_hosts_;
  const DestinationRules rules_;
  const Workloads workloads_;
};

}  // namespace meshgate::discovery::kube
