#include "discovery/kubernetes/translation.h"

#include <algorithm>

#include "discovery/kubernetes/translator.h"
#include "discovery/snapshot.h"

namespace meshgate::discovery::kube {
namespace {

// Where the service of (ns, name) is or would be in `services` (sorted by key).
std::vector<ServicePtr>::iterator find_slot(std::vector<ServicePtr>& services, std::string_view ns,
                                            std::string_view name) {
  return std::lower_bound(services.begin(), services.end(), std::pair(ns, name),
                          [](const ServicePtr& a, const auto& key) {
                            return std::pair<std::string_view, std::string_view>(a->ns, a->name) <
                                   key;
                          });
}

}  // namespace

Translation::Translation(TranslateOptions options) : options_(std::move(options)) {}

Translation::~Translation() = default;

SharedSourceState Translation::update(const Store& store, const Changes& changes) {
  if (!translator_ || changes.everything || store_ != &store) {
    full(store);
  } else {
    incremental(store, changes);
  }
  return result();
}

void Translation::full(const Store& store) {
  store_ = &store;
  translator_ = std::make_unique<Translator>(store.state(), store.index(), options_);
  last_full_ = true;
  last_translated_ = 0;
  const std::vector<ServicePtr> previous = std::move(services_);
  services_.clear();
  service_hosts_.clear();
  for (const auto& [key, svc] : store.state().services) {
    ++last_translated_;
    std::optional<discovery::Service> out = translator_->service(svc);
    if (!out) continue;
    service_hosts_.insert(service_host(*out, options_.cluster_domain));
    services_.push_back(reuse(std::move(*out), previous));
  }
  sort_by_key(services_);  // the store's "<ns>/<name>" order is not (ns, name) order
  selecting_namespaces_.clear();
  for (const auto& [key, entry] : store.state().service_entries) {
    if (entry.workload_selector && translator_->wanted(entry.meta)) {
      selecting_namespaces_.insert(entry.meta.ns);
    }
  }
  translate_entries();
  aliases_ = share(translator_->aliases(), aliases_);
}

void Translation::incremental(const Store& store, const Changes& changes) {
  last_full_ = false;
  last_translated_ = 0;
  bool hosts_changed = false;
  for (const std::string& key : touched(store, changes)) {
    ++last_translated_;
    hosts_changed |= retranslate(store.state(), key);
  }
  const bool selected_pods =
      std::any_of(changes.pod_namespaces.begin(), changes.pod_namespaces.end(),
                  [&](const std::string& ns) { return selecting_namespaces_.count(ns) != 0; });
  if (hosts_changed || selected_pods) translate_entries();
}

// The "<ns>/<name>" keys of the Services `changes` can touch.
KeySet Translation::touched(const Store& store, const Changes& changes) const {
  KeySet keys = changes.services;
  keys.insert(changes.slice_owners.begin(), changes.slice_owners.end());
  const ClusterIndex& index = store.index();
  // A key filed under another text of the same hash only costs a translation.
  const auto owners_of = [&](const KeyIndex& slices, const std::string& at) {
    for (std::string_view slice_key : slices.find(at)) {
      auto slice = store.state().endpoint_slices.find(slice_key);
      if (slice != store.state().endpoint_slices.end()) keys.insert(slice_owner(slice->second));
    }
  };
  for (const std::string& pod : changes.pods)
    owners_of(index.slices_by_pod, pod);
  for (const std::string& ip : changes.pod_ips)
    owners_of(index.slices_by_ip, ip);
  return keys;
}

bool Translation::retranslate(const ClusterState& state, const std::string& key) {
  const std::string_view whole = key;
  const std::size_t slash = std::min(whole.find('/'), whole.size());
  const std::string_view ns = whole.substr(0, slash);
  const std::string_view name = whole.substr(std::min(slash + 1, whole.size()));
  std::optional<discovery::Service> out;
  if (auto svc = state.services.find(key); svc != state.services.end()) {
    out = translator_->service(svc->second);
  }
  auto slot = find_slot(services_, ns, name);
  const bool was = slot != services_.end() && (*slot)->ns == ns && (*slot)->name == name;
  if (!out) {
    if (!was) return false;
    service_hosts_.erase(service_host(**slot, options_.cluster_domain));
    services_.erase(slot);
    return true;
  }
  if (was && **slot == *out) return false;
  auto shared = std::make_shared<const discovery::Service>(std::move(*out));
  if (was) {
    *slot = std::move(shared);
    return false;
  }
  service_hosts_.insert(service_host(*shared, options_.cluster_domain));
  services_.insert(slot, std::move(shared));
  return true;
}

void Translation::translate_entries() {
  std::vector<ServicePtr> entries;
  for (auto& [host, service] : translator_->entry_services(service_hosts_))
    entries.push_back(reuse(std::move(service), entries_));
  sort_by_key(entries);
  entries_ = std::move(entries);
}

// The Kubernetes Services and the entries' services, merged in key order.
SharedSourceState Translation::result() const {
  SharedSourceState out;
  out.services.reserve(services_.size() + entries_.size());
  auto entry = entries_.begin();
  for (const ServicePtr& service : services_) {
    while (entry != entries_.end() && key_less(**entry, *service))
      out.services.push_back(*entry++);
    out.services.push_back(service);
  }
  out.services.insert(out.services.end(), entry, entries_.end());
  out.aliases = aliases_;
  return out;
}

}  // namespace meshgate::discovery::kube
