// A cluster's objects into the registry's model, as istiod decides them for
// its east-west gateway. Rules, each with the Istio source it follows:
// - Filtering: objects being deleted, in an excluded namespace, or outside
//   include_namespaces when it is not empty, are skipped (Pods and
//   Namespaces are only looked up).
// - Visibility (visibility.h): a Service (annotation
//   networking.istio.io/exportTo) or ServiceEntry (spec.exportTo) counts
//   only when exported to the gateway's namespace.
// - Exposure: its host must match an export_hosts pattern or, with
//   gateway_labels, a host of the Gateway resources selecting the gateway
//   (gateway_hosts.h).
// - Kubernetes Services: every one but ExternalName, host
//   "<name>.<ns>.svc.<domain>", its TCP ports (istiod skips UDP); endpoints
//   from workloads.h. A Service left with no TCP port is dropped.
// - ServiceEntries with location MESH_INTERNAL (networking/core/cluster.go
//   buildOutboundSniDnatClusters skips MeshExternal, the API's default): one
//   service per host (not a wildcard; a Kubernetes Service's host stays the
//   Service's), named after it, its ports but UDP; endpoints from
//   workloads.h. Entries for one host in one namespace merge their endpoints;
//   across namespaces the oldest wins.
// - Subsets and TLS: of the DestinationRule destination_rules.h picks for
//   the host; a (port, subset) whose TLS mode is not ISTIO_MUTUAL gets no
//   endpoint (discovery::PlaintextCluster).
// - Every visible ServiceEntry's hosts also become DNS aliases with its
//   IP-literal addresses; the oldest entry wins a host.
// - Output is sorted: services by (namespace, name), aliases by host.
#include "discovery/kubernetes/translate.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "discovery/kubernetes/translator.h"
#include "discovery/kubernetes/visibility.h"
#include "discovery/names.h"

namespace meshgate::discovery::kube {
namespace {

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool udp(std::string_view protocol) {
  return protocol == "UDP";
}

// ServiceEntries oldest first, as istiod orders them.
std::vector<const ServiceEntry*> by_age(const ObjectMap<ServiceEntry>& entries) {
  std::vector<const ServiceEntry*> sorted;
  for (const auto& [key, entry] : entries)
    sorted.push_back(&entry);
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::tie(a->meta.creation_timestamp, a->meta.name, a->meta.ns) <
           std::tie(b->meta.creation_timestamp, b->meta.name, b->meta.ns);
  });
  return sorted;
}

}  // namespace

bool Translator::wanted(const ObjectMeta& meta) const {
  if (meta.deleting || contains(options_.exclude_namespaces, meta.ns)) return false;
  return options_.include_namespaces.empty() || contains(options_.include_namespaces, meta.ns);
}

bool Translator::exported(const std::string& host) const {
  return std::any_of(exported_hosts_.begin(), exported_hosts_.end(),
                     [&](const std::string& pattern) { return host_matches(host, pattern); });
}

std::optional<discovery::Service> Translator::service(const Service& svc) const {
  if (!wanted(svc.meta) || svc.type == "ExternalName") return std::nullopt;
  if (!visible_from(parse_export_to(svc.export_to), svc.meta.ns, options_.gateway_namespace)) {
    return std::nullopt;
  }
  discovery::Service out;
  out.name = svc.meta.name;
  out.ns = svc.meta.ns;
  const std::string host = to_lower(discovery::service_host(out, options_.cluster_domain));
  if (!exported(host)) return std::nullopt;
  std::vector<ServicePort> routed;
  for (const ServicePort& port : svc.ports) {
    if (udp(port.protocol) || port.protocol == "SCTP" || port.port == 0) continue;
    routed.push_back(port);
    out.ports.push_back(discovery::ServicePort{port.name, port.port, port.target_port});
  }
  if (out.ports.empty()) return std::nullopt;
  out.endpoints = workloads_.of_service(svc, routed);
  apply_rule(host, out);
  return out;
}

// Subsets and TLS from the DestinationRule istiod would pick for `host`.
void Translator::apply_rule(const std::string& host, discovery::Service& out) const {
  const RuleView* rule = rules_.find(host, out.ns);
  if (rule == nullptr) return;
  for (const Subset& subset : rule->subsets)
    out.subsets.push_back(discovery::Subset{subset.name, subset.labels});
  for (const discovery::ServicePort& port : out.ports) {
    if (plaintext_cluster(*rule, port.number, "")) out.plaintext.push_back({port.number, ""});
    for (const Subset& subset : rule->subsets) {
      if (plaintext_cluster(*rule, port.number, subset.name)) {
        out.plaintext.push_back({port.number, subset.name});
      }
    }
  }
}

