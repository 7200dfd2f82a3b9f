// DNS server counters. The DNS thread is the only writer; the metrics page
// reads snapshots from the control thread. Relaxed atomics, as in gateway/.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/prometheus.h"

namespace meshgate::dns {

// Query types counted by name; everything else is "other".
inline constexpr std::array<uint16_t, 10> kCountedTypes{1, 28, 6, 2, 255, 12, 15, 16, 33, 5};
inline constexpr std::array<std::string_view, 11> kTypeNames{
    "A", "AAAA", "SOA", "NS", "ANY", "PTR", "MX", "TXT", "SRV", "CNAME", "other"};
std::size_t type_index(uint16_t type);

// Response codes counted by name; everything else is "other".
inline constexpr std::array<std::string_view, 9> kRcodeNames{"NOERROR",  "FORMERR", "SERVFAIL",
                                                             "NXDOMAIN", "NOTIMP",  "REFUSED",
                                                             "NOTAUTH",  "BADVERS", "other"};
std::size_t rcode_index(uint16_t rcode);

enum class Transport { kUdp, kTcp, kGrpc };
inline constexpr std::array<std::string_view, 3> kTransportNames{"udp", "tcp", "grpc"};

// Why a query got no answer at all.
enum class DropReason {
  kShort,      // shorter than a header: no id to answer with
  kResponse,   // a response (QR set) sent to us: never answered, no loops
  kSendError,  // the reply could not be sent (UDP buffer full, peer gone)
  kOverload,   // too many gRPC calls in flight: the call fails at once
};
inline constexpr std::array<std::string_view, 4> kDropReasonNames{"short", "response", "send_error",
                                                                  "overload"};

// Why a query was answered NOTAUTH.
enum class NotAuthReason {
  kTsig,  // signed with TSIG: this server holds no keys (RFC 8945 §5.2.1, BADKEY)
};
inline constexpr std::array<std::string_view, 1> kNotAuthReasonNames{"tsig"};

// How a forwarded query ended.
enum class ForwardResult { kAnswered, kFailed, kOverload, kStopped };
inline constexpr std::array<std::string_view, 4> kForwardResultNames{"answered", "failed",
                                                                     "overload", "stopped"};

// What the rate limiter did with a UDP answer over its prefix's limit.
enum class RateLimitAction { kDropped, kSlipped };
inline constexpr std::array<std::string_view, 2> kRateLimitActionNames{"dropped", "slipped"};

using base::Counter;

struct DnsStats {
  std::array<Counter, kTransportNames.size()> queries;  // by transport, every packet received
  std::array<std::array<Counter, kRcodeNames.size()>, kTypeNames.size()> answers;  // type x rcode
  Counter malformed;  // answered FORMERR (or dropped as short)
  Counter refused;    // REFUSED: outside the zones from a client not allowed to recurse
  Counter truncated;  // answered with TC set
  std::array<Counter, kNotAuthReasonNames.size()> not_authorized;  // NOTAUTH, by reason
  std::array<Counter, kForwardResultNames.size()> forwarded;
  std::array<Counter, kDropReasonNames.size()> dropped;
  Counter tcp_accepted;
  Counter tcp_active;
  Counter tcp_rejected;  // closed to make room: dns.max_tcp_connections were open
  std::array<Counter, kRateLimitActionNames.size()> rate_limited;  // dns.rate_limit
  base::LatencyHistogram latency;  // receipt to reply sent, forwarded ones included

  void answered(uint16_t type, uint16_t rcode) {
    answers[type_index(type)][rcode_index(rcode)].add();
  }
};

struct DnsStatsSnapshot {
  std::array<uint64_t, kTransportNames.size()> queries{};
  std::array<std::array<uint64_t, kRcodeNames.size()>, kTypeNames.size()> answers{};
  uint64_t malformed = 0;
  uint64_t refused = 0;
  uint64_t truncated = 0;
  std::array<uint64_t, kNotAuthReasonNames.size()> not_authorized{};
  std::array<uint64_t, kForwardResultNames.size()> forwarded{};
  std::array<uint64_t, kDropReasonNames.size()> dropped{};
  uint64_t tcp_accepted = 0;
  uint64_t tcp_active = 0;
  uint64_t tcp_rejected = 0;
  std::array<uint64_t, kRateLimitActionNames.size()> rate_limited{};
  base::HistogramSnapshot latency;
  uint64_t zone_version = 0;  // the snapshot the zone was built from
  uint64_t zone_names = 0;
};

DnsStatsSnapshot snapshot_of(const DnsStats& stats);

// The meshgate_dns_* families, appended to the metrics page.
void write_dns_metrics(const DnsStatsSnapshot& stats, base::PrometheusWriter& writer);

}  // namespace meshgate::dns
