// The objects of every watched kind as the list+watch protocol delivers
// them: a full list replaces a kind's objects, a watch event adds, replaces
// or removes one. The store says whether the state really changed, so that
// an update touching only fields meshgate does not read (a Pod's status
// heartbeat, a resourceVersion bump) makes no new snapshot.
#pragma once

#include <cstdint>
#include <vector>

#include "discovery/kubernetes/decode.h"
#include "discovery/kubernetes/translate.h"

namespace meshgate::discovery::kube {

class Store {
 public:
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
  uint64_t generation() const { return generation_; }  // +1 on every change

 private:
  ClusterState state_;
  uint64_t generation_ = 0;
};

}  // namespace meshgate::discovery::kube
