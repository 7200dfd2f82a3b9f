#include "discovery/kubernetes/decode.h"

#include "discovery/kubernetes/json_fields.h"

#include <fmt/format.h>

#include <cstddef>
#include <exception>
#include <utility>

namespace meshgate::discovery::kube {
namespace {

using namespace detail;  // NOLINT: the field readers

bool read_meta(const json& o, std::string_view path, ObjectMeta& m, std::string& err) {
  const json* md = nullptr;
  if (!read_object(o, "metadata", path, md, err)) return false;
  std::string p = at(path, "metadata");
  if (!read_string(*md, "name", p, m.name, err) || !read_string(*md, "namespace", p, m.ns, err) ||
      !read_string(*md, "resourceVersion", p, m.resource_version, err) ||
      !read_string(*md, "creationTimestamp", p, m.creation_timestamp, err) ||
      !read_labels(*md, "labels", p, m.labels, err)) {
    return false;
  }
  if (m.name.empty()) return fail(err, at(p, "name"), "missing");
  m.deleting = find(*md, "deletionTimestamp") != nullptr;
  return true;
}

bool decode(const json& o, std::string_view path, ServicePort& out, std::string& err) {
  if (!read_string(o, "name", path, out.name, err) ||
      !read_string(o, "protocol", path, out.protocol, err) ||
      !read_port(o, "port", path, /*required=*/true, out.port, err)) {
    return false;
  }
  const json* v = find(o, "targetPort");
  if (v == nullptr) return true;
  if (v->is_string() && !v->get_ref<const std::string&>().empty()) {
    out.target_port_name = v->get<std::string>();
  } else if (auto n = as_uint(*v, 1, 65535)) {
    out.target_port = static_cast<uint16_t>(*n);
  } else {
    return fail(err, at(path, "targetPort"), "expected an integer 1..65535 or a port name");
  }
  return true;
}

bool read_target_ref(const json& o, std::string_view path, std::optional<ObjectReference>& out,
                     std::string& err) {
  if (find(o, "targetRef") == nullptr) return true;
  const json* ref = nullptr;
  if (!read_object(o, "targetRef", path, ref, err)) return false;
  std::string p = at(path, "targetRef");
  ObjectReference r;
  if (!read_string(*ref, "kind", p, r.kind, err) || !read_string(*ref, "name", p, r.name, err) ||
      !read_string(*ref, "namespace", p, r.ns, err)) {
    return false;
  }
  out = std::move(r);
  return true;
}

bool decode(const json& o, std::string_view path, SliceEndpoint& out, std::string& err) {
  const json* cond = nullptr;
  if (!read_strings(o, "addresses", path, out.addresses, err) ||
      !read_object(o, "conditions", path, cond, err)) {
    return false;
  }
  if (out.addresses.empty() || out.addresses.size() > 100) {
    return fail(err, at(path, "addresses"), "expected 1..100 addresses");
  }
  std::string p = at(path, "conditions");
  return read_opt_bool(*cond, "ready", p, out.conditions.ready, err) &&
         read_opt_bool(*cond, "serving", p, out.conditions.serving, err) &&
         read_opt_bool(*cond, "terminating", p, out.conditions.terminating, err) &&
         read_target_ref(o, path, out.target_ref, err);
}

bool decode(const json& o, std::string_view path, SlicePort& out, std::string& err) {
  uint16_t port = 0;
  if (!read_string(o, "name", path, out.name, err) ||
      !read_string(o, "protocol", path, out.protocol, err) ||
      !read_port(o, "port", path, /*required=*/false, port, err)) {
    return false;
  }
  if (port != 0) out.port = port;
  return true;
}

bool decode(const json& o, std::string_view path, IstioPort& out, std::string& err) {
  return read_port(o, "number", path, /*required=*/true, out.number, err) &&
         read_string(o, "protocol", path, out.protocol, err) &&
         read_string(o, "name", path, out.name, err) &&
         read_port(o, "targetPort", path, /*required=*/false, out.target_port, err);
}

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

template <typename T>
bool read_list(const json& obj, const char* key, std::string_view path, std::vector<T>& out,
               std::string& err);

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

// The objects, declared for read_list (their parts are defined above it).
bool decode(const json& o, std::string_view path, Service& out, std::string& err);
bool decode(const json& o, std::string_view path, EndpointSlice& out, std::string& err);
bool decode(const json& o, std::string_view path, Pod& out, std::string& err);
bool decode(const json& o, std::string_view path, Namespace& out, std::string& err);
bool decode(const json& o, std::string_view path, ServiceEntry& out, std::string& err);
bool decode(const json& o, std::string_view path, WorkloadEntry& out, std::string& err);
bool decode(const json& o, std::string_view path, DestinationRule& out, std::string& err);
bool decode(const json& o, std::string_view path, Gateway& out, std::string& err);

// An array of objects, each decoded into a T; the first bad one fails it all.
template <typename T>
bool read_list(const json& obj, const char* key, std::string_view path, std::vector<T>& out,
               std::string& err) {
  const json* v = find(obj, key);
  if (v == nullptr) return true;
  std::string p = at(path, key);
  if (!v->is_array()) return fail(err, p, "expected an array");
  out.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    std::string ip = index(p, i);
    if (!(*v)[i].is_object()) return fail(err, ip, "expected an object");
    T item;
    if (!decode((*v)[i], ip, item, err)) return false;
    out.push_back(std::move(item));
  }
  return true;
}

// One annotation's value; the others (a pod's can be kilobytes) are not kept.
bool read_annotation(const json& o, std::string_view path, const char* key, std::string& out,
                     std::string& err) {
  const json* md = find(o, "metadata");
  const json* annotations = md == nullptr ? nullptr : find(*md, "annotations");
  if (annotations == nullptr) return true;
  std::string p = at(path, "metadata.annotations");
  if (!annotations->is_object()) return fail(err, p, "expected an object");
  return read_string(*annotations, key, p, out, err);
}

bool decode(const json& o, std::string_view path, Service& out, std::string& err) {
  const json* spec = nullptr;
  if (!read_meta(o, path, out.meta, err) || !read_object(o, "spec", path, spec, err) ||
      !read_annotation(o, path, "networking.istio.io/exportTo", out.export_to, err)) {
    return false;
  }
  std::string p = at(path, "spec");
  return read_string(*spec, "type", p, out.type, err) &&
         read_string(*spec, "clusterIP", p, out.cluster_ip, err) &&
         read_list(*spec, "ports", p, out.ports, err) &&
         read_labels(*spec, "selector", p, out.selector, err);
}

bool decode(const json& o, std::string_view path, EndpointSlice& out, std::string& err) {
  return read_meta(o, path, out.meta, err) &&
         read_string(o, "addressType", path, out.address_type, err) &&
         read_list(o, "endpoints", path, out.endpoints, err) &&
         read_list(o, "ports", path, out.ports, err);
}

bool read_pod_ips(const json& status, std::string_view path, std::vector<std::string>& out,
                  std::string& err) {
  const json* ips = find(status, "podIPs");
  std::string p = at(path, "podIPs");
  if (ips != nullptr && !ips->is_array()) return fail(err, p, "expected an array");
  for (size_t i = 0; ips != nullptr && i < ips->size(); ++i) {
    const json& entry = (*ips)[i];
    if (!entry.is_object()) return fail(err, index(p, i), "expected an object");
    std::string ip;
    if (!read_string(entry, "ip", index(p, i), ip, err)) return false;
    if (!ip.empty()) out.push_back(std::move(ip));
  }
  if (!out.empty()) return true;
  std::string ip;
  if (!read_string(status, "podIP", path, ip, err)) return false;
  if (!ip.empty()) out.push_back(std::move(ip));
  return true;
}

// status.conditions: true when the one of type Ready has status "True".
bool read_ready_condition(const json& status, std::string_view path, bool& out, std::string& err) {
  const json* conditions = find(status, "conditions");
  if (conditions == nullptr) return true;
  std::string p = at(path, "conditions");
  if (!conditions->is_array()) return fail(err, p, "expected an array");
  for (size_t i = 0; i < conditions->size(); ++i) {
    const json& condition = (*conditions)[i];
    if (!condition.is_object()) return fail(err, index(p, i), "expected an object");
    std::string type;
    std::string value;
    if (!read_string(condition, "type", index(p, i), type, err) ||
        !read_string(condition, "status", index(p, i), value, err)) {
      return false;
    }
    if (type == "Ready") out = value == "True";
  }
  return true;
}

// The named TCP container ports; the first container naming a port wins.
bool read_container_ports(const json& spec, std::string_view path,
                          std::map<std::string, uint32_t>& out, std::string& err) {
  const json* containers = find(spec, "containers");
  if (containers == nullptr) return true;
  std::string p = at(path, "containers");
  if (!containers->is_array()) return fail(err, p, "expected an array");
  for (size_t i = 0; i < containers->size(); ++i) {
    const json& container = (*containers)[i];
    const json* ports = container.is_object() ? find(container, "ports") : nullptr;
    if (ports == nullptr) continue;
    std::string pp = at(index(p, i), "ports");
    if (!ports->is_array()) return fail(err, pp, "expected an array");
    for (size_t j = 0; j < ports->size(); ++j) {
      const json& port = (*ports)[j];
      if (!port.is_object()) return fail(err, index(pp, j), "expected an object");
      std::string name;
      std::string protocol;
      uint32_t number = 0;
      if (!read_string(port, "name", index(pp, j), name, err) ||
          !read_string(port, "protocol", index(pp, j), protocol, err) ||
          !read_port(port, "containerPort", index(pp, j), /*required=*/false, number, err)) {
        return false;
      }
      if (!name.empty() && number != 0 && (protocol.empty() || protocol == "TCP")) {
        out.try_emplace(name, number);
      }
    }
  }
  return true;
}

bool decode(const json& o, std::string_view path, Pod& out, std::string& err) {
  const json* status = nullptr;
  if (!read_meta(o, path, out.meta, err) || !read_object(o, "status", path, status, err)) {
    return false;
  }
  if (const json* spec = find(o, "spec"); spec != nullptr) {
    if (!spec->is_object()) return fail(err, at(path, "spec"), "expected an object");
    if (!read_string(*spec, "nodeName", at(path, "spec"), out.node_name, err) ||
        !read_container_ports(*spec, at(path, "spec"), out.named_ports, err)) {
      return false;
    }
  }
  std::string p = at(path, "status");
  return read_pod_ips(*status, p, out.pod_ips, err) &&
         read_string(*status, "phase", p, out.phase, err) &&
         read_ready_condition(*status, p, out.ready, err);
}

bool decode(const json& o, std::string_view path, Namespace& out, std::string& err) {
  return read_meta(o, path, out.meta, err);
}

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

bool decode_status_at(const json& o, std::string_view path, Status& out, std::string& err) {
  std::string kind;
  std::optional<uint64_t> code;
  if (!read_string(o, "kind", path, kind, err)) return false;
  if (!kind.empty() && kind != "Status") return fail(err, at(path, "kind"), "expected \"Status\"");
  if (!read_uint(o, "code", path, 0, 999, /*required=*/false, code, err) ||
      !read_string(o, "reason", path, out.reason, err) ||
      !read_string(o, "message", path, out.message, err)) {
    return false;
  }
  out.code = static_cast<int>(code.value_or(0));
  return true;
}

std::optional<EventType> event_type(std::string_view s) {
  if (s == "ADDED") return EventType::kAdded;
  if (s == "MODIFIED") return EventType::kModified;
  if (s == "DELETED") return EventType::kDeleted;
  if (s == "BOOKMARK") return EventType::kBookmark;
  if (s == "ERROR") return EventType::kError;
  return std::nullopt;
}

// A BOOKMARK's object carries only its kind and metadata.resourceVersion.
bool decode_bookmark(const json& obj, std::string& rv, std::string& err) {
  const json* md = nullptr;
  if (!read_object(obj, "metadata", "object", md, err) ||
      !read_string(*md, "resourceVersion", "object.metadata", rv, err)) {
    return false;
  }
  if (rv.empty()) return fail(err, "object.metadata.resourceVersion", "missing");
  return true;
}

template <typename T>
bool decode_event_at(const json& doc, Event<T>& ev, std::string& err) {
  std::string type;
  if (!read_string(doc, "type", "", type, err)) return false;
  std::optional<EventType> t = event_type(type);
  if (!t) {
    std::string_view shown = std::string_view(type).substr(0, kMaxQuoted);
    return fail(err, "type", fmt::format("unknown event type \"{}\"", shown));
  }
  ev.type = *t;
  const json* obj = find(doc, "object");
  if (obj == nullptr || !obj->is_object()) return fail(err, "object", "expected an object");
  if (ev.type == EventType::kBookmark) return decode_bookmark(*obj, ev.resource_version, err);
  if (ev.type == EventType::kError) {
    Status status;
    if (!decode_status_at(*obj, "object", status, err)) return false;
    ev.status = std::move(status);
    return true;
  }
  T object;
  if (!decode(*obj, "object", object, err)) return false;
  ev.resource_version = object.meta.resource_version;
  ev.object = std::move(object);
  return true;
}

template <typename T>
bool decode_list_at(const json& doc, List<T>& list, std::string& err) {
  const json* md = nullptr;
  if (!read_object(doc, "metadata", "", md, err) ||
      !read_string(*md, "resourceVersion", "metadata", list.resource_version, err) ||
      !read_string(*md, "continue", "metadata", list.continue_token, err)) {
    return false;
  }
  auto items = doc.find("items");  // always sent, [] when empty; null reads as []
  if (items == doc.end()) return fail(err, "items", "missing");
  return read_list(doc, "items", "", list.items, err);
}

// Parses `text` and runs `fill` on it; no exception leaves.
template <typename R, typename Fill>
Decoded<R> run(std::string_view text, Fill fill) {
  Decoded<R> out;
  try {
    std::optional<json> doc = parse_object(text, out.error);
    if (!doc) return out;
    R value;
    if (fill(*doc, value, out.error)) {
      out.value = std::move(value);
    } else if (out.error.empty()) {
      out.error = "invalid object";
    }
  } catch (const std::exception& e) {
    out.value.reset();
    out.error = fmt::format("decode failed: {}", e.what());
  }
  return out;
}

}  // namespace

