// An immutable, versioned view of the whole registry, shared read-only by
// every thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "discovery/model.h"

namespace meshgate::discovery {

class Snapshot {
 public:
  Snapshot(uint64_t version, std::vector<Service> services, std::vector<HostAlias> aliases);

  uint64_t version() const { return version_; }
  std::chrono::system_clock::time_point created() const { return created_; }
  // Sorted by (namespace, name).
  const std::vector<Service>& services() const { return services_; }
  // Sorted by host.
  const std::vector<HostAlias>& aliases() const { return aliases_; }

  const Service* find_service(std::string_view ns, std::string_view name) const;

 private:
  uint64_t version_;
  std::chrono::system_clock::time_point created_;
  std::vector<Service> services_;
  std::vector<HostAlias> aliases_;
};

using SnapshotPtr = std::shared_ptr<const Snapshot>;

}  // namespace meshgate::discovery