void Translator::add_entry(const ServiceEntry& entry, const std::set<std::string>& taken,
                           std::map<std::string, discovery::Service>& by_host) const {
  if (!wanted(entry.meta) || entry.location != "MESH_INTERNAL") return;
  if (!visible_from(entry.export_to, entry.meta.ns, options_.gateway_namespace)) return;
  std::vector<IstioPort> ports;
  for (const IstioPort& port : entry.ports) {
    if (!udp(port.protocol) && port.number != 0 && port.number <= 65535) ports.push_back(port);
  }
  if (ports.empty()) return;
  const std::vector<discovery::Endpoint> endpoints = workloads_.of_service_entry(entry, ports);
  for (const std::string& raw : entry.hosts) {
    const std::string host = to_lower(raw);
    if (!is_dns_name(host) || taken.count(host) != 0 || !exported(host)) continue;
    auto [it, fresh] = by_host.try_emplace(host);
    discovery::Service& out = it->second;
    if (!fresh) {
      if (out.ns != entry.meta.ns) continue;  // the oldest namespace keeps the host
      for (const discovery::Endpoint& ep : endpoints) {
        const bool seen = std::any_of(out.endpoints.begin(), out.endpoints.end(),
                                      [&](const auto& e) { return e.address == ep.address; });
        if (!seen) out.endpoints.push_back(ep);
      }
      continue;
    }
    out.name = host;
    out.ns = entry.meta.ns;
    out.host = host;
    for (const IstioPort& port : ports) {
      out.ports.push_back(discovery::ServicePort{port.name, static_cast<uint16_t>(port.number),
                                                 static_cast<uint16_t>(port.target_port)});
    }
    out.endpoints = endpoints;
    apply_rule(host, out);
  }
}

std::vector<HostAlias> Translator::aliases() const {
  std::map<std::string, HostAlias> by_host;  // sorted; the oldest entry wins a host
  for (const ServiceEntry* entry : by_age(state_.service_entries)) {
    if (!wanted(entry->meta)) continue;
    if (!visible_from(entry->export_to, entry->meta.ns, options_.gateway_namespace)) continue;
    std::vector<std::string> addresses;
    for (const std::string& address : entry->addresses) {
      if (is_ip_literal(address) && !contains(addresses, address)) addresses.push_back(address);
    }
    for (const std::string& raw : entry->hosts) {
      std::string host = to_lower(raw);
      if (host.empty() || by_host.count(host) != 0) continue;
      by_host.emplace(host, HostAlias{host, addresses, "", ""});
    }
  }
  std::vector<HostAlias> out;
  out.reserve(by_host.size());
  for (auto& [host, alias] : by_host)
    out.push_back(std::move(alias));
  return out;
}

// A ServiceEntry for a Kubernetes Service's host: the Service's wins
// (istiod: a Kubernetes service replaces another registry's).
std::map<std::string, discovery::Service> Translator::entry_services(
    const std::set<std::string>& taken) const {
  std::map<std::string, discovery::Service> entries;
  for (const ServiceEntry* entry : by_age(state_.service_entries))
    add_entry(*entry, taken, entries);
  return entries;
}

SourceState Translator::run() const {
  SourceState out;
  std::set<std::string> kubernetes_hosts;
  for (const auto& [key, svc] : state_.services) {
    if (auto translated = service(svc)) {
      kubernetes_hosts.insert(discovery::service_host(*translated, options_.cluster_domain));
      out.services.push_back(std::move(*translated));
    }
  }
  for (auto& [host, service] : entry_services(kubernetes_hosts))
    out.services.push_back(std::move(service));
  // Stable: a ServiceEntry's service whose key a Kubernetes Service has
  // comes after it (the registry keeps the first), as Translation orders them.
  std::stable_sort(out.services.begin(), out.services.end(),
                   [](const discovery::Service& a, const discovery::Service& b) {
                     return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
                   });
  out.aliases = aliases();
  return out;
}

SourceState translate(const ClusterState& state, const TranslateOptions& options) {
  const ClusterIndex index = index_of(state);
  return Translator(state, index, options).run();
}

bool host_matches(std::string_view host, std::string_view pattern) {
  const std::string h = to_lower(host);
  const std::string p = to_lower(pattern);
  if (h == p || p == "*") return true;
  if (p.size() < 3 || p.compare(0, 2, "*.") != 0) return false;
  const std::string_view suffix = std::string_view(p).substr(1);  // ".<suffix>"
  return h.size() > suffix.size() &&
         h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace meshgate::discovery::kube
