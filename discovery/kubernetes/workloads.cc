#include "discovery/kubernetes/workloads.h"

#include <algorithm>
#include <utility>

#include "discovery/kubernetes/translate.h"
#include "discovery/names.h"

namespace meshgate::discovery::kube {
namespace {

constexpr std::string_view kClusterLabel = "topology.istio.io/cluster";
constexpr std::string_view kHostnameLabel = "kubernetes.io/hostname";
constexpr std::string_view kLocalityLabel = "topology.istio.io/locality";
constexpr std::string_view kLegacyLocalityLabel = "istio-locality";
constexpr std::array<std::string_view, 3> kLocalityKeys{
    "topology.kubernetes.io/region", "topology.kubernetes.io/zone", "topology.istio.io/subzone"};
constexpr uint32_t kMaxWeight = 1000;
constexpr uint32_t kMaxPort = 65535;

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

std::optional<uint16_t> port_number(uint32_t number) {
  if (number == 0 || number > kMaxPort) return std::nullopt;
  return static_cast<uint16_t>(number);
}

// A pod's locality label, "region.zone.subzone" with '.' for '/'.
std::string pod_locality(const Labels& labels) {
  std::string locality = label_of(labels, kLocalityLabel);
  if (locality.empty()) locality = label_of(labels, kLegacyLocalityLabel);
  std::replace(locality.begin(), locality.end(), '.', '/');
  return locality;
}

// The endpoint port for a Service port of a WorkloadEntry the Service selects.
std::optional<uint16_t> selected_port(const WorkloadEntrySpec& spec, const ServicePort& port) {
  auto named = [&](const std::string& name) -> std::optional<uint16_t> {
    auto it = spec.ports.find(name);
    return it == spec.ports.end() ? std::nullopt : port_number(it->second);
  };
  if (!port.target_port_name.empty()) return named(port.target_port_name);  // or none
  if (!port.name.empty()) {
    if (auto by_name = named(port.name)) return by_name;
  }
  return port.target_port != 0 ? port.target_port : port.port;
}

// The endpoint port for a ServiceEntry port: by name, else targetPort, else number.
uint16_t entry_port(const std::map<std::string, uint32_t>& ports, const IstioPort& port) {
  auto it = ports.find(port.name);
  if (it != ports.end()) {
    if (auto number = port_number(it->second)) return *number;
  }
  if (auto target = port_number(port.target_port)) return *target;
  return static_cast<uint16_t>(port.number);
}

}  // namespace

Labels entry_labels(const WorkloadEntrySpec& spec, const Labels& metadata) {
  Labels labels = spec.labels;
  for (const auto& [key, value] : metadata)
    labels.insert_or_assign(key, value);
  return labels;
}

bool entry_mtls(const WorkloadEntrySpec& spec, const Labels& labels) {
  auto mode = labels.find(kTlsModeLabel);
  if (mode != labels.end()) return mode->second == "istio";
  return !spec.service_account.empty();
}

Workloads::Workloads(const ClusterState& state, const ClusterIndex& index, WorkloadOptions options,
                     std::function<bool(const ObjectMeta&)> wanted)
    : state_(state), index_(index), options_(std::move(options)), wanted_(std::move(wanted)) {
  if (auto system = state_.namespaces.find(options_.system_namespace);
      system != state_.namespaces.end()) {
    system_network_ = label_of(system->second.meta.labels, kNetworkLabel);
  }
}

template <typename T, typename Belongs>
std::vector<const T*> Workloads::lookup(const KeyIndex& index, const std::string& at,
                                        const ObjectMap<T>& objects, Belongs belongs) const {
  std::vector<const T*> out;
  for (std::string_view key : index.find(at)) {
    auto it = objects.find(key);
    if (it != objects.end() && belongs(it->second)) out.push_back(&it->second);
  }
  return out;
}

std::vector<discovery::Endpoint> Workloads::of_service(
    const Service& service, const std::vector<ServicePort>& ports) const {
  std::vector<discovery::Endpoint> out;
  const std::string owner = service.meta.ns + "/" + service.meta.name;
  const auto owned = [&](const EndpointSlice& slice) { return slice_owner(slice) == owner; };
  for (const EndpointSlice* slice :
       lookup(index_.slices_by_owner, owner, state_.endpoint_slices, owned)) {
    if (!wanted_(slice->meta)) continue;
    if (slice->address_type == "IPv4" || slice->address_type == "IPv6") add_slice(*slice, out);
  }
  if (service.selector.empty()) return out;
  const auto in_ns = [&](const WorkloadEntry& we) { return we.meta.ns == service.meta.ns; };
  for (const WorkloadEntry* entry :
       lookup(index_.entries_by_ns, service.meta.ns, state_.workload_entries, in_ns)) {
    if (!wanted_(entry->meta)) continue;
    auto ep = selected_entry(*entry, service, ports);
    if (!ep) continue;
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const auto& e) { return e.address == ep->address; });
    if (!seen) out.push_back(std::move(*ep));
  }
  return out;
}