template <typename T>
Decoded<T> decode_object(std::string_view json_text) {
  return run<T>(json_text, [](const json& doc, T& value, std::string& err) {
    return decode(doc, "", value, err);
  });
}

template <typename T>
Decoded<List<T>> decode_list(std::string_view json_text) {
  return run<List<T>>(json_text, [](const json& doc, List<T>& value, std::string& err) {
    return decode_list_at(doc, value, err);
  });
}

template <typename T>
Decoded<Event<T>> decode_event(std::string_view json_text) {
  return run<Event<T>>(json_text, [](const json& doc, Event<T>& value, std::string& err) {
    return decode_event_at(doc, value, err);
  });
}

std::string describe_refusal(int status, std::string_view body) {
  std::string out = "the API server answered " + std::to_string(status);
  std::string ignored;
  const std::optional<json> answer = parse_object(body, ignored);
  const json* message = answer ? find(*answer, "message") : nullptr;
  if (message != nullptr && message->is_string()) {
    out += ": " + message->get<std::string>().substr(0, 512);
  }
  return out;
}

Decoded<Status> decode_status(std::string_view json_text) {
  return run<Status>(json_text, [](const json& doc, Status& value, std::string& err) {
    return decode_status_at(doc, "", value, err);
  });
}

#define MESHGATE_KUBE_DECODERS(T)                             \
  template Decoded<T> decode_object<T>(std::string_view);     \
  template Decoded<List<T>> decode_list<T>(std::string_view); \
  template Decoded<Event<T>> decode_event<T>(std::string_view);

MESHGATE_KUBE_DECODERS(Service)
MESHGATE_KUBE_DECODERS(EndpointSlice)
MESHGATE_KUBE_DECODERS(Pod)
MESHGATE_KUBE_DECODERS(Namespace)
MESHGATE_KUBE_DECODERS(ServiceEntry)
MESHGATE_KUBE_DECODERS(WorkloadEntry)
MESHGATE_KUBE_DECODERS(DestinationRule)
MESHGATE_KUBE_DECODERS(Gateway)

#undef MESHGATE_KUBE_DECODERS

}  // namespace meshgate::discovery::kube
