// The route table's host -> routes map: open addressing with linear probing
// over one flat array. A copy is one pass over that array, so a new route
// table copies the last one's index and patches the hosts that changed
// instead of building a node per host again; a lookup touches one cache
// line most of the time.
//
// Keys are views: whoever fills the index keeps the strings alive for as
// long as the index (and its copies) may be read. The empty string is never
// a key. Values are pointers; null means "absent" to find().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

namespace meshgate::gateway {

template <typename T>
class HostIndex {
 public:
  // The value of `key`, or null.
  const T* find(std::string_view key) const {
    if (slots_.empty() || key.empty()) return nullptr;
    const std::size_t hash = hash_of(key);
    for (std::size_t i = hash & mask(); !slots_[i].key.empty(); i = (i + 1) & mask()) {
      if (slots_[i].hash == hash && slots_[i].key == key) return slots_[i].value;
    }
    return nullptr;
  }

  // Adds `key`; false (and no change) when it is there already or empty.
  bool insert(std::string_view key, const T* value) {
    if (key.empty() || value == nullptr) return false;
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const std::size_t hash = hash_of(key);
    std::size_t i = hash & mask();
    for (; !slots_[i].key.empty(); i = (i + 1) & mask()) {
      if (slots_[i].hash == hash && slots_[i].key == key) return false;
    }
    slots_[i] = Slot{key, value, hash};
    ++size_;
    return true;
  }

  // Removes `key` if it maps to `value`; true if it did.
  bool erase(std::string_view key, const T* value) {
    if (slots_.empty() || key.empty()) return false;
    const std::size_t hash = hash_of(key);
    std::size_t i = hash & mask();
    for (; !slots_[i].key.empty(); i = (i + 1) & mask()) {
      if (slots_[i].hash == hash && slots_[i].key == key) break;
    }
    if (slots_[i].key.empty() || slots_[i].value != value) return false;
    close_gap(i);
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::string_view key;  // empty: free
    const T* value = nullptr;
    std::size_t hash = 0;
  };
  static constexpr std::size_t kMinSlots = 16;

  static std::size_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }
  std::size_t mask() const { return slots_.size() - 1; }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? kMinSlots : old.size() * 2, Slot{});
    for (const Slot& slot : old) {
      if (slot.key.empty()) continue;
      std::size_t i = slot.hash & mask();
      while (!slots_[i].key.empty())
        i = (i + 1) & mask();
      slots_[i] = slot;
    }
  }

  // Backward-shift deletion: every later slot of the run that may move into
  // the gap does, so no tombstone is left behind.
  void close_gap(std::size_t gap) {
    for (std::size_t j = (gap + 1) & mask(); !slots_[j].key.empty(); j = (j + 1) & mask()) {
      const std::size_t home = slots_[j].hash & mask();
      // The slot may move when its home is not in (gap, j], cyclically.
      const bool stays = gap <= j ? (gap < home && home <= j) : (gap < home || home <= j);
      if (stays) continue;
      slots_[gap] = slots_[j];
      gap = j;
    }
    slots_[gap] = Slot{};
  }

  std::vector<Slot> slots_;  // a power of two, at most half full
  std::size_t size_ = 0;
};

}  // namespace meshgate::gateway