// Endpoints of one slice; an address seen in an earlier slice gains this
// slice's ports (slices may split a Service's ports).
void Workloads::add_slice(const EndpointSlice& slice, std::vector<discovery::Endpoint>& out) const {
  PortMap slice_ports;  // every endpoint of the slice serves the same ports
  for (const SlicePort& port : slice.ports) {
    if (port.port && *port.port != 0) slice_ports.emplace(port.name, *port.port);
  }
  const discovery::PortSet ports = ports_.intern(std::move(slice_ports));
  for (const SliceEndpoint& ep : slice.endpoints) {
    std::optional<discovery::Endpoint> endpoint = slice_endpoint(slice, ep, ports);
    if (!endpoint) continue;
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const auto& e) { return e.address == endpoint->address; });
    if (same == out.end()) {
      out.push_back(std::move(*endpoint));
    } else {
      PortMap merged = same->ports;
      merged.insert(endpoint->ports.begin(), endpoint->ports.end());
      same->ports = ports_.intern(std::move(merged));
    }
  }
}

std::optional<discovery::Endpoint> Workloads::slice_endpoint(
    const EndpointSlice& slice, const SliceEndpoint& ep, const discovery::PortSet& ports) const {
  // Never a terminating or not-ready endpoint (istiod: filterIstioEndpoint).
  if (!ep.conditions.ready.value_or(true)) return std::nullopt;
  if (ep.addresses.empty() || !is_ip_literal(ep.addresses.front())) return std::nullopt;
  bool skip = false;
  const Pod* pod = pod_of(slice, ep, skip);
  if (skip) return std::nullopt;
  discovery::Endpoint out;
  out.address = ep.addresses.front();
  out.ports_exact = true;
  out.ports = ports;
  Labels labels = pod != nullptr ? pod->meta.labels : Labels{};
  out.network = pod_network(labels);
  out.mtls_capable = label_of(labels, kTlsModeLabel) == "istio";
  augment(out, std::move(labels), pod != nullptr ? pod_locality(pod->meta.labels) : "",
          pod != nullptr ? pod->node_name : "");
  return out;
}

// The pod behind a slice endpoint: its targetRef (a Pod not seen yet: skip
// the endpoint, as istiod does), else the pod with that IP in the slice's
// namespace, else none.
const Pod* Workloads::pod_of(const EndpointSlice& slice, const SliceEndpoint& ep,
                             bool& skip) const {
  if (const std::string key = target_pod(slice, ep); !key.empty()) {
    auto pod = state_.pods.find(key);
    if (pod == state_.pods.end()) skip = true;
    return pod == state_.pods.end() ? nullptr : &pod->second;
  }
  // Several pods may have the IP (host network): the first by key.
  const std::string& ip = ep.addresses.front();
  const auto has_ip = [&](const Pod& pod) {
    return pod.meta.ns == slice.meta.ns &&
           std::find(pod.pod_ips.begin(), pod.pod_ips.end(), ip) != pod.pod_ips.end();
  };
  const std::vector<const Pod*> pods =
      lookup(index_.pods_by_ip, slice.meta.ns + "/" + ip, state_.pods, has_ip);
  return pods.empty() ? nullptr : pods.front();
}

std::optional<discovery::Endpoint> Workloads::selected_entry(
    const WorkloadEntry& entry, const Service& service,
    const std::vector<ServicePort>& ports) const {
  const Labels labels = entry_labels(entry.spec, entry.meta.labels);
  if (labels.empty() || !carries(labels, service.selector)) return std::nullopt;
  if (!is_ip_literal(entry.spec.address)) return std::nullopt;
  discovery::Endpoint out;
  out.address = entry.spec.address;
  out.ports_exact = true;
  PortMap served;
  for (const ServicePort& port : ports) {
    if (auto number = selected_port(entry.spec, port)) served.emplace(port.name, *number);
  }
  out.ports = ports_.intern(std::move(served));
  out.network = entry.spec.network;
  out.weight = std::clamp<uint32_t>(entry.spec.weight, 1, kMaxWeight);
  out.mtls_capable = entry_mtls(entry.spec, labels);
  augment(out, labels, entry.spec.locality.empty() ? pod_locality(labels) : entry.spec.locality,
          "");
  return out;
}

