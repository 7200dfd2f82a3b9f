#include "discovery/snapshot.h"

#include <algorithm>
#include <cassert>
#include <tuple>
#include <utility>

namespace meshgate::discovery {
namespace {

auto service_key(const Service& service) {
  return std::tuple<std::string_view, std::string_view>(service.ns, service.name);
}

}  // namespace

bool key_less(const Service& a, const Service& b) {
  return service_key(a) < service_key(b);
}

void sort_by_key(std::vector<ServicePtr>& services) {
  const auto less = [](const ServicePtr& a, const ServicePtr& b) { return key_less(*a, *b); };
  if (!std::is_sorted(services.begin(), services.end(), less)) {
    std::stable_sort(services.begin(), services.end(), less);
  }
}

bool ServiceList::operator==(const ServiceList& other) const {
  return std::equal(items_.begin(), items_.end(), other.items_.begin(), other.items_.end(),
                    [](const ServicePtr& a, const ServicePtr& b) { return a == b || *a == *b; });
}

bool host_less(const HostAlias& a, const HostAlias& b) {
  return a.host < b.host;
}

void sort_by_host(std::vector<HostAlias>& aliases) {
  if (!std::is_sorted(aliases.begin(), aliases.end(), host_less)) {
    std::stable_sort(aliases.begin(), aliases.end(), host_less);
  }
}

ServicePtr reuse(Service service, const std::vector<ServicePtr>& previous) {
  auto it = std::lower_bound(previous.begin(), previous.end(), service,
                             [](const ServicePtr& a, const Service& b) { return key_less(*a, b); });
  if (it != previous.end() && **it == service) return *it;
  return std::make_shared<const Service>(std::move(service));
}

std::vector<ServicePtr> share(std::vector<Service> services,
                              const std::vector<ServicePtr>& previous) {
  std::vector<ServicePtr> shared;
  shared.reserve(services.size());
  for (Service& service : services)
    shared.push_back(reuse(std::move(service), previous));
  sort_by_key(shared);
  return shared;
}

AliasesPtr share(std::vector<HostAlias> aliases, const AliasesPtr& previous) {
  sort_by_host(aliases);
  if (previous && *previous == aliases) return previous;
  return std::make_shared<const std::vector<HostAlias>>(std::move(aliases));
}

Snapshot::Snapshot(uint64_t version, std::vector<Service> services, std::vector<HostAlias> aliases)
    : Snapshot(version, SharedParts{share(std::move(services)), share(std::move(aliases))}) {}

Snapshot::Snapshot(uint64_t version, SharedParts parts)
    : version_(version),
      created_(std::chrono::system_clock::now()),
      services_(std::move(parts.services)),
      aliases_(parts.aliases ? std::move(parts.aliases)
                             : std::make_shared<const std::vector<HostAlias>>()) {
  assert(std::is_sorted(services_.pointers().begin(), services_.pointers().end(),
                        [](const ServicePtr& a, const ServicePtr& b) { return key_less(*a, *b); }));
}

const Service* Snapshot::find_service(std::string_view ns, std::string_view name) const {
  const auto key = std::tuple(ns, name);
  const auto& items = services_.pointers();
  auto it = std::lower_bound(
      items.begin(), items.end(), key,
      [](const ServicePtr& service, const auto& wanted) { return service_key(*service) < wanted; });
  if (it == items.end() || service_key(**it) != key) return nullptr;
  return it->get();
}

}  // namespace meshgate::discovery
