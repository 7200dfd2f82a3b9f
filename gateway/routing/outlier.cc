#include "gateway/routing/outlier.h"

#include <algorithm>
#include <limits>

namespace meshgate::gateway {
namespace {

// FNV-1a, 64 bits.
class Fnv {
 public:
  void add(const unsigned char* bytes, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      hash_ ^= bytes[i];
      hash_ *= 0x100000001b3ULL;
    }
  }
  void add_u32(uint32_t value) {
    const unsigned char bytes[4] = {
        static_cast<unsigned char>(value >> 24), static_cast<unsigned char>(value >> 16),
        static_cast<unsigned char>(value >> 8), static_cast<unsigned char>(value)};
    add(bytes, sizeof bytes);
  }
  uint64_t value() const { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::size_t EndpointHash::operator()(const asio::ip::tcp::endpoint& endpoint) const noexcept {
  Fnv fnv;
  const asio::ip::address address = endpoint.address();
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    fnv.add_u32(4);
    fnv.add(bytes.data(), bytes.size());
  } else {
    const asio::ip::address_v6 v6 = address.to_v6();
    const auto bytes = v6.to_bytes();
    fnv.add_u32(6);
    fnv.add(bytes.data(), bytes.size());
    fnv.add_u32(static_cast<uint32_t>(v6.scope_id()));
  }
  fnv.add_u32(endpoint.port());
  return static_cast<std::size_t>(fnv.value());
}

OutlierDetector::OutlierDetector(config::Outlier settings, std::size_t max_tracked)
    : settings_(settings), max_tracked_(max_tracked) {}

void OutlierDetector::set_settings(config::Outlier settings) {
  settings_ = settings;
  if (settings.consecutive_failures != 0) return;
  states_.clear();
  next_sweep_ = Clock::time_point::min();
  const std::lock_guard lock(shared_mutex_);
  shared_.clear();
}

bool OutlierDetector::ejected(const Endpoint& endpoint, Clock::time_point now) const {
  const auto it = states_.find(endpoint);
  return it != states_.end() && it->second.until > now;
}

bool OutlierDetector::on_connect_failure(const Endpoint& endpoint,
                                         std::span<const Endpoint> cluster, Clock::time_point now,
                                         const config::Outlier* cluster_settings) {
  const config::Outlier& settings = cluster_settings ? *cluster_settings : settings_;
  const uint32_t threshold = settings.consecutive_failures;
  if (threshold == 0) return false;
  State* state = find_or_track(endpoint, now);
  if (state == nullptr || state->until > now) return false;
  if (state->failures < threshold) ++state->failures;
  if (state->failures < threshold) return false;
  if (others_all_ejected(endpoint, cluster, now)) return false;
  eject(endpoint, *state, now, settings);
  return true;
}

void OutlierDetector::on_connect_success(const Endpoint& endpoint) {
  const auto it = states_.find(endpoint);
  if (it == states_.end()) return;
  const bool was_ejected = it->second.times_ejected > 0;
  states_.erase(it);
  if (!was_ejected) return;
  const std::lock_guard lock(shared_mutex_);
  shared_.erase(endpoint);
}

std::vector<EjectedEndpoint> OutlierDetector::ejected_endpoints(Clock::time_point now) const {
  std::vector<EjectedEndpoint> out;
  {
    const std::lock_guard lock(shared_mutex_);
    for (const auto& [endpoint, ejection] : shared_) {
      if (ejection.until > now) out.push_back(ejection);
    }
  }
  std::sort(out.begin(), out.end(), [](const EjectedEndpoint& a, const EjectedEndpoint& b) {
    return a.address < b.address;
  });
  return out;
}

uint64_t OutlierDetector::ejections_total() const {
  return ejections_total_.load(std::memory_order_relaxed);
}

OutlierDetector::State* OutlierDetector::find_or_track(const Endpoint& endpoint,
                                                       Clock::time_point now) {
  const auto it = states_.find(endpoint);
  if (it != states_.end()) return &it->second;
  if (states_.size() >= max_tracked_ && !sweep(now)) return nullptr;
  return &states_[endpoint];
}

// Drops every state not ejected at `now`. Returns true when there is room for
// one more; otherwise no sweep runs again before the earliest ejection ends.
bool OutlierDetector::sweep(Clock::time_point now) {
  if (now < next_sweep_) return false;
  std::erase_if(states_, [now](const auto& entry) { return entry.second.until <= now; });
  {
    const std::lock_guard lock(shared_mutex_);
    std::erase_if(shared_, [now](const auto& entry) { return entry.second.until <= now; });
  }
  if (states_.size() < max_tracked_) {
    next_sweep_ = Clock::time_point::min();
    return true;
  }
  next_sweep_ = Clock::time_point::max();
  for (const auto& entry : states_)
    next_sweep_ = std::min(next_sweep_, entry.second.until);
  return false;
}

bool OutlierDetector::others_all_ejected(const Endpoint& endpoint,
                                         std::span<const Endpoint> cluster,
                                         Clock::time_point now) const {
  return std::all_of(cluster.begin(), cluster.end(), [&](const Endpoint& other) {
    return other == endpoint || ejected(other, now);
  });
}

void OutlierDetector::eject(const Endpoint& endpoint, State& state, Clock::time_point now,
                            const config::Outlier& settings) {
  state.until = ejection_end(state.times_ejected, now, settings);
  if (state.times_ejected < std::numeric_limits<uint32_t>::max()) ++state.times_ejected;
  state.failures = 0;
  ejections_total_.fetch_add(1, std::memory_order_relaxed);
  const std::lock_guard lock(shared_mutex_);
  shared_[endpoint] = EjectedEndpoint{endpoint, state.until, state.times_ejected};
}

// now + min(base x (times_ejected + 1), max), without overflow.
OutlierDetector::Clock::time_point OutlierDetector::ejection_end(uint32_t times_ejected,
                                                                 Clock::time_point now,
                                                                 const config::Outlier& settings) {
  using Ms = config::Duration;
  const Ms::rep base = std::max<Ms::rep>(settings.base_ejection.count(), 0);
  const Ms::rep longest = std::max<Ms::rep>(settings.max_ejection.count(), 0);
  const Ms::rep factor = static_cast<Ms::rep>(times_ejected) + 1;
  const Ms length{base > longest / factor ? longest : std::min(base * factor, longest)};
  const auto room = now.time_since_epoch().count() >= 0
                        ? std::chrono::duration_cast<Ms>(Clock::time_point::max() - now)
                        : std::chrono::duration_cast<Ms>(Clock::duration::max());
  if (length >= room) return Clock::time_point::max();
  return now + length;
}

}  // namespace meshgate::gateway
