// The answer logic of the DNS server.
#include "dns-global/responder.h"

#include <algorithm>

#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace meshgate::dns {
namespace {

// The header and question of the reply to `query`, with OPT when it had one.
Message reply_to(const Message& query, uint16_t rcode) {
  Message reply;
  reply.header.id = query.header.id;
  reply.header.qr = true;
  reply.header.opcode = query.header.opcode;
  reply.header.rd = query.header.rd;
  reply.header.cd = query.header.cd;
  reply.header.rcode = rcode;
  reply.questions = query.questions;
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
std::vector<uint8_t> no_larger_than_query(Message reply, std::size_t query_size,
                                          std::size_t max_size) {
  if (reply.questions.size() != 1) reply.questions.clear();
  std::vector<uint8_t> bytes = write_message(reply, max_size).bytes;
  if (bytes.size() <= query_size) return bytes;
  reply.questions.clear();  // the header and OPT: never larger than the query's
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

// FORMERR for a message too broken to read: the header only, no OPT
// (RFC 6891 §7: an unreadable OPT gets no OPT back).
Decision formerr(const Header& header, std::size_t query_size) {
  Decision decision;
  decision.query.header = header;  // what a slip needs to answer it
  decision.query_size = query_size;
  decision.malformed = true;
  const Message reply = reply_to(decision.query, rcode::kFormErr);
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

}  // namespace

Responder::Responder(const config::Dns& dns) : forward_enabled_(dns.forward.enabled) {
  for (const std::string& text : dns.forward.allowed_clients) {
    if (const auto cidr = config::parse_cidr(text)) allowed_.push_back(*cidr);
  }
}

bool Responder::may_recurse(const Client& client) const {
  if (!forward_enabled_ || !client.address) return false;
  return std::any_of(allowed_.begin(), allowed_.end(),
                     [&](const config::Cidr& cidr) { return cidr.contains(*client.address); });
}

Decision Responder::respond(std::span<const uint8_t> packet, const ZoneIndex* zone,
                            const Client& client) const {
  const std::optional<Header> header = read_header(packet);
  if (!header) return drop(DropReason::kShort);
  if (header->qr) return drop(DropReason::kResponse);
  ReadResult read = read_message(packet);
  if (!read.ok()) return formerr(*header, packet.size());

  Decision decision;
  decision.query_size = packet.size();
  decision.max_size = answer_limit(read.message, client.transport);
  if (!read.message.questions.empty()) decision.qtype = read.message.questions.front().type;
  decision.query = std::move(read.message);
  const Message& query = decision.query;
  if (const auto rejected = precheck(query)) {
    decision.malformed = *rejected == rcode::kFormErr;
    decision.refused = *rejected == rcode::kRefused;
    // A question count other than 1 echoes none of them.
    const Message reply = reply_to(query, *rejected);
    return reject(std::move(decision), reply);
  }
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
