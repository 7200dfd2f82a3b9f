// A cluster's objects into the registry's model, as istiod sees the mesh.
//
// Rules:
// - Filtering: Services, EndpointSlices, WorkloadEntries, DestinationRules and
//   ServiceEntries are skipped when being deleted, when their namespace is
//   excluded, or when include_namespaces is non-empty and does not list it.
//   Pods and Namespaces are only looked up (labels) and are used even while
//   being deleted: a terminating endpoint's pod is being deleted.
// - Services: every core Service except ExternalName whose host
//   "<name>.<ns>.svc.<cluster_domain>" matches an export_hosts pattern. Only
//   TCP ports (protocol "TCP" or empty, number > 0) are kept; targetPort as a
//   number becomes target_port, a named one stays 0 and resolves per endpoint
//   through Endpoint::ports. A Service left with no TCP port is dropped.
// - Endpoints: the EndpointSlices of the Service (same namespace, label
//   kubernetes.io/service-name), address type IPv4 or IPv6, in key order; the
//   first address of each endpoint, an IP literal. Ready ones (nil reads as
//   ready); only when the Service has no ready endpoint at all (slices and
//   WorkloadEntries) the serving-and-terminating ones. Deduplicated by
//   address, first wins. Endpoint::ports are the slice's named TCP port
//   numbers for the Service's port names. Labels are the Pod's (targetRef),
//   network the label topology.istio.io/network, else the Namespace's, and
//   mtls_capable is security.istio.io/tlsMode == "istio".
// - WorkloadEntries whose labels (spec over metadata) carry the Service's
//   non-empty selector, in its namespace, join as endpoints (VMs); weight
//   clamped to 1..1000, network spec.network else the Namespace's label.
// - Subsets: of the first DestinationRule in key order whose host equals the
//   Service's; a host without dots is short for "<host>.<rule ns>.svc.<domain>".
// - ServiceEntry hosts become DNS-only HostAliases with the entry's IP-literal
//   addresses; the first entry in key order wins a host. Routable
//   ServiceEntries (service_name set, their own endpoints) come later.
// - Output is sorted: services by (namespace, name), aliases by host.
#include "discovery/kubernetes/translate.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

#include "discovery/names.h"

namespace meshgate::discovery::kube {
namespace {

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
constexpr uint32_t kMaxWeight = 1000;
constexpr uint32_t kMaxPort = 65535;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

std::string label_of(const Labels& labels, std::string_view key) {
  auto it = labels.find(key);
  return it == labels.end() ? std::string() : it->second;
}

bool carries(const Labels& labels, const Labels& selector) {
  for (const auto& [key, value] : selector) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  return true;
}

// The inputs of one translation and the lookups every rule needs.
class Translator {
 public:
  Translator(const ClusterState& state, const TranslateOptions& options)
      : state_(state), options_(options) {
    index();
  }

  SourceState run() const;

 private:
  bool wanted(const ObjectMeta& meta) const;
  std::string service_host(std::string_view name, std::string_view ns) const;
  bool exported(const std::string& host) const;
  std::optional<discovery::Service> service(const Service& svc) const;
  std::vector<discovery::Endpoint> endpoints(const Service& svc,
                                             const std::set<std::string>& port_names) const;
  void add_slice(const EndpointSlice& slice, const std::set<std::string>& port_names,
                 std::vector<discovery::Endpoint>& ready,
                 std::vector<discovery::Endpoint>& terminating) const;
  discovery::Endpoint slice_endpoint(const EndpointSlice& slice, const SliceEndpoint& ep,
                                     const std::map<std::string, uint16_t>& ports) const;
  std::vector<discovery::Endpoint> workload_entries(const Service& svc) const;
  std::optional<discovery::Endpoint> workload_entry(const WorkloadEntry& we,
                                                    const Labels& selector) const;
  std::string network(const Labels& labels, const std::string& ns) const;
  std::vector<discovery::Subset> subsets(const std::string& host) const;
  std::vector<HostAlias> aliases() const;

  // Built once, so each Service finds its slices, WorkloadEntries and rule
  // without scanning them all: linear in the cluster, not quadratic.
  void index();

