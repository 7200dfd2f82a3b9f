// translate() kept up to date: the result of the last update, and on the
// next one only the services a change can touch translated again.
//
// What a change touches (Store's Changes):
// - a Service: itself;
// - an EndpointSlice: the Service it belongs to, before and after;
// - a Pod: the Services whose slices name it by targetRef or carry one of
//   its IPs, before and after (ClusterIndex), and the ServiceEntries when a
//   ServiceEntry of its namespace selects workloads;
// - a Service appearing or going: the ServiceEntries (a Kubernetes
//   Service's host is not theirs to take);
// - anything else (Namespaces, ServiceEntries, WorkloadEntries,
//   DestinationRules, Gateways, a relist): everything.
// A service whose translation did not change keeps its shared pointer, so
// the registry and the route table skip it too. The result always equals
// translate() of the same state; a differential test holds it to that.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "discovery/kubernetes/store.h"
#include "discovery/kubernetes/translate.h"
#include "discovery/model.h"

namespace meshgate::discovery::kube {

class Translator;

class Translation {
 public:
  explicit Translation(TranslateOptions options);
  ~Translation();
  Translation(const Translation&) = delete;
  Translation& operator=(const Translation&) = delete;

  // The translation of `store`'s state, given what changed since the last
  // call (Store::take_changes()). The first call, and any call with another
  // store, translates everything.
  SharedSourceState update(const Store& store, const Changes& changes);

  // What the last update did: whether it translated everything, and how
  // many Services it translated.
  bool last_full() const { return last_full_; }
  std::size_t last_translated() const { return last_translated_; }

 private:
  void full(const Store& store);
  void incremental(const Store& store, const Changes& changes);
  KeySet touched(const Store& store, const Changes& changes) const;
  // Translates the Service of `key` again; true if it appeared or went.
  bool retranslate(const ClusterState& state, const std::string& key);
  void translate_entries();
  SharedSourceState result() const;

  TranslateOptions options_;
  const Store* store_ = nullptr;  // the store translator_ reads
  std::unique_ptr<Translator> translator_;
  std::vector<ServicePtr> services_;  // the Kubernetes Services' translations, by key
  std::set<std::string> service_hosts_;
  std::vector<ServicePtr> entries_;  // the ServiceEntries' services, by key
  AliasesPtr aliases_;
  std::set<std::string, std::less<>> selecting_namespaces_;  // of entries with a selector
  bool last_full_ = false;
  std::size_t last_translated_ = 0;
};

}  // namespace meshgate::discovery::kube
