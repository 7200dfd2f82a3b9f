// The responder's error replies as ISC's EDNS compliance tester (genreport)
// and BIND read them: NOTIMP with no flag but QR, NOTAUTH/BADKEY for a query
// signed with TSIG (RFC 8945), FORMERR with an OPT for an option running
// past its OPT (RFC 6891 §7). Each checked byte by byte where the bytes are
// the point.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dns-global/reader.h"
#include "dns-global/responder.h"
#include "dns-global/writer.h"

namespace meshgate::dns {
namespace {

using namespace std::string_literals;

// 2023-11-14 22:13:20 UTC: 0x6553F100 seconds since 1970.
const auto kNow = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
constexpr uint8_t kQr = 0x80;
constexpr uint8_t kRd = 0x01;
constexpr uint8_t kCd = 0x10;

Name name(std::string_view text) {
  return *Name::parse(text);
}

std::vector<uint8_t> u16(uint16_t value) {
  return {static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value & 0xFF)};
}

void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& more) {
  out.insert(out.end(), more.begin(), more.end());
}

void append(std::vector<uint8_t>& out, std::string_view more) {
  out.insert(out.end(), more.begin(), more.end());
}

// The RDATA of a TSIG as `dig -y hmac-sha256:<key>:...` sends it: the
// algorithm, time signed, fudge 300, a 32-byte MAC, the original id, no error.
std::vector<uint8_t> tsig_rdata(std::string_view algorithm_wire, std::size_t mac_size = 32) {
  std::vector<uint8_t> rdata;
  append(rdata, algorithm_wire);
  append(rdata, {0x00, 0x00, 0x65, 0x53, 0xF0, 0x00});  // a little before kNow
  append(rdata, u16(300));
  append(rdata, u16(static_cast<uint16_t>(mac_size)));
  rdata.resize(rdata.size() + mac_size, 0xAA);
  append(rdata, u16(0xbeef));
  append(rdata, u16(0));  // error
  append(rdata, u16(0));  // other len
  return rdata;
}

// `packet` with a TSIG record owned by `key_wire` appended as its last
// additional record, class ANY, TTL 0.
std::vector<uint8_t> signed_packet(std::vector<uint8_t> packet, std::string_view key_wire,
                                   const std::vector<uint8_t>& rdata) {
  append(packet, key_wire);
  append(packet, u16(rrtype::kTsig));
  append(packet, u16(kClassAny));
  append(packet, {0, 0, 0, 0});
  append(packet, u16(static_cast<uint16_t>(rdata.size())));
  append(packet, rdata);
  ++packet[11];  // ARCOUNT
  return packet;
}

class ResponderErrorsTest : public ::testing::Test {
 protected:
  ResponderErrorsTest() {
    dns_.forward.allowed_clients = {"127.0.0.0/8"};
    const discovery::Snapshot snapshot(7, {}, {{"db.bar.global", {"10.1.2.3"}, "", ""}});
    zone_ = ZoneIndex::build(dns_, snapshot, allocator_);
  }

  static Message query(std::string_view qname, uint16_t type, bool edns = false) {
    Message message;
    message.header.id = 0xbeef;
    message.header.rd = true;
    message.questions.push_back({name(qname), type, kClassIn});
    if (edns) message.edns = Edns{4096, 0, true, {}};
    return message;
  }
  static std::vector<uint8_t> bytes(const Message& message) {
    return write_message(message, kMaxMessageBytes).bytes;
  }

  Decision ask(const std::vector<uint8_t>& packet) const {
    return Responder(dns_).respond(packet, zone_.get(), Client{base::parse_ip("127.0.0.1")}, kNow);
  }

  static Message read(const Decision& decision) {
    EXPECT_EQ(decision.kind, Decision::Kind::kAnswer);
    ReadResult result = read_message(decision.answer);
    EXPECT_TRUE(result.ok()) << to_string(result.error);
    return result.message;
  }

  config::Dns dns_;
  VipAllocator allocator_{{*base::parse_cidr("240.240.0.0/16")}};
  ZoneIndexPtr zone_;
};

// genreport's `opcodeflg`: opcode 15, header only, AA TC RD RA Z AD CD all
// set. BIND answers NOTIMP with QR and the opcode and nothing else.
TEST_F(ResponderErrorsTest, NotImpCarriesNoFlagButQr) {
  const std::vector<uint8_t> probe{0xbe, 0xef, 15 << 3 | 0x07, 0xF0, 0, 0, 0, 0, 0, 0, 0, 0};
  const Decision decision = ask(probe);
  ASSERT_EQ(decision.kind, Decision::Kind::kAnswer);
  const std::vector<uint8_t> expected{0xbe, 0xef, kQr | 15 << 3, rcode::kNotImp, 0, 0, 0, 0, 0, 0,
                                      0,    0};
  EXPECT_EQ(decision.answer, expected);
}

