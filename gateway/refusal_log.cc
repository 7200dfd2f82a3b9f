#include "gateway/refusal_log.h"

#include <spdlog/spdlog.h>

namespace meshgate::gateway {
namespace {

const char* remedy(CloseReason reason) {
  switch (reason) {
    case CloseReason::kOverCapacity:
      return "limits.max_connections are open";
    case CloseReason::kOverClientLimit:
      return "the client has limits.max_connections_per_client open";
    case CloseReason::kNoDescriptors:
      return "the data path's descriptor budget is spent (see the descriptors line at start-up)";
    default:
      return "refused";
  }
}

}  // namespace

bool RefusalLog::note(ListenerKind kind, CloseReason reason, Clock::time_point now) {
  ++held_[index_of(kind)][static_cast<std::size_t>(reason)];
  if (last_report_ != Clock::time_point::min() && now - last_report_ < kInterval) return false;
  last_report_ = now;
  for (ListenerKind k : kAllListenerKinds) {
    for (CloseReason r : all_close_reasons()) {
      uint64_t& count = held_[index_of(k)][static_cast<std::size_t>(r)];
      if (count == 0) continue;
      spdlog::warn("{}: refused {} connection(s) at accept as {}: {}", to_string(k), count,
                   to_string(r), remedy(r));
      count = 0;
    }
  }
  return true;
}

}  // namespace meshgate::gateway
