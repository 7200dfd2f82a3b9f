// Why a passthrough connection ended. Every reason has its own counter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace meshgate::gateway {

enum class CloseReason : uint8_t {
  kCompleted,          // both directions finished normally
  kNotTls,             // first bytes are not a TLS handshake record
  kHelloMalformed,     // TLS framing but a broken ClientHello
  kHelloTooLarge,      // ClientHello over limits.max_client_hello_bytes
  kHelloTimeout,       // no complete ClientHello within timeouts.client_hello
  kClientClosedEarly,  // client closed or reset before its ClientHello was complete
  kNoSni,              // ClientHello without server_name
  kBadSni,             // server_name is not a valid host or Istio name
  kAlpnMissing,        // no Istio ALPN while passthrough.require_istio_alpn
  kUnknownService,     // SNI names no known host, port or subset
  kNoEndpoint,         // the route has no usable endpoint
  kClusterOverflow,    // the route's cluster already has its max_connections open
  kConnectFailed,      // every endpoint tried failed or timed out
  kIdleTimeout,        // no bytes either way within timeouts.idle
  kHalfClosedTimeout,  // one side had finished, the other moved no byte within timeouts.half_closed
  kClientReset,        // read/write error on the client side while relaying
  kUpstreamReset,      // read/write error on the upstream side while relaying
  kOverCapacity,       // limits.max_connections reached at accept
  kOverClientLimit,    // limits.max_connections_per_client reached for this client at accept
  kNoDescriptors,      // this process is out of file descriptors (not the endpoint's fault)
  kDrainTimeout,       // still open when the drain window after SIGTERM ended: cut
  kShutdown,           // the gateway stopped
  kInternalError,      // cannot happen: an exception escaped a session task
};

inline constexpr std::size_t kCloseReasonCount =
    static_cast<std::size_t>(CloseReason::kInternalError) + 1;

// Stable snake_case names, used in logs and as metric label values.
const char* to_string(CloseReason reason);

// All reasons in declaration order, for iterating counters.
const std::array<CloseReason, kCloseReasonCount>& all_close_reasons();

}  // namespace meshgate::gateway
