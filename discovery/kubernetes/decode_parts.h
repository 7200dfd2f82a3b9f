// Internal to decode.cc and decode_istio.cc: the decoder of every part of
// every object, declared together so that read_list, which decodes an array
// of any of them, sees them all. Not for use outside this folder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "discovery/kubernetes/json_fields.h"
#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube::detail {

// metadata: name (required), namespace, resourceVersion, creationTimestamp,
// labels, and whether deletionTimestamp is set.
bool read_meta(const json& o, std::string_view path, ObjectMeta& m, std::string& err);

// Each decodes the object `o` at `path` into `out`; false with `err` set
// (naming the field) on the first field of the wrong type or out of range.
bool decode(const json& o, std::string_view path, ServicePort& out, std::string& err);
bool decode(const json& o, std::string_view path, SliceEndpoint& out, std::string& err);
bool decode(const json& o, std::string_view path, SlicePort& out, std::string& err);
bool decode(const json& o, std::string_view path, Service& out, std::string& err);
bool decode(const json& o, std::string_view path, EndpointSlice& out, std::string& err);
bool decode(const json& o, std::string_view path, Pod& out, std::string& err);
bool decode(const json& o, std::string_view path, Namespace& out, std::string& err);
// networking.istio.io (decode_istio.cc).
bool decode(const json& o, std::string_view path, IstioPort& out, std::string& err);
bool decode(const json& o, std::string_view path, WorkloadEntrySpec& out, std::string& err);
bool decode(const json& o, std::string_view path, PortTls& out, std::string& err);
bool decode(const json& o, std::string_view path, Subset& out, std::string& err);
bool decode(const json& o, std::string_view path, GatewayServer& out, std::string& err);
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

}  // namespace meshgate::discovery::kube::detail
