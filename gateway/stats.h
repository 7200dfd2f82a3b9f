// Passthrough counters. Each worker owns one PassthroughStats and is its only
// writer; readers on other threads take a StatsSnapshot. Relaxed atomics: a
// counter never orders anything.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "gateway/close_reason.h"

namespace meshgate::gateway {

class Counter {
 public:
  void add(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

struct PassthroughStats {
  Counter accepted;             // connections accepted
  Counter active;               // open now
  Counter accept_errors;        // accept() failed (e.g. EMFILE); accepting pauses briefly
  Counter connect_attempts;     // upstream connects started
  Counter connect_failures;     // upstream connects that failed or timed out
  Counter bytes_from_client;    // relayed client -> upstream (ClientHello included)
  Counter bytes_from_upstream;  // relayed upstream -> client
  std::array<Counter, kCloseReasonCount> closed;  // by reason

  Counter& closed_by(CloseReason reason) { return closed[static_cast<std::size_t>(reason)]; }
};

struct StatsSnapshot {
  uint64_t accepted = 0;
  uint64_t active = 0;
  uint64_t accept_errors = 0;
  uint64_t connect_attempts = 0;
  uint64_t connect_failures = 0;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_from_upstream = 0;
  std::array<uint64_t, kCloseReasonCount> closed{};

  uint64_t closed_by(CloseReason reason) const { return closed[static_cast<std::size_t>(reason)]; }
};

// Sums the counters of every worker.
StatsSnapshot sum(std::span<const PassthroughStats* const> workers);

}  // namespace meshgate::gateway
