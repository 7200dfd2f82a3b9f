// An immutable, versioned view of the whole registry, shared read-only by
// every thread. Services are held by shared pointer so that a snapshot
// shares every service that did not change with the one before it: a change
// to one service costs one service, not the mesh.
#pragma once

#include <boost/iterator/indirect_iterator.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "discovery/model.h"

namespace meshgate::discovery {

// A read-only list of shared services that reads like std::vector<Service>.
class ServiceList {
 public:
  using iterator = boost::indirect_iterator<std::vector<ServicePtr>::const_iterator>;
  using const_iterator = iterator;
  using reverse_iterator = std::reverse_iterator<iterator>;

  ServiceList() = default;
  explicit ServiceList(std::vector<ServicePtr> items) : items_(std::move(items)) {}

  iterator begin() const { return iterator(items_.begin()); }
  iterator end() const { return iterator(items_.end()); }
  reverse_iterator rbegin() const { return reverse_iterator(end()); }
  reverse_iterator rend() const { return reverse_iterator(begin()); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const Service& operator[](std::size_t i) const { return *items_[i]; }
  const Service& at(std::size_t i) const { return *items_.at(i); }
  const std::vector<ServicePtr>& pointers() const { return items_; }

  // Equal services, compared by pointer first: shared ones cost nothing.
  bool operator==(const ServiceList& other) const;

 private:
  std::vector<ServicePtr> items_;
};

// A snapshot's contents shared with other snapshots: `services` sorted by
// (namespace, name) and `aliases` by host, as the Registry merges them.
struct SharedParts {
  std::vector<ServicePtr> services;
  AliasesPtr aliases;
};

class Snapshot {
 public:
  Snapshot(uint64_t version, std::vector<Service> services, std::vector<HostAlias> aliases);
  Snapshot(uint64_t version, SharedParts parts);

  uint64_t version() const { return version_; }
  std::chrono::system_clock::time_point created() const { return created_; }
  // Sorted by (namespace, name); equal keys keep their given order.
  const ServiceList& services() const { return services_; }
  // Sorted by host.
  const std::vector<HostAlias>& aliases() const { return *aliases_; }
  // The same, shared: equal aliases in two snapshots from one Registry are
  // one object, so a reader can tell that they did not change.
  const AliasesPtr& shared_aliases() const { return aliases_; }

  const Service* find_service(std::string_view ns, std::string_view name) const;

 private:
  uint64_t version_;
  std::chrono::system_clock::time_point created_;
  ServiceList services_;
  AliasesPtr aliases_;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

// Sorts by (namespace, name), keeping the order of equal keys; does nothing
// to a list already in order.
void sort_by_key(std::vector<ServicePtr>& services);

// (namespace, name) of a < of b.
bool key_less(const Service& a, const Service& b);

// The pointer `previous` (sorted by key) holds for a service equal to
// `service`, else a new one.
ServicePtr reuse(Service service, const std::vector<ServicePtr>& previous);

// `services` shared (each through reuse()), sorted by key.
std::vector<ServicePtr> share(std::vector<Service> services,
                              const std::vector<ServicePtr>& previous = {});

// a.host < b.host: the order a snapshot keeps its aliases in.
bool host_less(const HostAlias& a, const HostAlias& b);

// Sorts aliases by host, keeping the order of equal hosts; does nothing to
// a list already in order.
void sort_by_host(std::vector<HostAlias>& aliases);

// `aliases` sorted by host and shared: `previous` itself when equal to it.
AliasesPtr share(std::vector<HostAlias> aliases, const AliasesPtr& previous = nullptr);

}  // namespace meshgate::discovery