  const ClusterState& state_;
  const TranslateOptions& options_;
  // "<ns>/<service name>" -> its slices, in key order.
  std::map<std::string, std::vector<const EndpointSlice*>, std::less<>> slices_;
  std::map<std::string, std::vector<const WorkloadEntry*>, std::less<>> workload_entries_;  // by ns
  // By expanded host; several rules for one host in key order.
  std::map<std::string, std::vector<const DestinationRule*>, std::less<>> rules_;
};

void Translator::index() {
  for (const auto& [key, slice] : state_.endpoint_slices) {
    if (!wanted(slice.meta)) continue;
    slices_[slice.meta.ns + "/" + label_of(slice.meta.labels, kServiceNameLabel)].push_back(&slice);
  }
  for (const auto& [key, we] : state_.workload_entries) {
    if (wanted(we.meta)) workload_entries_[we.meta.ns].push_back(&we);
  }
  // Several rules for one host merge their subsets, as istiod merges them;
  // on a repeated subset name the first rule in key order ("<ns>/<name>")
  // wins (istiod: the oldest).
  for (const auto& [key, rule] : state_.destination_rules) {
    if (!wanted(rule.meta)) continue;
    const bool is_short = rule.host.find('.') == std::string::npos;
    rules_[is_short ? service_host(rule.host, rule.meta.ns) : lower(rule.host)].push_back(&rule);
  }
}

bool Translator::wanted(const ObjectMeta& meta) const {
  if (meta.deleting || contains(options_.exclude_namespaces, meta.ns)) return false;
  return options_.include_namespaces.empty() || contains(options_.include_namespaces, meta.ns);
}

std::string Translator::service_host(std::string_view name, std::string_view ns) const {
  std::string host;
  host.append(name).append(".").append(ns).append(".svc.").append(options_.cluster_domain);
  return lower(host);
}

bool Translator::exported(const std::string& host) const {
  return std::any_of(options_.export_hosts.begin(), options_.export_hosts.end(),
                     [&](const std::string& pattern) { return host_matches(host, pattern); });
}

std::string Translator::network(const Labels& labels, const std::string& ns) const {
  auto own = labels.find(kNetworkLabel);
  if (own != labels.end()) return own->second;
  auto it = state_.namespaces.find(ns);
  return it == state_.namespaces.end() ? std::string()
                                       : label_of(it->second.meta.labels, kNetworkLabel);
}

std::optional<discovery::Service> Translator::service(const Service& svc) const {
  if (!wanted(svc.meta) || svc.type == "ExternalName") return std::nullopt;
  const std::string host = service_host(svc.meta.name, svc.meta.ns);
  if (!exported(host)) return std::nullopt;
  discovery::Service out;
  out.name = svc.meta.name;
  out.ns = svc.meta.ns;
  std::set<std::string> port_names;
  for (const ServicePort& port : svc.ports) {
    if ((port.protocol != "TCP" && !port.protocol.empty()) || port.port == 0) continue;
    out.ports.push_back(discovery::ServicePort{port.name, port.port, port.target_port});
    if (!port.name.empty()) port_names.insert(port.name);
  }
  if (out.ports.empty()) return std::nullopt;
  out.subsets = subsets(host);
  out.endpoints = endpoints(svc, port_names);
  return out;
}

std::vector<discovery::Endpoint> Translator::endpoints(
    const Service& svc, const std::set<std::string>& port_names) const {
  std::vector<discovery::Endpoint> ready;
  std::vector<discovery::Endpoint> terminating;
  if (const auto found = slices_.find(svc.meta.ns + "/" + svc.meta.name); found != slices_.end()) {
    for (const EndpointSlice* slice : found->second) {
      if (slice->address_type != "IPv4" && slice->address_type != "IPv6") continue;
      add_slice(*slice, port_names, ready, terminating);
    }
  }
  for (discovery::Endpoint& we : workload_entries(svc))
    ready.push_back(std::move(we));
  std::vector<discovery::Endpoint>& chosen = ready.empty() ? terminating : ready;
  std::vector<discovery::Endpoint> out;
  std::set<std::string> seen;
  for (discovery::Endpoint& ep : chosen) {
    if (seen.insert(ep.address).second) out.push_back(std::move(ep));
  }
  return out;
}

void Translator::add_slice(const EndpointSlice& slice, const std::set<std::string>& port_names,
                           std::vector<discovery::Endpoint>& ready,
                           std::vector<discovery::Endpoint>& terminating) const {
  std::map<std::string, uint16_t> ports;
  for (const SlicePort& port : slice.ports) {
    if (port.protocol != "TCP" && !port.protocol.empty()) continue;
    if (!port.port || *port.port == 0 || port_names.count(port.name) == 0) continue;
    ports.emplace(port.name, *port.port);
  }
  for (const SliceEndpoint& ep : slice.endpoints) {
    if (ep.addresses.empty() || !is_ip_literal(ep.addresses.front())) continue;
    const bool is_ready = ep.conditions.ready.value_or(true);
    const bool serving = ep.conditions.serving.value_or(is_ready);
    const bool is_terminating = ep.conditions.terminating.value_or(false);
    if (is_ready) {
      ready.push_back(slice_endpoint(slice, ep, ports));
    } else if (serving && is_terminating) {
      terminating.push_back(slice_endpoint(slice, ep, ports));
    }
  }
}

discovery::Endpoint Translator::slice_endpoint(const EndpointSlice& slice, const SliceEndpoint& ep,
                                               const std::map<std::string, uint16_t>& ports) const {
  discovery::Endpoint out;
  out.address = ep.addresses.front();
  out.ports = ports;
  if (ep.target_ref && ep.target_ref->kind == "Pod") {
    const std::string& ns = ep.target_ref->ns.empty() ? slice.meta.ns : ep.target_ref->ns;
    auto pod = state_.pods.find(ns + "/" + ep.target_ref->name);
    if (pod != state_.pods.end()) out.labels = pod->second.meta.labels;
  }
  out.network = network(out.labels, slice.meta.ns);
  out.mtls_capable = label_of(out.labels, kTlsModeLabel) == "istio";
  return out;
}

std::vector<discovery::Endpoint> Translator::workload_entries(const Service& svc) const {
  std::vector<discovery::Endpoint> out;
  const auto found = workload_entries_.find(svc.meta.ns);
  if (svc.selector.empty() || found == workload_entries_.end()) return out;
  for (const WorkloadEntry* we : found->second) {
    if (auto ep = workload_entry(*we, svc.selector)) out.push_back(std::move(*ep));
  }
  return out;
}

std::optional<discovery::Endpoint> Translator::workload_entry(const WorkloadEntry& we,
                                                              const Labels& selector) const {
  Labels labels = we.spec.labels;
  labels.insert(we.meta.labels.begin(), we.meta.labels.end());  // spec wins
  if (!carries(labels, selector) || !is_ip_literal(we.spec.address)) return std::nullopt;
  discovery::Endpoint out;
  out.address = we.spec.address;
  for (const auto& [name, number] : we.spec.ports) {
    if (number != 0 && number <= kMaxPort) out.ports.emplace(name, static_cast<uint16_t>(number));
  }
  out.network = we.spec.network.empty() ? network({}, we.meta.ns) : we.spec.network;
  out.weight = std::clamp<uint32_t>(we.spec.weight, 1, kMaxWeight);
  out.mtls_capable = label_of(labels, kTlsModeLabel) == "istio";
  out.labels = std::move(labels);
  return out;
}

std::vector<discovery::Subset> Translator::subsets(const std::string& host) const {
  const auto found = rules_.find(host);
  if (found == rules_.end()) return {};
  std::vector<discovery::Subset> out;
  std::set<std::string> names;
  for (const DestinationRule* rule : found->second) {
    for (const Subset& subset : rule->subsets) {
      if (subset.name.empty() || !names.insert(subset.name).second) continue;
      out.push_back(discovery::Subset{subset.name, subset.labels});
    }
  }
  return out;
}

std::vector<HostAlias> Translator::aliases() const {
  std::map<std::string, HostAlias> by_host;  // sorted; first entry in key order wins
  for (const auto& [key, entry] : state_.service_entries) {
    if (!wanted(entry.meta)) continue;
    std::vector<std::string> addresses;
    for (const std::string& address : entry.addresses) {
      if (is_ip_literal(address) && !contains(addresses, address)) addresses.push_back(address);
    }
    for (const std::string& raw : entry.hosts) {
      std::string host = lower(raw);
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

SourceState Translator::run() const {
  SourceState out;
  for (const auto& [key, svc] : state_.services) {
    if (auto translated = service(svc)) out.services.push_back(std::move(*translated));
  }
  std::sort(out.services.begin(), out.services.end(),
            [](const discovery::Service& a, const discovery::Service& b) {
              return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
            });
  out.aliases = aliases();
  return out;
}

}  // namespace

SourceState translate(const ClusterState& state, const TranslateOptions& options) {
  return Translator(state, options).run();
}

bool host_matches(std::string_view host, std::string_view pattern) {
  const std::string h = lower(host);
  const std::string p = lower(pattern);
  if (h == p) return true;
  if (p.size() < 3 || p.compare(0, 2, "*.") != 0) return false;
  const std::string_view suffix = std::string_view(p).substr(1);  // ".<suffix>"
  return h.size() > suffix.size() &&
         h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace meshgate::discovery::kube
