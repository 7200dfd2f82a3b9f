// Merges the state of every discovery source into one immutable Snapshot and
// publishes it atomically. Readers on any thread call snapshot(); nothing on
// the data path takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "discovery/model.h"
#include "discovery/snapshot.h"

namespace meshgate::discovery {

struct RegistryStats {
  uint64_t publishes = 0;  // snapshots published
  uint64_t conflicts = 0;  // services or aliases dropped because an earlier source had them
};

class Registry {
 public:
  using Subscriber = std::function<void(const SnapshotPtr&)>;

  Registry();

  // Declares a source. Sources merge in the order they were added: when two
  // define the same service (namespace/name) or alias host, the earlier wins.
  // synced() is true once every added source has called update() once.
  // Adding a source twice changes nothing.
  void add_source(const std::string& source);

  // Replaces the full state of `source` and publishes a new snapshot if the
  // merged result changed. Thread-safe; publishes are serialized. A source
  // never added is added now, after all others. A service equal to the one
  // of the same key the source had before keeps its shared copy.
  void update(const std::string& source, SourceState state);
  // The same for a source that shares its services: a pointer it sent before
  // is taken as unchanged without comparing, so a change costs what changed
  // plus a pass over the pointers.
  void update_shared(const std::string& source, SharedSourceState state);

  // Forgets `source` and its state (a reload dropped it), publishing the
  // merged result if it changed. Thread-safe.
  void remove_source(const std::string& source);

  // The current snapshot; never null (version 0 and empty before any update).
  SnapshotPtr snapshot() const;
  bool synced() const;

  // Called with the current snapshot at once, then on every publish, on the
  // publishing thread, one call at a time. A subscriber may call snapshot(),
  // synced() and stats(), but not update() or subscribe() (they would deadlock).
  void subscribe(Subscriber subscriber);

  RegistryStats stats() const;

 private:
  using Sources = std::vector<std::pair<std::string, std::optional<SharedSourceState>>>;

  void publish(const SnapshotPtr& next);
  // Stores `state` (services sorted by key) for `source` and returns the
  // snapshot to publish, or null when the merged result equals the current one.
  SnapshotPtr replace_and_merge(const std::string& source, SharedSourceState state);
  // Merges every source (mutex_ held); `source` names the change in logs.
  SnapshotPtr merge_locked(const std::string& source);

  std::mutex publish_mutex_;  // serializes update() and subscribe(); guards subscribers_
  std::vector<Subscriber> subscribers_;
  mutable std::mutex mutex_;  // guards sources_ and stats_
  Sources sources_;
  RegistryStats stats_;
  // Read and written only with std::atomic_load/atomic_store: libstdc++ 12's
  // std::atomic<std::shared_ptr> releases its lock relaxed, which
  // ThreadSanitizer reports as a race (google/sanitizers#1558).
  SnapshotPtr current_;
};

}  // namespace meshgate::discovery
