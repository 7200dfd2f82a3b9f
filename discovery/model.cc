#include "discovery/model.h"

namespace meshgate::discovery {

std::optional<uint16_t> endpoint_port(const Endpoint& endpoint, const ServicePort& port) {
  if (endpoint.ports_exact) {
    auto it = endpoint.ports.find(port.name);
    if (it == endpoint.ports.end() || it->second == 0) return std::nullopt;
    return it->second;
  }
  // Overrides are keyed by port name; an unnamed port cannot be overridden.
  if (!port.name.empty()) {
    auto it = endpoint.ports.find(port.name);
    if (it != endpoint.ports.end() && it->second != 0) return it->second;
  }
  return port.target_port != 0 ? port.target_port : port.number;
}

std::string service_host(const Service& service, std::string_view cluster_domain) {
  if (!service.host.empty()) return service.host;
  std::string host = service.name;
  host.append(".").append(service.ns).append(".svc.").append(cluster_domain);
  return host;
}

bool in_subset(const Endpoint& endpoint, const Subset& subset) {
  for (const auto& [key, value] : subset.labels) {
    auto it = endpoint.labels.find(key);
    if (it == endpoint.labels.end() || it->second != value) return false;
  }
  return true;
}

}  // namespace meshgate::discovery