// An unknown opcode's sections mean nothing to us: none is echoed, and OPT
// only because the query had one (RFC 6891 §6.1.1).
TEST_F(ResponderErrorsTest, NotImpForAnUnknownOpcodeEchoesNoQuestion) {
  Message message = query("db.bar.global", rrtype::kA, true);
  message.header.opcode = 15;
  message.header.cd = true;
  const Message reply = read(ask(bytes(message)));
  EXPECT_EQ(reply.header.rcode, rcode::kNotImp);
  EXPECT_EQ(reply.header.opcode, 15);
  EXPECT_FALSE(reply.header.rd || reply.header.cd || reply.header.aa || reply.header.ra ||
               reply.header.ad || reply.header.tc);
  EXPECT_TRUE(reply.questions.empty());
  ASSERT_TRUE(reply.edns.has_value());
  message.edns.reset();
  EXPECT_FALSE(read(ask(bytes(message))).edns.has_value());
}

// NOTIFY and UPDATE carry a question (a zone section): echoed, as BIND does,
// but their flags are not a QUERY's either.
TEST_F(ResponderErrorsTest, NotImpForNotifyKeepsItsQuestionNotItsFlags) {
  Message notify = query("global", rrtype::kSoa);
  notify.header.opcode = opcode::kNotify;
  notify.header.aa = true;
  notify.header.cd = true;
  const Message reply = read(ask(bytes(notify)));
  EXPECT_EQ(reply.header.rcode, rcode::kNotImp);
  EXPECT_FALSE(reply.header.rd || reply.header.cd || reply.header.aa);
  EXPECT_EQ(reply.questions, notify.questions);
}

// For QUERY, RD (RFC 1035 §4.1.1) and CD (RFC 4035 §3.1.6) are still copied
// into every error.
TEST_F(ResponderErrorsTest, QueryErrorsStillCopyRdAndCd) {
  Message chaos = query("version.bind", rrtype::kTxt);
  chaos.questions[0].klass = 3;
  chaos.header.cd = true;
  const Decision refused = ask(bytes(chaos));
  EXPECT_EQ(read(refused).header.rcode, rcode::kRefused);
  EXPECT_EQ(refused.answer[2], kQr | kRd);
  EXPECT_EQ(refused.answer[3], kCd | rcode::kRefused);
  std::vector<uint8_t> cut = bytes(chaos);
  cut.resize(cut.size() - 1);
  const Decision formerr = ask(cut);
  EXPECT_EQ(formerr.answer[2], kQr | kRd);
  EXPECT_EQ(formerr.answer[3], kCd | rcode::kFormErr);
}

// RFC 8945 §5.2.1 for a server that holds no keys: NOTAUTH, and a TSIG with
// the query's key and algorithm, our time, fudge 300, no MAC (§5.3.2: the
// reply is unsigned), the query's id as original id, error BADKEY.
TEST_F(ResponderErrorsTest, SignedQueryGetsNotAuthWithBadKey) {
  const std::vector<uint8_t> plain = bytes(query("global", rrtype::kSoa));
  const std::string hmac = "\x0bhmac-sha256\x00"s;
  const std::vector<uint8_t> packet = signed_packet(plain, "\x00"s, tsig_rdata(hmac));
  ASSERT_EQ(packet.size(), plain.size() + 72);  // what genreport's `dnswkk` adds
  const Decision decision = ask(packet);
  ASSERT_EQ(decision.kind, Decision::Kind::kAnswer);
  EXPECT_TRUE(decision.tsig);
  EXPECT_EQ(decision.rcode, rcode::kNotAuth);
  std::vector<uint8_t> expected{0xbe, 0xef, kQr | kRd, rcode::kNotAuth, 0, 1, 0, 0, 0, 0, 0, 1};
  append(expected, "\x06global\x00\x00\x06\x00\x01"s);                // the question
  append(expected, "\x00\x00\xFA\x00\xFF\x00\x00\x00\x00\x00\x1D"s);  // key ".", TSIG ANY 0
  append(expected, hmac);
  append(expected, {0x00, 0x00, 0x65, 0x53, 0xF1, 0x00});  // time signed: kNow
  append(expected, {0x01, 0x2C, 0x00, 0x00, 0xbe, 0xef, 0x00, 0x11, 0x00, 0x00});
  EXPECT_EQ(decision.answer, expected);
}

// With EDNS the reply's OPT comes before the TSIG, which is always last;
// the key's and the algorithm's case are the query's.
TEST_F(ResponderErrorsTest, SignedQueryWithEdnsHasOptThenTsig) {
  const std::vector<uint8_t> packet = signed_packet(bytes(query("db.bar.global", rrtype::kA, true)),
                                                    "\x03Key\x07"
                                                    "Example\x00"s,
                                                    tsig_rdata("\x0bHMAC-SHA256\x00"s));
  const Decision decision = ask(packet);
  const Message reply = read(decision);
  EXPECT_EQ(reply.header.rcode, rcode::kNotAuth);
  EXPECT_TRUE(reply.answers.empty() && reply.authority.empty() && reply.additional.empty());
  ASSERT_TRUE(reply.edns.has_value());
  EXPECT_TRUE(reply.edns->dnssec_ok);
  ASSERT_TRUE(reply.tsig.has_value());
  EXPECT_EQ(reply.tsig->key.wire(),
            "\x03Key\x07"
            "Example\x00"s);
  EXPECT_EQ(reply.tsig->algorithm.wire(), "\x0bHMAC-SHA256\x00"s);
  EXPECT_EQ(reply.tsig->error, rcode::kBadKey);
  EXPECT_TRUE(reply.tsig->mac.empty());
  const std::size_t tsig_bytes = 13 + 10 + 13 + 16;  // key, fixed fields, algorithm, the rest
  EXPECT_EQ(decision.answer[decision.answer.size() - tsig_bytes + 14], rrtype::kTsig);
}

