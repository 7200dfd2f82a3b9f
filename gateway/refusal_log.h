// Connections refused at accept (over_capacity, over_client_limit,
// no_descriptors) are logged, but at most once per interval per worker: a
// flood of refusals must not become a flood of log lines. The first refusal
// after a quiet interval is reported at once; the rest are summed into the
// next report. Each one is also counted and gets its access-log line.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "gateway/close_reason.h"
#include "gateway/routing/listener_kind.h"

namespace meshgate::gateway {

class RefusalLog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kInterval{10};

  // Notes one refusal; logs (warn) every refusal held since the last report
  // when `now` is at least kInterval past it. Returns true when it logged.
  bool note(ListenerKind kind, CloseReason reason, Clock::time_point now);

 private:
  std::array<std::array<uint64_t, kCloseReasonCount>, kListenerKindCount> held_{};
  Clock::time_point last_report_ = Clock::time_point::min();
};

}  // namespace meshgate::gateway