std::vector<discovery::Endpoint> Workloads::of_service_entry(
    const ServiceEntry& entry, const std::vector<IstioPort>& ports) const {
  std::vector<discovery::Endpoint> out;
  const auto add = [&](std::optional<discovery::Endpoint> ep) {
    if (!ep) return;
    const bool seen = std::any_of(out.begin(), out.end(),
                                  [&](const auto& e) { return e.address == ep->address; });
    if (!seen) out.push_back(std::move(*ep));
  };
  if (!entry.workload_selector) {
    for (const WorkloadEntrySpec& spec : entry.endpoints)
      add(entry_endpoint(spec, spec.labels, ports));
    return out;
  }
  // With a selector the inline endpoints are ignored; the selected
  // workloads live in the entry's namespace.
  const Labels& selector = *entry.workload_selector;
  const auto in_ns = [&](const auto& object) { return object.meta.ns == entry.meta.ns; };
  for (const WorkloadEntry* we :
       lookup(index_.entries_by_ns, entry.meta.ns, state_.workload_entries, in_ns)) {
    if (!wanted_(we->meta)) continue;
    std::optional<discovery::Endpoint> ep =
        entry_endpoint(we->spec, entry_labels(we->spec, we->meta.labels), ports);
    if (ep && carries(ep->labels, selector)) add(std::move(ep));
  }
  for (const Pod* pod : lookup(index_.pods_by_ns, entry.meta.ns, state_.pods, in_ns)) {
    std::optional<discovery::Endpoint> ep = pod_endpoint(*pod, ports);
    if (ep && carries(ep->labels, selector)) add(std::move(ep));
  }
  return out;
}

std::optional<discovery::Endpoint> Workloads::entry_endpoint(
    const WorkloadEntrySpec& spec, const Labels& labels,
    const std::vector<IstioPort>& ports) const {
  if (!is_ip_literal(spec.address)) return std::nullopt;
  discovery::Endpoint out;
  out.address = spec.address;
  out.ports_exact = true;
  PortMap served;
  for (const IstioPort& port : ports)
    served.emplace(port.name, entry_port(spec.ports, port));
  out.ports = ports_.intern(std::move(served));
  out.network = spec.network;
  out.weight = std::clamp<uint32_t>(spec.weight, 1, kMaxWeight);
  out.mtls_capable = entry_mtls(spec, labels);
  augment(out, labels, spec.locality.empty() ? pod_locality(labels) : spec.locality, "");
  return out;
}

// A pod a ServiceEntry selects: ready, running, not being deleted, with an
// IP (kube/controller/pod.go shouldPodBeInEndpoints).
std::optional<discovery::Endpoint> Workloads::pod_endpoint(
    const Pod& pod, const std::vector<IstioPort>& ports) const {
  if (!pod.ready || pod.phase != "Running" || pod.meta.deleting || pod.pod_ips.empty()) {
    return std::nullopt;
  }
  if (!is_ip_literal(pod.pod_ips.front())) return std::nullopt;
  discovery::Endpoint out;
  out.address = pod.pod_ips.front();
  out.ports_exact = true;
  PortMap served;
  for (const IstioPort& port : ports)
    served.emplace(port.name, entry_port(pod.named_ports, port));
  out.ports = ports_.intern(std::move(served));
  out.network = pod_network(pod.meta.labels);
  out.mtls_capable = label_of(pod.meta.labels, kTlsModeLabel) == "istio";
  augment(out, pod.meta.labels, pod_locality(pod.meta.labels), pod.node_name);
  return out;
}

std::string Workloads::pod_network(const Labels& labels) const {
  std::string own = label_of(labels, kNetworkLabel);
  return own.empty() ? system_network_ : own;
}

void Workloads::augment(discovery::Endpoint& ep, Labels labels, const std::string& locality,
                        const std::string& node) const {
  std::string_view rest = locality;
  for (std::string_view key : kLocalityKeys) {
    const std::size_t slash = std::min(rest.find('/'), rest.size());
    if (slash > 0) labels.insert_or_assign(std::string(key), std::string(rest.substr(0, slash)));
    rest.remove_prefix(std::min(slash + 1, rest.size()));
  }
  if (!options_.cluster_id.empty()) {
    labels.insert_or_assign(std::string(kClusterLabel), options_.cluster_id);
  }
  if (!node.empty()) labels.insert_or_assign(std::string(kHostnameLabel), node);
  if (!ep.network.empty()) labels.try_emplace(kNetworkLabel, ep.network);
  ep.labels = labels_.intern(std::move(labels));
}

}  // namespace meshgate::discovery::kube