// A signed query for a name we would forward cannot go upstream as signed
// (the upstream query is rebuilt), nor lose its TSIG unnoticed; it gets
// BADKEY like any other. An unknown opcode gets it too, flagless.
TEST_F(ResponderErrorsTest, SignedQueriesAreNeverForwardedOrAnsweredUnsigned) {
  const std::string hmac = "\x0bhmac-sha256\x00"s;
  const Decision outside =
      ask(signed_packet(bytes(query("example.com", rrtype::kA)), "\x00"s, tsig_rdata(hmac)));
  EXPECT_EQ(read(outside).header.rcode, rcode::kNotAuth);
  Message status = query("db.bar.global", rrtype::kA);
  status.header.opcode = 2;
  const Decision notimp = ask(signed_packet(bytes(status), "\x00"s, tsig_rdata(hmac)));
  EXPECT_EQ(read(notimp).header.rcode, rcode::kNotAuth);
  EXPECT_EQ(notimp.answer[2], kQr | 2 << 3);
}

// RFC 8945 §5.2: a TSIG that is not the last record, or of a class other
// than ANY, is FORMERR.
TEST_F(ResponderErrorsTest, MisplacedTsigIsFormErr) {
  const std::vector<uint8_t> rdata = tsig_rdata("\x0bhmac-sha256\x00"s);
  std::vector<uint8_t> first = signed_packet(bytes(query("global", rrtype::kSoa)), "\x00"s, rdata);
  append(first, "\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x0a\x00\x00\x01"s);  // an A after
  ++first[11];
  const Decision decision = ask(first);
  EXPECT_TRUE(decision.malformed);
  EXPECT_EQ(read(decision).header.rcode, rcode::kFormErr);
  EXPECT_FALSE(decision.tsig);
}

// A MAC of 0 bytes and a key name that points at the question: the
// smallest signed query there is, and the reply is still no larger.
TEST_F(ResponderErrorsTest, NotAuthIsNoLargerThanTheQuery) {
  const std::vector<uint8_t> packet =
      signed_packet(bytes(query("db.bar.global", rrtype::kA)), "\xC0\x0C"s, tsig_rdata("\x00"s, 0));
  const Decision decision = ask(packet);
  EXPECT_EQ(read(decision).header.rcode, rcode::kNotAuth);
  EXPECT_LE(decision.answer.size(), packet.size());
  ASSERT_TRUE(read(decision).tsig.has_value());
  EXPECT_EQ(read(decision).tsig->key, name("db.bar.global"));
}

// RFC 6891 §7: an option whose length runs past the OPT RDATA, or bytes too
// few for an option, is FORMERR, and the reply carries an OPT of our own so
// the client can tell "broken option" from "no EDNS here".
TEST_F(ResponderErrorsTest, AnOptionPastItsOptIsFormErrWithOurOpt) {
  for (const std::string& options : {"\x00\x0a\x00\x08"
                                     "ab"s,
                                     "\x00\x0a\x00\x00\x00\x0c\x00"s}) {
    Message message = query("db.bar.global", rrtype::kA, true);
    message.edns->options = options;
    const std::vector<uint8_t> packet = bytes(message);
    const Decision decision = ask(packet);
    EXPECT_TRUE(decision.malformed);
    const Message reply = read(decision);
    EXPECT_EQ(reply.header.rcode, rcode::kFormErr);
    EXPECT_TRUE(reply.header.rd);
    EXPECT_EQ(reply.questions, message.questions);
    ASSERT_TRUE(reply.edns.has_value());
    EXPECT_EQ(reply.edns->udp_size, kMaxUdpAnswer);
    EXPECT_TRUE(reply.edns->dnssec_ok);
    EXPECT_TRUE(reply.edns->options.empty());
    EXPECT_LE(decision.answer.size(), packet.size());
  }
}

// Options that fill their OPT exactly are fine, unknown codes and empty ones
// included (genreport's `ednsopt` and `optlist` must be answered).
TEST_F(ResponderErrorsTest, WellFormedOptionsOfAnyCodeAreAnswered) {
  Message message = query("db.bar.global", rrtype::kA, true);
  message.edns->options = "\x00\x64\x00\x00\x00\x03\x00\x00\x00\x08\x00\x04\x00\x01\x00\x00"s;
  const Message reply = read(ask(bytes(message)));
  EXPECT_EQ(reply.header.rcode, rcode::kNoError);
  EXPECT_EQ(reply.answers.size(), 1U);
}

}  // namespace
}  // namespace meshgate::dns
