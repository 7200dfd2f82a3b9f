// The stand-in's GET of one namespaced object, as the API reference
// documents it ("API Concepts": resource URIs): GET
// /api/<version>/namespaces/<ns>/<plural>/<name> or
// /apis/<group>/<version>/namespaces/<ns>/<plural>/<name> answers 200 and
// the object; 404 NotFound `<plural> "<name>" not found` when there is none;
// a refused read says which object and which verb, as the real server does.
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/kube_apiserver_wire.h"

namespace meshgate::testing::detail {
namespace {

constexpr std::string_view kServiceAccount = "system:serviceaccount:istio-system:meshgate";

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.starts_with('/')) return parts;
  path.remove_prefix(1);
  for (std::size_t slash; (slash = path.find('/')) != std::string_view::npos;) {
    parts.push_back(path.substr(0, slash));
    path.remove_prefix(slash + 1);
  }
  parts.push_back(path);
  return parts;
}

Json object_details(const ObjectTarget& target) {
  Json details = {{"name", target.name}};
  const std::optional<Resource> resource = parse_resource(target.collection);
  if (resource && !resource->group.empty()) details["group"] = resource->group;
  if (resource) details["kind"] = resource->plural;
  return details;
}

}  // namespace

std::optional<ObjectTarget> object_target(std::string_view path) {
  const std::vector<std::string_view> parts = segments(path);
  // api/v1/namespaces/NS/PLURAL/NAME or apis/GROUP/V/namespaces/NS/PLURAL/NAME
  const std::size_t base = parts.size() == 6 && parts[0] == "api"    ? 2
                           : parts.size() == 7 && parts[0] == "apis" ? 3
                                                                     : 0;
  if (base == 0 || parts[base] != "namespaces") return std::nullopt;
  for (std::string_view part : parts) {
    if (part.empty()) return std::nullopt;
  }
  std::string collection;
  for (std::size_t i = 0; i < base; ++i) {
    collection += "/" + std::string(parts[i]);
  }
  collection += "/" + std::string(parts[base + 2]);
  return ObjectTarget{collection, std::string(parts[base + 1]), std::string(parts[base + 3])};
}

Json object_not_found(const ObjectTarget& target) {
  const std::optional<Resource> resource = parse_resource(target.collection);
  const std::string plural = resource ? resource->plural : "";
  return failure(404, plural + " \"" + target.name + "\" not found", object_details(target));
}

Json object_forbidden(const ObjectTarget& target) {
  const std::optional<Resource> resource = parse_resource(target.collection);
  const std::string group = resource ? resource->group : "";
  const std::string plural = resource ? resource->plural : "";
  const std::string qualified = group.empty() ? plural : plural + "." + group;
  return failure(403,
                 qualified + " \"" + target.name + "\" is forbidden: User \"" +
                     std::string(kServiceAccount) + "\" cannot get resource \"" + plural +
                     "\" in API group \"" + group + "\" in the namespace \"" + target.ns + "\"",
                 object_details(target));
}

}  // namespace meshgate::testing::detail
