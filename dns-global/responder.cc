// The answer logic of the DNS server.
#include "dns-global/responder.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace meshgate::dns {
namespace {

// The clock skew our TSIG records allow, in seconds: BIND's (DNS_TSIG_FUDGE).
constexpr uint16_t kTsigFudge = 300;

// Whether an opcode's messages have a question: QUERY's, and the zone
// section of NOTIFY (RFC 1996) and UPDATE (RFC 2136), which BIND echoes. An
// unknown opcode's sections mean nothing to us, and none is echoed.
bool has_question(uint8_t code) {
  return code == opcode::kQuery || code == opcode::kNotify || code == opcode::kUpdate;
}

// The header and question of the reply to `query`, with OPT when it had one.
Message reply_to(const Message& query, uint16_t rcode) {
  Message reply;
  reply.header.id = query.header.id;
  reply.header.qr = true;
  reply.header.opcode = query.header.opcode;
  // RD (RFC 1035 §4.1.1) and CD (RFC 4035 §3.1.6) are a QUERY's to copy. Any
  // other opcode's reply has no flag but QR, as BIND's, and as ISC's EDNS
  // compliance tester expects of a NOTIMP.
  if (query.header.opcode == opcode::kQuery) {
    reply.header.rd = query.header.rd;
    reply.header.cd = query.header.cd;
  }
  reply.header.rcode = rcode;
  if (has_question(query.header.opcode)) reply.questions = query.questions;
  if (query.edns) {
    Edns edns;
    edns.udp_size = kMaxUdpAnswer;
    edns.dnssec_ok = query.edns->dnssec_ok;
    reply.edns = edns;
  }
  return reply;
}

std::size_t answer_limit(const Message& query, Transport transport) {
  if (transport != Transport::kUdp) return kMaxMessageBytes;
  if (!query.edns) return kMinUdpPayload;
  return std::clamp<std::size_t>(query.edns->udp_size, kMinUdpPayload, kMaxUdpAnswer);
}

Record record(const Name& owner, uint16_t type, uint32_t ttl, Rdata data) {
  return Record{owner, type, kClassIn, ttl, std::move(data)};
}

void add_addresses(const Name& owner, const Node& node, uint16_t type, uint32_t ttl,
                   std::vector<Record>& out) {
  if (type == rrtype::kA) {
    for (const auto& a : node.a)
      out.push_back(record(owner, type, ttl, AData{a}));
  } else if (type == rrtype::kAaaa) {
    for (const auto& aaaa : node.aaaa)
      out.push_back(record(owner, type, ttl, AaaaData{aaaa}));
  }
}

Record soa_record(const ZoneData& zone, uint32_t ttl) {
  return record(zone.origin, rrtype::kSoa, ttl, zone.soa);
}

// The answer records for a name that exists; empty is NODATA.
void fill_answer(const Name& qname, uint16_t qtype, const Lookup& found, Message& reply) {
  const ZoneData& zone = *found.zone;
  const Node& node = *found.node;
  std::vector<Record>& answers = reply.answers;
  if (qtype == rrtype::kA || qtype == rrtype::kAaaa) {
    add_addresses(qname, node, qtype, zone.ttl, answers);
  } else if (qtype == rrtype::kSoa && found.apex) {
    answers.push_back(soa_record(zone, zone.ttl));
  } else if (qtype == rrtype::kNs && found.apex) {
    answers.push_back(record(qname, rrtype::kNs, zone.ttl, NameData{zone.ns_name}));
    add_addresses(zone.ns_name, zone.ns_node, rrtype::kA, zone.ttl, reply.additional);
    add_addresses(zone.ns_name, zone.ns_node, rrtype::kAaaa, zone.ttl, reply.additional);
  } else if (qtype == rrtype::kAny) {
    // One RRset, never all of them (RFC 8482 §4.1); a name with no data is
    // NODATA, as for any other type.
    if (!node.a.empty()) {
      add_addresses(qname, node, rrtype::kA, zone.ttl, answers);
    } else if (!node.aaaa.empty()) {
      add_addresses(qname, node, rrtype::kAaaa, zone.ttl, answers);
    } else if (found.apex) {
      answers.push_back(soa_record(zone, zone.ttl));
    }
  }
  if (answers.empty()) reply.authority.push_back(soa_record(zone, zone.negative_ttl));
}

Message authoritative(const Message& query, const Lookup& found) {
  const Question& question = query.questions.front();
  Message reply = reply_to(query, rcode::kNoError);
  reply.header.aa = true;
  if (found.kind == LookupKind::kNxDomain) {
    reply.header.rcode = rcode::kNxDomain;
    reply.authority.push_back(soa_record(*found.zone, found.zone->negative_ttl));
  } else {
    fill_answer(question.name, question.type, found, reply);
  }
  return reply;
}

// What goes upstream: the header, the question and, when the client sent
// OPT, one of our own (payload at most what we answer with, DO copied, the
// client's options dropped). The records a query may carry stay behind, and
// so does all but the question in the kept copy: a forwarded query waits
// for its answer holding a few hundred bytes, whatever the client sent.
Decision forward(Decision decision) {
  Message& query = decision.query;
  query.answers.clear();
  query.authority.clear();
  query.additional.clear();
  Message upstream;
  upstream.header = query.header;
  upstream.header.ad = false;
  upstream.questions = query.questions;
  if (query.edns) {
    Edns edns;
    edns.udp_size = static_cast<uint16_t>(
        std::clamp<std::size_t>(query.edns->udp_size, kMinUdpPayload, kMaxUdpAnswer));
    edns.dnssec_ok = query.edns->dnssec_ok;
    upstream.edns = edns;
  }
  decision.upstream_query = write_message(upstream, kMaxMessageBytes).bytes;
  decision.kind = Decision::Kind::kForward;
  return decision;
}

Decision answer(Decision decision, const Message& reply) {
  WriteResult written = write_message(reply, decision.max_size);
  decision.kind = Decision::Kind::kAnswer;
  decision.answer = std::move(written.bytes);
  decision.truncated = written.truncated;
  decision.rcode = reply.header.rcode;
  return decision;
}

// A reply that must not outgrow the query it answers: every error and
// refusal, and a rate limiter's truncated slip. Each is the query's header,
// its question and our OPT (11 bytes, no options) when it sent one, so it is
// no larger: the question is the query's own, uncompressed (no pointer can
// reach into the header), and the query's OPT is 11 bytes at least. Only
// questions compressed against one another (several, a pointer into an
// earlier one's type bytes) could write larger than they were read; they
// are echoed only when there is exactly one, and this checks the rest.
// A TSIG's key name may point into bytes the query also spends on its
// question: echoing both could outgrow it, and then the question goes too.
// A key name pieced together from bytes of several records could still
// (never seen, but not ruled out), so the last resort is header and OPT.
std::vector<uint8_t> no_larger_than_query(Message reply, std::size_t query_size,
                                          std::size_t max_size) {
  if (reply.questions.size() != 1) reply.questions.clear();
  std::vector<uint8_t> bytes = write_message(reply, max_size).bytes;
  if (bytes.size() <= query_size) return bytes;
  reply.questions.clear();
  bytes = write_message(reply, max_size).bytes;
  if (bytes.size() <= query_size || !reply.tsig) return bytes;
  reply.tsig.reset();  // the header and OPT: never larger than the query's
  return write_message(reply, max_size).bytes;
}

Decision reject(Decision decision, const Message& reply) {
  decision.kind = Decision::Kind::kAnswer;
  decision.answer = no_larger_than_query(reply, decision.query_size, decision.max_size);
  decision.rcode = reply.header.rcode;
  return decision;
}

Decision drop(DropReason reason) {
  Decision decision;
  decision.kind = Decision::Kind::kDrop;
  decision.drop = reason;
  decision.malformed = reason == DropReason::kShort;
  return decision;
}

// FORMERR for a message too broken to read: the header only. No OPT either:
// the query's could not be found, or was itself broken (two of them, not
// named root...), which BIND answers without one too.
Decision formerr(const Header& header, std::size_t query_size) {
  Decision decision;
  decision.query.header = header;  // what a slip needs to answer it
  decision.query_size = query_size;
  decision.malformed = true;
  const Message reply = reply_to(decision.query, rcode::kFormErr);
  return reject(std::move(decision), reply);
}

// RFC 6891 §7: an OPT found whose options do not fit it is FORMERR, and the
// reply MUST carry an OPT, so the client can tell a broken option from a
// server without EDNS. The question was read in full before it.
Decision bad_option(Decision decision) {
  decision.malformed = true;
  const Message reply = reply_to(decision.query, rcode::kFormErr);
  return reject(std::move(decision), reply);
}

// Seconds since 1970 in a TSIG's 48 bits.
uint64_t tsig_time(std::chrono::system_clock::time_point now) {
  constexpr int64_t kMax48Bits = (int64_t{1} << 48) - 1;
  const int64_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return static_cast<uint64_t>(std::clamp<int64_t>(seconds, 0, kMax48Bits));
}

// RFC 8945 §5.2.1: a server that does not know the key a query is signed
// with answers NOTAUTH, with a TSIG of the query's key and algorithm and
// error BADKEY, unsigned (§5.3.2: no MAC). This server knows no key, so it
// is every signed query's answer, before its opcode or name is looked at:
// nothing signed is answered or forwarded as if it were not. The time is
// ours, as BIND's is: a client checks it against its clock and fudge.
Decision bad_key(Decision decision, std::chrono::system_clock::time_point now) {
  const Tsig& signed_with = *decision.query.tsig;
  Message reply = reply_to(decision.query, rcode::kNotAuth);
  Tsig tsig;
  tsig.key = signed_with.key;
  tsig.algorithm = signed_with.algorithm;
  tsig.time_signed = tsig_time(now);
  tsig.fudge = kTsigFudge;
  tsig.original_id = decision.query.header.id;
  tsig.error = rcode::kBadKey;
  reply.tsig = std::move(tsig);
  decision.tsig = true;
  return reject(std::move(decision), reply);
}

// The rcode a well-formed query is refused or rejected with before any
// lookup, or nothing.
std::optional<uint16_t> precheck(const Message& query) {
  if (query.header.opcode != opcode::kQuery) return rcode::kNotImp;
  if (query.questions.size() != 1) return rcode::kFormErr;
  if (query.edns && query.edns->version > 0) return rcode::kBadVers;
  const Question& question = query.questions.front();
  if (question.klass != kClassIn) return rcode::kRefused;
  if (question.type == rrtype::kAxfr || question.type == rrtype::kIxfr) return rcode::kRefused;
  if (question.type == rrtype::kOpt) return rcode::kFormErr;
  return std::nullopt;
}

Decision rejected(Decision decision, uint16_t code) {
  decision.malformed = code == rcode::kFormErr;
  decision.refused = code == rcode::kRefused;
  // A question count other than 1 echoes none of them.
  const Message reply = reply_to(decision.query, code);
  return reject(std::move(decision), reply);
}

// What every reply to a message that could be read needs.
Decision decision_for(Message query, std::size_t query_size, Transport transport) {
  Decision decision;
  decision.query_size = query_size;
  decision.max_size = answer_limit(query, transport);
  if (!query.questions.empty()) decision.qtype = query.questions.front().type;
  decision.query = std::move(query);
  return decision;
}

}  // namespace

