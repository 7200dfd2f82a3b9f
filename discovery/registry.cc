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
  std::vector<ServicePtr> services;
  AliasesPtr aliases;                  // null: none
  std::vector<std::string> conflicts;  // one description per dropped item
};

using Sources = std::vector<std::pair<std::string, std::optional<SharedSourceState>>>;

bool same_key(const Service& a, const Service& b) {
  return a.ns == b.ns && a.name == b.name;
}

// Every source's services (each sorted by key) in add order, stably sorted
// by key: the first of equal keys is the earliest source's first. One
// source alone is in order already.
void merge_services(const Sources& sources, Merged& merged) {
  std::vector<std::pair<const ServicePtr*, const std::string*>> all;
  std::size_t contributing = 0;
  for (const auto& [source, state] : sources) {
    if (!state || state->services.empty()) continue;
    ++contributing;
    for (const ServicePtr& service : state->services)
      all.emplace_back(&service, &source);
  }
  if (contributing > 1) {
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& a, const auto& b) { return key_less(**a.first, **b.first); });
  }
  merged.services.reserve(all.size());
  for (const auto& [service, source] : all) {
    if (!merged.services.empty() && same_key(*merged.services.back(), **service)) {
      merged.conflicts.push_back("service " + (*service)->ns + "/" + (*service)->name + " from " +
                                 *source);
      continue;
    }
    merged.services.push_back(*service);
  }
}

bool unique_hosts(const std::vector<HostAlias>& sorted) {
  return std::adjacent_find(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
           return a.host == b.host;
         }) == sorted.end();
}

// The first source (and within it the first entry) to name a host keeps
// it. One source alone, with no host twice, is shared as it is.
void merge_aliases(const Sources& sources, Merged& merged) {
  std::vector<const std::pair<std::string, std::optional<SharedSourceState>>*> with;
  for (const auto& entry : sources) {
    if (entry.second && entry.second->aliases && !entry.second->aliases->empty()) {
      with.push_back(&entry);
    }
  }
  if (with.empty()) return;
  if (with.size() == 1 && unique_hosts(*with.front()->second->aliases)) {
    merged.aliases = with.front()->second->aliases;
    return;
  }
  std::vector<HostAlias> out;
  std::set<std::string_view> hosts;
  for (const auto* entry : with) {
    for (const HostAlias& alias : *entry->second->aliases) {
      if (hosts.insert(alias.host).second) {
        out.push_back(alias);
      } else {
        merged.conflicts.push_back("alias " + alias.host + " from " + entry->first);
      }
    }
  }
  sort_by_host(out);
  merged.aliases = std::make_shared<const std::vector<HostAlias>>(std::move(out));
}

// Sources in add order; the first to define a service or alias host keeps it.
Merged merge(const Sources& sources) {
  Merged merged;
  merge_services(sources, merged);
  merge_aliases(sources, merged);
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
  SharedSourceState previous;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, known] : sources_) {
      if (name == source && known) previous = *known;
    }
  }
  SharedSourceState shared{share(std::move(state.services), previous.services),
                           share(std::move(state.aliases), previous.aliases)};
  publish(replace_and_merge(source, std::move(shared)));
}

void Registry::update_shared(const std::string& source, SharedSourceState state) {
  std::lock_guard publish_lock(publish_mutex_);
  sort_by_key(state.services);
  if (state.aliases && !std::is_sorted(state.aliases->begin(), state.aliases->end(), host_less)) {
    state.aliases = share(*state.aliases);
  }
  publish(replace_and_merge(source, std::move(state)));
}

// Subscribers run outside mutex_ so that they may read stats() and synced().
void Registry::publish(const SnapshotPtr& next) {
  if (!next) return;
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
  publish(next);
}

SnapshotPtr Registry::replace_and_merge(const std::string& source, SharedSourceState state) {
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
  // Unchanged aliases stay the same object: readers (the DNS zone) can skip them.
  AliasesPtr aliases = std::move(merged.aliases);
  if (!aliases) aliases = std::make_shared<const std::vector<HostAlias>>();
  if (aliases != current->shared_aliases() && *aliases == current->aliases()) {
    aliases = current->shared_aliases();
  }
  auto next = std::make_shared<const Snapshot>(
      current->version() + 1, SharedParts{std::move(merged.services), std::move(aliases)});
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
