#include "discovery/registry.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <utility>

namespace meshgate::discovery {
namespace {

// Conflicts named in the warning; the rest are only counted.
constexpr size_t kConflictsLogged = 5;

struct Merged {
  std::vector<Service> services;
  std::vector<HostAlias> aliases;
  std::vector<std::string> conflicts;  // one description per dropped item
};

void merge_source(const std::string& source, const SourceState& state,
                  std::set<std::pair<std::string, std::string>>& service_keys,
                  std::set<std::string>& alias_hosts, Merged& merged) {
  for (const Service& service : state.services) {
    if (service_keys.emplace(service.ns, service.name).second) {
      merged.services.push_back(service);
    } else {
      merged.conflicts.push_back("service " + service.ns + "/" + service.name + " from " + source);
    }
  }
  for (const HostAlias& alias : state.aliases) {
    if (alias_hosts.insert(alias.host).second) {
      merged.aliases.push_back(alias);
    } else {
      merged.conflicts.push_back("alias " + alias.host + " from " + source);
    }
  }
}

// Sources in add order; the first to define a service or alias host keeps it.
Merged merge(const std::vector<std::pair<std::string, std::optional<SourceState>>>& sources) {
  Merged merged;
  std::set<std::pair<std::string, std::string>> service_keys;
  std::set<std::string> alias_hosts;
  for (const auto& [source, state] : sources) {
    if (state) merge_source(source, *state, service_keys, alias_hosts, merged);
  }
  return merged;
}

void log_conflicts(const std::string& source, const std::vector<std::string>& conflicts) {
  std::string names;
  for (size_t i = 0; i < conflicts.size() && i < kConflictsLogged; ++i) {
    names += (i == 0 ? "" : ", ") + conflicts[i];
  }
  if (conflicts.size() > kConflictsLogged) names += ", ...";
  spdlog::warn(
      "discovery: update from {}: {} item(s) dropped, already defined by an earlier source: {}",
      source, conflicts.size(), names);
}

}  // namespace

Registry::Registry()
    : current_(
          std::make_shared<const Snapshot>(0, std::vector<Service>{}, std::vector<HostAlias>{})) {}

void Registry::add_source(const std::string& source) {
  std::lock_guard lock(mutex_);
  auto known = std::find_if(sources_.begin(), sources_.end(),
                            [&](const auto& entry) { return entry.first == source; });
  if (known == sources_.end()) sources_.emplace_back(source, std::nullopt);
}

void Registry::update(const std::string& source, SourceState state) {
  std::lock_guard publish_lock(publish_mutex_);
  SnapshotPtr next = replace_and_merge(source, std::move(state));
  if (!next) return;
  // Subscribers run outside mutex_ so that they may read stats() and synced().
  for (const Subscriber& subscriber : subscribers_)
    subscriber(next);
}

void Registry::remove_source(const std::string& source) {
  std::lock_guard publish_lock(publish_mutex_);
  SnapshotPtr next;
  {
    std::lock_guard lock(mutex_);
    const auto removed =
        std::erase_if(sources_, [&](const auto& known) { return known.first == source; });
    if (removed == 0) return;
    next = merge_locked(source);
  }
  if (!next) return;
  for (const Subscriber& subscriber : subscribers_)
    subscriber(next);
}

SnapshotPtr Registry::replace_and_merge(const std::string& source, SourceState state) {
  std::lock_guard lock(mutex_);
  auto entry = std::find_if(sources_.begin(), sources_.end(),
                            [&](const auto& known) { return known.first == source; });
  if (entry == sources_.end()) entry = sources_.insert(sources_.end(), {source, std::nullopt});
  entry->second = std::move(state);
  return merge_locked(source);
}

SnapshotPtr Registry::merge_locked(const std::string& source) {
  Merged merged = merge(sources_);
  if (!merged.conflicts.empty()) {
    stats_.conflicts += merged.conflicts.size();
    log_conflicts(source, merged.conflicts);
  }
  SnapshotPtr current = std::atomic_load(&current_);
  auto next = std::make_shared<const Snapshot>(current->version() + 1, std::move(merged.services),
                                               std::move(merged.aliases));
  if (next->services() == current->services() && next->aliases() == current->aliases()) {
    return nullptr;
  }
  std::atomic_store(&current_, next);
  ++stats_.publishes;
  return next;
}

SnapshotPtr Registry::snapshot() const {
  return std::atomic_load(&current_);
}

bool Registry::synced() const {
  std::lock_guard lock(mutex_);
  return std::all_of(sources_.begin(), sources_.end(),
                     [](const auto& entry) { return entry.second.has_value(); });
}

void Registry::subscribe(Subscriber subscriber) {
  // Under publish_mutex_, no publish can slip between the first call and the
  // registration: the subscriber sees every version from the current one on.
  std::lock_guard publish_lock(publish_mutex_);
  subscriber(std::atomic_load(&current_));
  subscribers_.push_back(std::move(subscriber));
}

RegistryStats Registry::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace meshgate::discovery
