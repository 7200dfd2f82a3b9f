// An immutable map shared by everything that holds an equal one: the labels
// and ports of endpoints. Pods of one Deployment carry the same labels and
// the endpoints of one EndpointSlice the same ports, so a mesh of 100,000
// endpoints holds a few thousand distinct maps, each once, when they come
// through one MapPool. A SharedMap reads like the const map it holds.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <unordered_set>
#include <utility>

namespace meshgate::discovery {

template <typename Map>
class SharedMap {
 public:
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using value_type = typename Map::value_type;
  using const_iterator = typename Map::const_iterator;
  using iterator = const_iterator;

  SharedMap() = default;
  SharedMap(Map map)  // NOLINT(google-explicit-constructor): reads as the map
      : map_(map.empty() ? nullptr : std::make_shared<const Map>(std::move(map))) {}
  SharedMap(std::initializer_list<value_type> init) : SharedMap(Map(init)) {}
  explicit SharedMap(std::shared_ptr<const Map> shared) : map_(std::move(shared)) {
    if (map_ && map_->empty()) map_.reset();
  }

  const Map& get() const { return map_ ? *map_ : none(); }
  operator const Map&() const { return get(); }  // NOLINT(google-explicit-constructor)

  const_iterator begin() const { return get().begin(); }
  const_iterator end() const { return get().end(); }
  std::size_t size() const { return get().size(); }
  bool empty() const { return get().empty(); }
  template <typename K>
  const_iterator find(const K& key) const {
    return get().find(key);
  }
  template <typename K>
  bool contains(const K& key) const {
    return get().find(key) != get().end();
  }
  const mapped_type& at(const key_type& key) const { return get().at(key); }

  // A copy with `key` set to `value` (this one stays as it is).
  SharedMap with(key_type key, mapped_type value) const {
    Map copy = get();
    copy.insert_or_assign(std::move(key), std::move(value));
    return SharedMap(std::move(copy));
  }

  // True when both hold one object (or are both empty): shared, not copied.
  bool shares(const SharedMap& other) const { return map_ == other.map_; }

  // The same object, or equal contents.
  bool operator==(const SharedMap& other) const {
    return map_ == other.map_ || get() == other.get();
  }
  bool operator==(const Map& other) const { return get() == other; }

 private:
  template <typename>
  friend class MapPool;
  static const Map& none() {
    static const Map empty;
    return empty;
  }
  std::shared_ptr<const Map> map_;  // null: empty
};

// Hands out one SharedMap per distinct content. Not thread-safe: one owner
// (a translation) interns; the maps it hands out are immutable and may go
// anywhere. Maps that only the pool still holds are forgotten from time to
// time, so it never holds more than about twice what is in use.
template <typename Map>
class MapPool {
 public:
  SharedMap<Map> intern(Map map) {
    if (map.empty()) return {};
    if (auto it = maps_.find(map); it != maps_.end()) return SharedMap<Map>(*it);
    if (maps_.size() >= next_prune_) prune();
    auto shared = std::make_shared<const Map>(std::move(map));
    maps_.insert(shared);
    return SharedMap<Map>(std::move(shared));
  }

  // The pooled map equal to `map`; `map` itself joins the pool when none is.
  SharedMap<Map> intern(const SharedMap<Map>& map) {
    if (map.map_ == nullptr) return map;
    if (auto it = maps_.find(map.map_); it != maps_.end()) return SharedMap<Map>(*it);
    if (maps_.size() >= next_prune_) prune();
    maps_.insert(map.map_);
    return map;
  }

  std::size_t size() const { return maps_.size(); }

 private:
  static constexpr std::size_t kFirstPrune = 1024;

  static const Map& of(const std::shared_ptr<const Map>& map) { return *map; }
  static const Map& of(const Map& map) { return map; }
  struct ContentHash {
    using is_transparent = void;
    template <typename A>
    std::size_t operator()(const A& a) const {
      std::size_t hash = 0;
      for (const auto& [key, value] : of(a)) {
        hash = hash * 31 + std::hash<typename Map::key_type>{}(key);
        hash = hash * 31 + std::hash<typename Map::mapped_type>{}(value);
      }
      return hash;
    }
  };
  struct ContentEqual {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return of(a) == of(b);
    }
  };

  // A map only the pool holds cannot gain a holder: nobody else has it.
  void prune() {
    std::erase_if(maps_, [](const auto& map) { return map.use_count() == 1; });
    next_prune_ = std::max(kFirstPrune, 2 * maps_.size());
  }

  std::unordered_set<std::shared_ptr<const Map>, ContentHash, ContentEqual> maps_;
  std::size_t next_prune_ = kFirstPrune;
};

}  // namespace meshgate::discovery
