#include "discovery/kubernetes/destination_rules.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "discovery/kubernetes/visibility.h"
#include "discovery/names.h"

namespace meshgate::discovery::kube {
namespace {

// A rule that only its own namespace may see.
bool private_only(const DestinationRule& rule) {
  return !rule.export_to.empty() &&
         std::all_of(rule.export_to.begin(), rule.export_to.end(),
                     [&](const std::string& to) { return to == "." || to == rule.meta.ns; });
}

std::set<std::string> as_set(const std::vector<std::string>& list) {
  return {list.begin(), list.end()};
}

// A wildcard key "*.x" (or "*") matches `host` ending in ".x".
bool wildcard_matches(std::string_view key, std::string_view host) {
  if (key == "*") return true;
  if (key.size() < 2 || key[0] != '*') return false;
  const std::string_view suffix = key.substr(1);
  return host.size() > suffix.size() && host.ends_with(suffix);
}

// The TLS mode a policy sets for `port`: the port-level one, else its own.
std::string mode_for(const TlsPolicy& tls, uint16_t port) {
  for (const PortTls& level : tls.ports) {
    if (level.port == port && !level.mode.empty()) return level.mode;
  }
  return tls.mode;
}

}  // namespace

DestinationRules::DestinationRules(const ObjectMap<DestinationRule>& rules, Options options,
                                   const std::function<bool(const ObjectMeta&)>& wanted)
    : options_(std::move(options)) {
  std::vector<const DestinationRule*> sorted;
  for (const auto& [key, rule] : rules) {
    if (wanted(rule.meta) && !rule.workload_selector) sorted.push_back(&rule);
  }
  // Oldest first, as istiod sorts them.
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::tie(a->meta.creation_timestamp, a->meta.name, a->meta.ns) <
           std::tie(b->meta.creation_timestamp, b->meta.name, b->meta.ns);
  });
  for (const DestinationRule* rule : sorted)
    add(*rule);
}

void DestinationRules::add(const DestinationRule& rule) {
  // A short name (no dot) is a Service of the rule's namespace; "*" stays.
  const bool is_short = rule.host.find('.') == std::string::npos && rule.host != "*";
  const std::string host = to_lower(
      is_short ? rule.host + "." + rule.meta.ns + ".svc." + options_.cluster_domain : rule.host);
  if (visible_from(rule.export_to, rule.meta.ns, rule.meta.ns)) {
    merge(namespace_local_[rule.meta.ns], host, rule);
  }
  if (!private_only(rule)) {
    merge(exported_[rule.meta.ns], host, rule);
  } else if (rule.meta.ns == options_.root_namespace) {
    merge(root_local_, host, rule);
  }
}

void DestinationRules::merge(ByHost& bucket, const std::string& host, const DestinationRule& rule) {
  std::vector<Entry>& entries = bucket[host];
  const std::set<std::string> export_to = as_set(rule.export_to);
  auto same = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return as_set(e.export_to) == export_to; });
  if (same == entries.end()) {
    entries.push_back(Entry{RuleView{{}, rule.tls}, rule.export_to});
    same = std::prev(entries.end());
  } else if (!same->view.tls.set) {
    same->view.tls = rule.tls;  // the first rule with a trafficPolicy keeps it
  }
  for (const Subset& subset : rule.subsets) {
    const bool known = std::any_of(same->view.subsets.begin(), same->view.subsets.end(),
                                   [&](const Subset& s) { return s.name == subset.name; });
    if (!subset.name.empty() && !known) same->view.subsets.push_back(subset);
  }
}

const std::vector<DestinationRules::Entry>* DestinationRules::most_specific(const ByHost& bucket,
                                                                            std::string_view host) {
  if (const auto exact = bucket.find(host); exact != bucket.end()) return &exact->second;
  const std::vector<Entry>* best = nullptr;
  std::string_view best_key;
  for (const auto& [key, entries] : bucket) {
    if (!wildcard_matches(key, host)) continue;
    // Longer is more specific; on a tie the first in order (istiod: MoreSpecific).
    if (best == nullptr || key.size() > best_key.size()) {
      best = &entries;
      best_key = key;
    }
  }
  return best;
}

const RuleView* DestinationRules::exported_from(const ByHost* bucket, std::string_view host) const {
  if (bucket == nullptr) return nullptr;
  const std::vector<Entry>* entries = most_specific(*bucket, host);
  if (entries == nullptr) return nullptr;
  const RuleView* found = nullptr;
  for (const Entry& entry : *entries) {
    const bool to_gateway =
        entry.export_to.empty() ||
        std::find(entry.export_to.begin(), entry.export_to.end(), "*") != entry.export_to.end() ||
        std::find(entry.export_to.begin(), entry.export_to.end(), options_.gateway_namespace) !=
            entry.export_to.end();
    if (to_gateway) found = &entry.view;  // the last one, as istiod picks
  }
  return found;
}

const RuleView* DestinationRules::find(std::string_view host, std::string_view service_ns) const {
  const bool in_root = options_.gateway_namespace == options_.root_namespace;
  const ByHost* own = nullptr;
  if (in_root) {
    own = &root_local_;
  } else if (auto it = namespace_local_.find(options_.gateway_namespace);
             it != namespace_local_.end()) {
    own = &it->second;
  }
  if (own != nullptr) {
    if (const std::vector<Entry>* entries = most_specific(*own, host)) return &entries->back().view;
  }
  const auto of = [&](std::string_view ns) -> const ByHost* {
    auto it = exported_.find(ns);
    return it == exported_.end() ? nullptr : &it->second;
  };
  if (const RuleView* found = exported_from(of(service_ns), host)) return found;
  return exported_from(of(options_.root_namespace), host);
}

bool plaintext_cluster(const RuleView& rule, uint16_t port, std::string_view subset) {
  std::string mode;
  if (!subset.empty()) {
    for (const Subset& s : rule.subsets) {
      if (s.name == subset) mode = mode_for(s.tls, port);
    }
  }
  if (mode.empty()) mode = mode_for(rule.tls, port);
  return !mode.empty() && mode != "ISTIO_MUTUAL";
}

}  // namespace meshgate::discovery::kube
