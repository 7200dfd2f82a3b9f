// The networking.istio.io objects meshgate reads: ServiceEntry, WorkloadEntry,
// DestinationRule and Gateway, with their parts (decode_parts.h).
#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "discovery/kubernetes/decode_parts.h"

namespace meshgate::discovery::kube::detail {

bool decode(const json& o, std::string_view path, IstioPort& out, std::string& err) {
  return read_port(o, "number", path, /*required=*/true, out.number, err) &&
         read_string(o, "protocol", path, out.protocol, err) &&
         read_string(o, "name", path, out.name, err) &&
         read_port(o, "targetPort", path, /*required=*/false, out.target_port, err);
}

namespace {

bool read_named_ports(const json& o, std::string_view path, std::map<std::string, uint32_t>& out,
                      std::string& err) {
  const json* v = find(o, "ports");
  if (v == nullptr) return true;
  std::string p = at(path, "ports");
  if (!v->is_object()) return fail(err, p, "expected an object of port numbers");
  for (const auto& [name, number] : v->items()) {
    auto n = as_uint(number, 1, 65535);
    if (!n) return fail(err, fmt::format("{}[\"{}\"]", p, name), "expected an integer 1..65535");
    out.insert_or_assign(name, static_cast<uint32_t>(*n));
  }
  return true;
}

}  // namespace

bool decode(const json& o, std::string_view path, WorkloadEntrySpec& out, std::string& err) {
  std::optional<uint64_t> weight;
  if (!read_string(o, "address", path, out.address, err) ||
      !read_named_ports(o, path, out.ports, err) ||
      !read_labels(o, "labels", path, out.labels, err) ||
      !read_string(o, "network", path, out.network, err) ||
      !read_uint(o, "weight", path, 0, kMaxUint32, /*required=*/false, weight, err) ||
      !read_string(o, "serviceAccount", path, out.service_account, err) ||
      !read_string(o, "locality", path, out.locality, err)) {
    return false;
  }
  out.weight = static_cast<uint32_t>(weight.value_or(0));
  return true;
}

bool decode(const json& o, std::string_view path, PortTls& out, std::string& err) {
  const json* port = nullptr;
  if (!read_object(o, "port", path, port, err) ||
      !read_port(*port, "number", at(path, "port"), /*required=*/false, out.port, err)) {
    return false;
  }
  const json* tls = find(o, "tls");
  if (tls == nullptr) return true;
  if (!tls->is_object()) return fail(err, at(path, "tls"), "expected an object");
  return read_string(*tls, "mode", at(path, "tls"), out.mode, err);
}

namespace {

// The TLS modes of a trafficPolicy (absent: none set).
bool read_tls_policy(const json& o, std::string_view path, TlsPolicy& out, std::string& err) {
  const json* policy = find(o, "trafficPolicy");
  if (policy == nullptr) return true;
  std::string p = at(path, "trafficPolicy");
  if (!policy->is_object()) return fail(err, p, "expected an object");
  out.set = true;
  if (const json* tls = find(*policy, "tls"); tls != nullptr) {
    if (!tls->is_object()) return fail(err, at(p, "tls"), "expected an object");
    if (!read_string(*tls, "mode", at(p, "tls"), out.mode, err)) return false;
  }
  return read_list(*policy, "portLevelSettings", p, out.ports, err);
}

}  // namespace

bool decode(const json& o, std::string_view path, Subset& out, std::string& err) {
  return read_string(o, "name", path, out.name, err) &&
         read_labels(o, "labels", path, out.labels, err) && read_tls_policy(o, path, out.tls, err);
}

bool decode(const json& o, std::string_view path, GatewayServer& out, std::string& err) {
  const json* port = nullptr;
  if (!read_object(o, "port", path, port, err)) return false;
  std::string p = at(path, "port");
  if (!read_port(*port, "number", p, /*required=*/true, out.port, err) ||
      !read_string(*port, "name", p, out.port_name, err) ||
      !read_string(*port, "protocol", p, out.protocol, err) ||
      !read_strings(o, "hosts", path, out.hosts, err)) {
    return false;
  }
  const json* tls = find(o, "tls");
  if (tls == nullptr) return true;
  if (!tls->is_object()) return fail(err, at(path, "tls"), "expected an object");
  return read_string(*tls, "mode", at(path, "tls"), out.tls_mode, err);
}

namespace {

bool read_workload_selector(const json& spec, std::string_view path, std::optional<Labels>& out,
                            std::string& err) {
  if (find(spec, "workloadSelector") == nullptr) return true;
  const json* sel = nullptr;
  if (!read_object(spec, "workloadSelector", path, sel, err)) return false;
  Labels labels;
  if (!read_labels(*sel, "labels", at(path, "workloadSelector"), labels, err)) return false;
  out = std::move(labels);
  return true;
}

}  // namespace

bool decode(const json& o, std::string_view path, ServiceEntry& out, std::string& err) {
  const json* spec = nullptr;
  if (!read_meta(o, path, out.meta, err) || !read_object(o, "spec", path, spec, err)) return false;
  std::string p = at(path, "spec");
  out.location = "MESH_EXTERNAL";  // the API's defaults
  out.resolution = "NONE";
  return read_strings(*spec, "hosts", p, out.hosts, err) &&
         read_strings(*spec, "addresses", p, out.addresses, err) &&
         read_list(*spec, "ports", p, out.ports, err) &&
         read_string(*spec, "location", p, out.location, err) &&
         read_string(*spec, "resolution", p, out.resolution, err) &&
         read_list(*spec, "endpoints", p, out.endpoints, err) &&
         read_workload_selector(*spec, p, out.workload_selector, err) &&
         read_strings(*spec, "exportTo", p, out.export_to, err);
}

bool decode(const json& o, std::string_view path, WorkloadEntry& out, std::string& err) {
  const json* spec = nullptr;
  return read_meta(o, path, out.meta, err) && read_object(o, "spec", path, spec, err) &&
         decode(*spec, at(path, "spec"), out.spec, err);
}

bool decode(const json& o, std::string_view path, DestinationRule& out, std::string& err) {
  const json* spec = nullptr;
  if (!read_meta(o, path, out.meta, err) || !read_object(o, "spec", path, spec, err)) return false;
  std::string p = at(path, "spec");
  out.workload_selector = find(*spec, "workloadSelector") != nullptr;
  return read_string(*spec, "host", p, out.host, err) &&
         read_list(*spec, "subsets", p, out.subsets, err) &&
         read_strings(*spec, "exportTo", p, out.export_to, err) &&
         read_tls_policy(*spec, p, out.tls, err);
}

bool decode(const json& o, std::string_view path, Gateway& out, std::string& err) {
  const json* spec = nullptr;
  if (!read_meta(o, path, out.meta, err) || !read_object(o, "spec", path, spec, err)) return false;
  std::string p = at(path, "spec");
  return read_labels(*spec, "selector", p, out.selector, err) &&
         read_list(*spec, "servers", p, out.servers, err);
}

}  // namespace meshgate::discovery::kube::detail
