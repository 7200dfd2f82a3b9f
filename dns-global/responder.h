// What the DNS server answers, decided without I/O: a query's bytes, the
// zone index and the client's address in; an answer's bytes, or "forward
// this", or "drop this" out. The UDP, TCP and gRPC front ends share it.
//
//  - Shorter than a header, or a response (QR set): dropped, no reply.
//  - Unreadable: FORMERR (with our OPT when only an EDNS option was broken).
//  - Signed with TSIG: NOTAUTH, TSIG error BADKEY; this server has no keys.
//  - An opcode other than QUERY: NOTIMP, no flag but QR.
//  - More or fewer than one question: FORMERR. EDNS version above 0: BADVERS.
//  - Class other than IN, AXFR or IXFR: REFUSED.
//  - Under a zone: the authoritative answer (A, AAAA; SOA and NS at the
//    apex; NXDOMAIN or NODATA with the SOA; ANY with one RRset, RFC 8482).
//  - Outside every zone: forwarded when forwarding is on, the client is in
//    dns.forward.allowed_clients and asked for recursion; else REFUSED.
// No error or refusal (FORMERR, NOTIMP, NOTAUTH, BADVERS, REFUSED) is ever larger
// than the query it answers: no amplification. Authoritative answers may
// be; the rate limiter (rate_limiter.h) bounds those per client prefix.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/cidr.h"
#include "config/config.h"
#include "dns-global/message.h"
#include "dns-global/stats.h"
#include "dns-global/zone.h"

namespace meshgate::dns {

// The largest UDP answer this server sends, whatever the client offers: the
// DNS Flag Day 2020 size, which avoids IP fragmentation.
inline constexpr std::size_t kMaxUdpAnswer = 1232;

struct Client {
  std::optional<base::IpAddress> address;  // unknown: never allowed to recurse
  Transport transport = Transport::kUdp;
};

struct Decision {
  enum class Kind { kAnswer, kForward, kDrop };
  Kind kind = Kind::kDrop;
  std::vector<uint8_t> answer;           // kAnswer
  DropReason drop = DropReason::kShort;  // kDrop
  // kAnswer and kForward: the query as read (for kForward without its
  // records), and how large an answer the client takes; kForward needs both
  // to shape the upstream's answer.
  Message query;
  std::vector<uint8_t> upstream_query;  // kForward: what to send upstream
  std::size_t max_size = kMinUdpPayload;
  std::size_t query_size = 0;  // bytes received: errors and refusals are no larger
  uint16_t qtype = 0;          // for the counters; 0 when there was no question
  uint16_t rcode = 0;          // kAnswer
  bool malformed = false;
  bool refused = false;
  bool tsig = false;  // NOTAUTH/BADKEY: signed, and this server holds no keys
  bool truncated = false;
};

class Responder {
 public:
  explicit Responder(const config::Dns& dns);

  // `now`: the time a TSIG in the reply says it was signed at.
  Decision respond(std::span<const uint8_t> packet, const ZoneIndex* zone, const Client& client,
                   std::chrono::system_clock::time_point now) const;

  // An upstream's answer to a forwarded query, fit to what the client takes:
  // as it came when it fits, else TC and the question only (the client
  // retries over TCP). An answer that is not a reply to `query` (another
  // question, unreadable) becomes SERVFAIL.
  std::vector<uint8_t> forwarded_answer(const Decision& forward,
                                        std::span<const uint8_t> upstream_answer) const;
  // SERVFAIL for a forwarded query no upstream answered.
  std::vector<uint8_t> servfail(const Decision& forward) const;
  // What the rate limiter sends in place of the answer to a kAnswer or
  // kForward decision now and then: TC set, no records, the question when
  // there was exactly one; never larger than the query.
  std::vector<uint8_t> slip(const Decision& decision) const;

  bool may_recurse(const Client& client) const;

 private:
  bool forward_enabled_ = false;
  std::vector<base::Cidr> allowed_;
};

}  // namespace meshgate::dns
