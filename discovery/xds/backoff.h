// Jittered exponential backoff between reconnects to istiod: attempt n waits
// a uniformly random time in [d/2, d], d = min(initial x 2^n, max), so many
// gateways that lost istiod at once do not return at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace meshgate::discovery::xds {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
      : initial_(initial), max_(max), random_(seed) {}

  // The wait before the next attempt; each call doubles the ceiling.
  std::chrono::milliseconds next() {
    std::chrono::milliseconds ceiling = initial_;
    for (uint32_t i = 0; i < attempts_ && ceiling < max_; ++i)
      ceiling *= 2;
    ceiling = std::min(ceiling, max_);
    ++attempts_;
    std::uniform_int_distribution<int64_t> pick(ceiling.count() / 2, ceiling.count());
    return std::chrono::milliseconds(pick(random_));
  }
  // After a stream that got somewhere: start from `initial` again.
  void reset() { attempts_ = 0; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  uint32_t attempts_ = 0;
  std::mt19937_64 random_;
};

}  // namespace meshgate::discovery::xds
