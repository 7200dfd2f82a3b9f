#include "discovery/snapshot.h"

#include <algorithm>
#include <tuple>
#include <utility>

namespace meshgate::discovery {
namespace {

auto service_key(const Service& service) {
  return std::tuple<std::string_view, std::string_view>(service.ns, service.name);
}

}  // namespace

Snapshot::Snapshot(uint64_t version, std::vector<Service> services, std::vector<HostAlias> aliases)
    : version_(version),
      created_(std::chrono::system_clock::now()),
      services_(std::move(services)),
      aliases_(std::move(aliases)) {
  std::sort(services_.begin(), services_.end(),
            [](const Service& a, const Service& b) { return service_key(a) < service_key(b); });
  std::sort(aliases_.begin(), aliases_.end(),
            [](const HostAlias& a, const HostAlias& b) { return a.host < b.host; });
}

const Service* Snapshot::find_service(std::string_view ns, std::string_view name) const {
  const auto key = std::tuple(ns, name);
  auto it = std::lower_bound(
      services_.begin(), services_.end(), key,
      [](const Service& service, const auto& wanted) { return service_key(service) < wanted; });
  if (it == services_.end() || service_key(*it) != key) return nullptr;
  return &*it;
}

}  // namespace meshgate::discovery
