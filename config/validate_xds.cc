// Checks on discovery.xds: where istiod is and the node this gateway
// presents (istiod refuses a stream whose node it cannot parse).
#include <fmt/format.h>

#include <charconv>

#include "base/ip.h"
#include "config/validate.h"

namespace meshgate::config {
namespace {

void add(base::Errors& errors, const std::string& path, std::optional<std::string> problem) {
  if (problem) errors.push_back({path, 0, std::move(*problem)});
}

// "host:port" or "[v6]:port", as gRPC dials it.
std::optional<std::string> check_address(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return "expected host:port";
  std::string_view host = address.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string_view port = address.substr(colon + 1);
  uint32_t number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (error != std::errc() || end != port.data() + port.size() || number == 0 || number > 65535) {
    return "expected host:port with a port 1..65535";
  }
  if (!check_ip_address(host) || !check_dns_name(host)) return std::nullopt;
  return fmt::format("'{}' is neither an IP address nor a DNS name", host.substr(0, 64));
}

// A part of the node id: no '~' (the id's separator); empty allowed (the
// environment may fill it).
std::optional<std::string> check_id_part(std::string_view value) {
  if (value.find('~') != std::string_view::npos) return "'~' separates the parts of the node id";
  return std::nullopt;
}

}  // namespace

base::Errors validate_xds(const XdsSource& xds) {
  base::Errors errors;
  if (!xds.enabled) return errors;
  const std::string path = "discovery.xds";
  add(errors, path + ".address", check_address(xds.address));
  if (!xds.server_name.empty()) add(errors, path + ".server_name", check_dns_name(xds.server_name));
  if (xds.root_cert.empty()) {
    errors.push_back({path + ".root_cert", 0, "the mesh root certificate file is required"});
  }
  add(errors, path + ".cluster_id", check_label_value(xds.cluster_id, "cluster ID"));
  add(errors, path + ".pod_name", check_id_part(xds.pod_name));
  add(errors, path + ".pod_namespace", check_id_part(xds.pod_namespace));
  if (!xds.pod_ip.empty()) add(errors, path + ".pod_ip", check_ip_address(xds.pod_ip));
  for (const auto& [key, value] : xds.labels) {
    add(errors, path + ".labels", check_label_key(key));
    add(errors, path + ".labels." + key, check_label_value(value, "label value"));
  }
  for (size_t i = 0; i < xds.requested_network_view.size(); ++i) {
    add(errors, fmt::format("{}.requested_network_view[{}]", path, i),
        check_network_name(xds.requested_network_view[i]));
  }
  for (size_t i = 0; i < xds.resolvers.size(); ++i) {
    if (!base::parse_ip_port(xds.resolvers[i], 53)) {
      errors.push_back({fmt::format("{}.resolvers[{}]", path, i), 0,
                        "expected ip, ip:port, ipv6 or [ipv6]:port"});
    }
  }
  return errors;
}

}  // namespace meshgate::config
