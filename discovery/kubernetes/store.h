// The objects of every watched kind as the list+watch protocol delivers
// them: a full list replaces a kind's objects, a watch event adds, replaces
// or removes one. The store says whether the state really changed, so that
// an update touching only fields meshgate does not read (a Pod's status
// heartbeat, a resourceVersion bump) makes no new snapshot. It keeps the
// state's ClusterIndex up to date object by object, and notes what changed
// so that translation redoes only the services a change can touch.
#pragma once

#include <cstdint>
#include <vector>

#include "discovery/kubernetes/cluster_index.h"
#include "discovery/kubernetes/decode.h"
#include "discovery/kubernetes/translate.h"

namespace meshgate::discovery::kube {

// What changed since the last Store::take_changes().
struct Changes {
  // A relist, or a change to a kind that many services read (Namespaces,
  // ServiceEntries, WorkloadEntries, DestinationRules, Gateways).
  bool everything = false;
  KeySet services;        // Services, "<ns>/<name>"
  KeySet slice_owners;    // "<ns>/<service>" of changed slices, before and after
  KeySet pods;            // pod keys
  KeySet pod_ips;         // "<ns>/<ip>" of changed pods, before and after
  KeySet pod_namespaces;  // namespaces of changed pods
  bool operator==(const Changes&) const = default;
};

class Store {
 public:
  Store() = default;
  // The index holds views of the state's keys: a copy would point into this one.
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // T is one of the kinds of ClusterState. Objects are keyed
  // "<namespace>/<name>" (Namespaces: "<name>") and kept without their
  // resourceVersion.
  //
  // A full list (the first sync, or a relist after 410 Gone): every object
  // of T's kind is replaced. True if the kind's objects differ from before.
  template <typename T>
  bool replace(std::vector<T> items);

  // ADDED and MODIFIED insert or replace, DELETED erases; BOOKMARK and
  // ERROR change nothing. True if the state changed.
  template <typename T>
  bool apply(const Event<T>& event);

  const ClusterState& state() const { return state_; }
  const ClusterIndex& index() const { return index_; }
  uint64_t generation() const { return generation_; }  // +1 on every change

  // The changes since the last call, which it forgets.
  Changes take_changes();

 private:
  ClusterState state_;
  ClusterIndex index_;
  Changes changes_;
  uint64_t generation_ = 0;
};

}  // namespace meshgate::discovery::kube
