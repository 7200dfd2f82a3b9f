#include "discovery/kubernetes/decode.h"

#include <fmt/format.h>

#include <cstddef>
#include <exception>
#include <utility>

#include "discovery/kubernetes/decode_parts.h"

namespace meshgate::discovery::kube::detail {

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

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

namespace {

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

}  // namespace

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

}  // namespace meshgate::discovery::kube::detail

namespace meshgate::discovery::kube {
namespace {

using namespace detail;  // NOLINT: the field readers and the decoders

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
