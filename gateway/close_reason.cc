#include "gateway/close_reason.h"

namespace meshgate::gateway {

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kCompleted:
      return "completed";
    case CloseReason::kNotTls:
      return "not_tls";
    case CloseReason::kHelloMalformed:
      return "hello_malformed";
    case CloseReason::kHelloTooLarge:
      return "hello_too_large";
    case CloseReason::kHelloTimeout:
      return "hello_timeout";
    case CloseReason::kClientClosedEarly:
      return "client_closed_early";
    case CloseReason::kNoSni:
      return "no_sni";
    case CloseReason::kBadSni:
      return "bad_sni";
    case CloseReason::kAlpnMissing:
      return "alpn_missing";
    case CloseReason::kUnknownService:
      return "unknown_service";
    case CloseReason::kNoEndpoint:
      return "no_endpoint";
    case CloseReason::kClusterOverflow:
      return "cluster_overflow";
    case CloseReason::kConnectFailed:
      return "connect_failed";
    case CloseReason::kIdleTimeout:
      return "idle_timeout";
    case CloseReason::kHalfClosedTimeout:
      return "half_closed_timeout";
    case CloseReason::kClientReset:
      return "client_reset";
    case CloseReason::kUpstreamReset:
      return "upstream_reset";
    case CloseReason::kOverCapacity:
      return "over_capacity";
    case CloseReason::kOverClientLimit:
      return "over_client_limit";
    case CloseReason::kNoDescriptors:
      return "no_descriptors";
    case CloseReason::kDrainTimeout:
      return "drain_timeout";
    case CloseReason::kShutdown:
      return "shutdown";
    case CloseReason::kInternalError:
      return "internal_error";
  }
  return "unknown";
}

const std::array<CloseReason, kCloseReasonCount>& all_close_reasons() {
  static constexpr std::array<CloseReason, kCloseReasonCount> kAll = {
      CloseReason::kCompleted,       CloseReason::kNotTls,        CloseReason::kHelloMalformed,
      CloseReason::kHelloTooLarge,   CloseReason::kHelloTimeout,  CloseReason::kClientClosedEarly,
      CloseReason::kNoSni,           CloseReason::kBadSni,        CloseReason::kAlpnMissing,
      CloseReason::kUnknownService,  CloseReason::kNoEndpoint,    CloseReason::kClusterOverflow,
      CloseReason::kConnectFailed,   CloseReason::kIdleTimeout,   CloseReason::kHalfClosedTimeout,
      CloseReason::kClientReset,     CloseReason::kUpstreamReset, CloseReason::kOverCapacity,
      CloseReason::kOverClientLimit, CloseReason::kNoDescriptors, CloseReason::kDrainTimeout,
      CloseReason::kShutdown,        CloseReason::kInternalError,
  };
  return kAll;
}

}  // namespace meshgate::gateway