Responder::Responder(const config::Dns& dns) : forward_enabled_(dns.forward.enabled) {
  for (const std::string& text : dns.forward.allowed_clients) {
    if (const auto cidr = base::parse_cidr(text)) allowed_.push_back(*cidr);
  }
}

bool Responder::may_recurse(const Client& client) const {
  if (!forward_enabled_ || !client.address) return false;
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const base::Cidr& cidr) { return cidr.contains(*client.address); });
}

Decision Responder::respond(std::span<const uint8_t> packet, const ZoneIndex* zone,
                            const Client& client, std::chrono::system_clock::time_point now) const {
  const std::optional<Header> header = read_header(packet);
  if (!header) return drop(DropReason::kShort);
  if (header->qr) return drop(DropReason::kResponse);
  ReadResult read = read_message(packet);
  if (read.error == ReadError::kBadOption) {
    return bad_option(decision_for(std::move(read.message), packet.size(), client.transport));
  }
  if (!read.ok()) return formerr(*header, packet.size());

  Decision decision = decision_for(std::move(read.message), packet.size(), client.transport);
  const Message& query = decision.query;
  if (query.tsig) return bad_key(std::move(decision), now);
  if (const auto code = precheck(query)) return rejected(std::move(decision), *code);
  const Lookup found = zone ? zone->find(query.questions.front().name) : Lookup{};
  if (found.kind != LookupKind::kOutside) {
    Message reply = authoritative(query, found);
    reply.header.ra = may_recurse(client);
    return answer(std::move(decision), reply);
  }
  if (query.header.rd && may_recurse(client)) return forward(std::move(decision));
  decision.refused = true;
  const Message reply = reply_to(query, rcode::kRefused);
  return reject(std::move(decision), reply);
}

std::vector<uint8_t> Responder::slip(const Decision& decision) const {
  Message reply = reply_to(decision.query, rcode::kNoError);
  reply.header.tc = true;
  return no_larger_than_query(std::move(reply), decision.query_size, decision.max_size);
}

std::vector<uint8_t> Responder::forwarded_answer(const Decision& forward,
                                                 std::span<const uint8_t> upstream_answer) const {
  const ReadResult read = read_message(upstream_answer);
  const bool matches =
      read.ok() && read.message.header.qr && read.message.questions == forward.query.questions;
  if (!matches) return servfail(forward);
  if (upstream_answer.size() <= forward.max_size) {
    return {upstream_answer.begin(), upstream_answer.end()};
  }
  Message reply = reply_to(forward.query, read.message.header.rcode);
  reply.header.ra = true;
  reply.header.tc = true;
  return write_message(reply, forward.max_size).bytes;
}

std::vector<uint8_t> Responder::servfail(const Decision& forward) const {
  Message reply = reply_to(forward.query, rcode::kServFail);
  reply.header.ra = true;
  return write_message(reply, forward.max_size).bytes;
}

}  // namespace meshgate::dns
