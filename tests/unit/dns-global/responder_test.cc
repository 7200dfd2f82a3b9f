// The answer logic, from query bytes to answer bytes, against a zone built
// from a registry snapshot.
#include "dns-global/responder.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>

#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace meshgate::dns {
namespace {

Name name(std::string_view text) {
  return *Name::parse(text);
}

base::IpAddress ip(std::string_view text) {
  return *base::parse_ip(text);
}

discovery::Service service(std::string name_, std::string ns) {
  discovery::Service s;
  s.name = std::move(name_);
  s.ns = std::move(ns);
  s.ports = {{"tls", 8000, 0}};
  return s;
}

class ResponderTest : public ::testing::Test {
 protected:
  ResponderTest() {
    dns_.forward.allowed_clients = {"127.0.0.0/8"};
    std::vector<discovery::HostAlias> aliases{
        {"db.bar.global", {"10.1.2.3", "fd00::3"}, "", ""},
        {"v4only.bar.global", {"10.1.2.4"}, "", ""},
        {"*.wild.global", {"10.9.9.9"}, "", ""},
    };
    const discovery::Snapshot snapshot(7, {service("httpbin", "bar")}, aliases);
    zone_ = ZoneIndex::build(dns_, snapshot, allocator_);
  }

  static std::vector<uint8_t> query(std::string_view qname, uint16_t type, bool edns = false,
                                    uint16_t udp_size = 1232) {
    Message message;
    message.header.id = 0xbeef;
    message.header.rd = true;
    message.questions.push_back({name(qname), type, kClassIn});
    if (edns) message.edns = Edns{udp_size, 0, false, {}};
    return write_message(message, kMaxMessageBytes).bytes;
  }

  Decision ask(const std::vector<uint8_t>& packet, std::string_view from = "127.0.0.1",
               Transport transport = Transport::kUdp) const {
    return Responder(dns_).respond(packet, zone_.get(), Client{ip(from), transport},
                                   std::chrono::system_clock::now());
  }

  static Message read(const Decision& decision) {
    EXPECT_EQ(decision.kind, Decision::Kind::kAnswer);
    ReadResult result = read_message(decision.answer);
    EXPECT_TRUE(result.ok()) << to_string(result.error);
    return result.message;
  }

  config::Dns dns_;
  VipAllocator allocator_{{*base::parse_cidr("240.240.0.0/16"), *base::parse_cidr("2001:2::/48")}};
  ZoneIndexPtr zone_;
};

TEST_F(ResponderTest, AnswersAnAliasWithItsAddressesAuthoritatively) {
  const Message reply = read(ask(query("db.bar.global", rrtype::kA)));
  EXPECT_EQ(reply.header.id, 0xbeef);
  EXPECT_TRUE(reply.header.qr);
  EXPECT_TRUE(reply.header.aa);
  EXPECT_TRUE(reply.header.rd);
  EXPECT_TRUE(reply.header.ra);  // 127.0.0.1 may recurse
  EXPECT_EQ(reply.header.rcode, rcode::kNoError);
  ASSERT_EQ(reply.answers.size(), 1U);
  EXPECT_EQ(reply.answers[0].ttl, 30U);
  EXPECT_EQ(std::get<AData>(reply.answers[0].data).address, (std::array<uint8_t, 4>{10, 1, 2, 3}));
  const Message v6 = read(ask(query("db.bar.global", rrtype::kAaaa)));
  ASSERT_EQ(v6.answers.size(), 1U);
  EXPECT_EQ(std::get<AaaaData>(v6.answers[0].data).address[0], 0xfd);
}

TEST_F(ResponderTest, ServiceNamesGetVipsInBothFamilies) {
  const Message a = read(ask(query("httpbin.bar.global", rrtype::kA)));
  ASSERT_EQ(a.answers.size(), 1U);
  const auto v4 = std::get<AData>(a.answers[0].data).address;
  EXPECT_EQ(v4[0], 240);
  EXPECT_EQ(v4[1], 240);
  const Message aaaa = read(ask(query("httpbin.bar.global", rrtype::kAaaa)));
  ASSERT_EQ(aaaa.answers.size(), 1U);
  const auto v6 = std::get<AaaaData>(aaaa.answers[0].data).address;
  EXPECT_EQ(v6[0], 0x20);
  EXPECT_EQ(v6[3], 0x02);
}

TEST_F(ResponderTest, EchoesTheQuestionsCaseAndMatchesAnyCase) {
  const Message reply = read(ask(query("DB.Bar.GLOBAL", rrtype::kA)));
  ASSERT_EQ(reply.answers.size(), 1U);
  EXPECT_EQ(reply.questions[0].name.wire(), name("DB.Bar.GLOBAL").wire());
  EXPECT_EQ(reply.answers[0].name.wire(), name("DB.Bar.GLOBAL").wire());
}

TEST_F(ResponderTest, UnknownNameIsNxDomainWithTheSoa) {
  const Decision decision = ask(query("nope.bar.global", rrtype::kA));
  const Message reply = read(decision);
  EXPECT_EQ(reply.header.rcode, rcode::kNxDomain);
  EXPECT_TRUE(reply.header.aa);
  EXPECT_TRUE(reply.answers.empty());
  ASSERT_EQ(reply.authority.size(), 1U);
  EXPECT_EQ(reply.authority[0].type, rrtype::kSoa);
  EXPECT_EQ(std::get<SoaData>(reply.authority[0].data).serial, 7U);
  EXPECT_EQ(decision.rcode, rcode::kNxDomain);
}

TEST_F(ResponderTest, KnownNameOtherTypeIsNoData) {
  for (const auto& [qname, type] : std::vector<std::pair<std::string, uint16_t>>{
           {"v4only.bar.global", rrtype::kAaaa},
           {"db.bar.global", rrtype::kMx},
           {"bar.global", rrtype::kA},  // an empty non-terminal
       }) {
    const Message reply = read(ask(query(qname, type)));
    EXPECT_EQ(reply.header.rcode, rcode::kNoError) << qname;
    EXPECT_TRUE(reply.answers.empty()) << qname;
    ASSERT_EQ(reply.authority.size(), 1U) << qname;
    EXPECT_EQ(reply.authority[0].type, rrtype::kSoa) << qname;
  }
}

TEST_F(ResponderTest, ApexHasSoaAndNs) {
  const Message soa = read(ask(query("global", rrtype::kSoa)));
  ASSERT_EQ(soa.answers.size(), 1U);
  const auto& data = std::get<SoaData>(soa.answers[0].data);
  EXPECT_EQ(data.mname, name("ns.global"));
  EXPECT_EQ(data.minimum, 30U);
  const Message ns = read(ask(query("global", rrtype::kNs)));
  ASSERT_EQ(ns.answers.size(), 1U);
  EXPECT_EQ(std::get<NameData>(ns.answers[0].data).name, name("ns.global"));
}

TEST_F(ResponderTest, AnyIsAnsweredWithOneRrset) {
  const Message reply = read(ask(query("db.bar.global", rrtype::kAny)));
  ASSERT_EQ(reply.answers.size(), 1U);
  EXPECT_EQ(reply.answers[0].type, rrtype::kA);
  const Message apex = read(ask(query("global", rrtype::kAny)));
  ASSERT_EQ(apex.answers.size(), 1U);
  EXPECT_EQ(apex.answers[0].type, rrtype::kSoa);
  const Message ent = read(ask(query("bar.global", rrtype::kAny)));  // no data: NODATA
  EXPECT_EQ(ent.header.rcode, rcode::kNoError);
  EXPECT_TRUE(ent.answers.empty());
  ASSERT_EQ(ent.authority.size(), 1U);
  EXPECT_EQ(ent.authority[0].type, rrtype::kSoa);
}

TEST_F(ResponderTest, WildcardAnswersBelowNotAtItsParent) {
  const Message below = read(ask(query("a.b.wild.global", rrtype::kA)));
  ASSERT_EQ(below.answers.size(), 1U);
  EXPECT_EQ(below.answers[0].name, name("a.b.wild.global"));
  const Message parent = read(ask(query("wild.global", rrtype::kA)));
  EXPECT_EQ(parent.header.rcode, rcode::kNoError);
  EXPECT_TRUE(parent.answers.empty());
}

TEST_F(ResponderTest, OutsideTheZonesIsForwardedForAllowedClientsOnly) {
  const std::vector<uint8_t> packet = query("example.com", rrtype::kA);
  EXPECT_EQ(ask(packet, "127.0.0.1").kind, Decision::Kind::kForward);
  const Decision refused = ask(packet, "192.0.2.1");
  const Message reply = read(refused);
  EXPECT_EQ(reply.header.rcode, rcode::kRefused);
  EXPECT_FALSE(reply.header.ra);
  EXPECT_TRUE(refused.refused);
  EXPECT_LE(refused.answer.size(), packet.size());  // no amplification
}

TEST_F(ResponderTest, WhatGoesUpstreamIsTheQuestionAndOurOwnOpt) {
  Message message = read_message(query("example.com", rrtype::kA, true, 65'000)).message;
  message.edns->options = std::string(
      "\x00\x0a\x00\x08"
      "cookie!!",
      12);
  for (int i = 0; i < 100; ++i) {
    message.additional.push_back(
        {name("junk.example"), rrtype::kTxt, kClassIn, 0, RawData{std::string(200, 'x')}});
  }
  const Decision forward = ask(write_message(message, kMaxMessageBytes).bytes);
  ASSERT_EQ(forward.kind, Decision::Kind::kForward);
  EXPECT_TRUE(forward.query.additional.empty());  // not kept while waiting
  const ReadResult upstream = read_message(forward.upstream_query);
  ASSERT_TRUE(upstream.ok());
  EXPECT_EQ(upstream.message.header.id, 0xbeef);
  EXPECT_TRUE(upstream.message.header.rd);
  EXPECT_EQ(upstream.message.questions, message.questions);
  EXPECT_TRUE(upstream.message.additional.empty());
  ASSERT_TRUE(upstream.message.edns.has_value());
  EXPECT_EQ(upstream.message.edns->udp_size, kMaxUdpAnswer);
  EXPECT_TRUE(upstream.message.edns->options.empty());
  const Decision plain = ask(query("example.com", rrtype::kA));
  EXPECT_FALSE(read_message(plain.upstream_query).message.edns.has_value());
}

TEST_F(ResponderTest, NoRecursionWithoutRdOrWhenForwardingIsOff) {
  Message message = read_message(query("example.com", rrtype::kA)).message;
  message.header.rd = false;
  EXPECT_EQ(read(ask(write_message(message, 512).bytes)).header.rcode, rcode::kRefused);
  dns_.forward.enabled = false;
  EXPECT_EQ(read(ask(query("example.com", rrtype::kA))).header.rcode, rcode::kRefused);
}

TEST_F(ResponderTest, BadInputGetsFormErrOrNothing) {
  EXPECT_EQ(ask({1, 2, 3}).kind, Decision::Kind::kDrop);  // shorter than a header
  std::vector<uint8_t> response = query("db.bar.global", rrtype::kA);
  response[2] |= 0x80;  // QR: a response; answering could loop
  EXPECT_EQ(ask(response).kind, Decision::Kind::kDrop);
  std::vector<uint8_t> truncated = query("db.bar.global", rrtype::kA);
  truncated.resize(truncated.size() - 3);
  const Decision formerr = ask(truncated);
  EXPECT_TRUE(formerr.malformed);
  EXPECT_EQ(read(formerr).header.rcode, rcode::kFormErr);
  EXPECT_EQ(read(formerr).header.id, 0xbeef);
  Message two = read_message(query("db.bar.global", rrtype::kA)).message;
  two.questions.push_back(two.questions[0]);
  const std::vector<uint8_t> two_bytes = write_message(two, 512).bytes;
  const Decision two_questions = ask(two_bytes);
  EXPECT_EQ(read(two_questions).header.rcode, rcode::kFormErr);
  EXPECT_TRUE(read(two_questions).questions.empty());  // none echoed
  EXPECT_LE(two_questions.answer.size(), two_bytes.size());
}

TEST_F(ResponderTest, OpcodesClassesAndTransfers) {
  Message notify = read_message(query("global", rrtype::kSoa)).message;
  notify.header.opcode = opcode::kNotify;
  EXPECT_EQ(read(ask(write_message(notify, 512).bytes)).header.rcode, rcode::kNotImp);
  Message chaos = read_message(query("version.bind", rrtype::kTxt)).message;
  chaos.questions[0].klass = 3;
  EXPECT_EQ(read(ask(write_message(chaos, 512).bytes)).header.rcode, rcode::kRefused);
  EXPECT_EQ(read(ask(query("global", rrtype::kAxfr), "127.0.0.1", Transport::kTcp)).header.rcode,
            rcode::kRefused);
  EXPECT_EQ(read(ask(query("global", rrtype::kIxfr))).header.rcode, rcode::kRefused);
}

TEST_F(ResponderTest, EdnsVersionAboveZeroIsBadVers) {
  Message message = read_message(query("db.bar.global", rrtype::kA, true)).message;
  message.edns->version = 1;
  const Message reply = read(ask(write_message(message, 512).bytes));
  EXPECT_EQ(reply.header.rcode, rcode::kBadVers);
  ASSERT_TRUE(reply.edns.has_value());
}

TEST_F(ResponderTest, AnswerSizeFollowsEdnsAndTransport) {
  EXPECT_EQ(ask(query("db.bar.global", rrtype::kA)).max_size, 512U);
  EXPECT_EQ(ask(query("db.bar.global", rrtype::kA, true, 4096)).max_size, kMaxUdpAnswer);
  EXPECT_EQ(ask(query("db.bar.global", rrtype::kA, true, 100)).max_size, 512U);
  EXPECT_EQ(ask(query("db.bar.global", rrtype::kA), "127.0.0.1", Transport::kTcp).max_size,
            kMaxMessageBytes);
  const Message reply = read(ask(query("db.bar.global", rrtype::kA, true, 4096)));
  ASSERT_TRUE(reply.edns.has_value());
  EXPECT_EQ(reply.edns->udp_size, kMaxUdpAnswer);
}

TEST_F(ResponderTest, ManyAddressesTruncateOverUdpNotOverTcp) {
  std::vector<std::string> addresses;
  for (int i = 1; i <= 60; ++i)
    addresses.push_back("10.0.0." + std::to_string(i));
  const discovery::Snapshot snapshot(8, {}, {{"big.bar.global", addresses, "", ""}});
  zone_ = ZoneIndex::build(dns_, snapshot, allocator_);
  const Decision udp = ask(query("big.bar.global", rrtype::kA));
  EXPECT_TRUE(udp.truncated);
  const Message small = read(udp);
  EXPECT_TRUE(small.header.tc);
  EXPECT_TRUE(small.answers.empty());
  EXPECT_LE(udp.answer.size(), 512U);
  const Message full = read(ask(query("big.bar.global", rrtype::kA), "127.0.0.1", Transport::kTcp));
  EXPECT_FALSE(full.header.tc);
  EXPECT_EQ(full.answers.size(), 60U);
}

TEST_F(ResponderTest, ForwardedAnswersAreCheckedAndFitted) {
  const Responder responder(dns_);
  const Decision forward = ask(query("example.com", rrtype::kA));
  ASSERT_EQ(forward.kind, Decision::Kind::kForward);
  Message upstream = forward.query;
  upstream.header.qr = true;
  upstream.header.ra = true;
  upstream.answers.push_back({name("example.com"), rrtype::kA, kClassIn, 60, AData{{1, 2, 3, 4}}});
  const std::vector<uint8_t> good = write_message(upstream, 512).bytes;
  EXPECT_EQ(responder.forwarded_answer(forward, good), good);
  Message other = upstream;
  other.questions[0].name = name("evil.example");
  const auto mismatched = responder.forwarded_answer(forward, write_message(other, 512).bytes);
  EXPECT_EQ(read_message(mismatched).message.header.rcode, rcode::kServFail);
  for (int i = 0; i < 60; ++i)
    upstream.answers.push_back(upstream.answers[0]);
  const auto fitted = responder.forwarded_answer(forward, write_message(upstream, 65535).bytes);
  EXPECT_LE(fitted.size(), 512U);
  EXPECT_TRUE(read_message(fitted).message.header.tc);
  EXPECT_EQ(read_message(responder.servfail(forward)).message.header.rcode, rcode::kServFail);
}

// Two questions: "a." of type 0x0178 and class 1, whose bytes 01 78 00 read
// as the name "x.", then a pointer to them (offset 15) of type A, class IN:
// the second name is two bytes here and three when written out.
constexpr std::array<uint8_t, 13> kPackedQuestions{0x01, 'a',  0x00, 0x01, 0x78, 0x00, 0x01,
                                                   0xC0, 0x0F, 0,    1,    0,    1};

// Refused and error answers, each against the query it answers: none may be
// larger, or the server would amplify a spoofed flood.
class NoAmplificationTest : public ResponderTest {
 protected:
  static std::vector<uint8_t> bytes(const Message& message) {
    return write_message(message, kMaxMessageBytes).bytes;
  }
  static Message base(std::string_view qname, uint16_t type) {
    return read_message(query(qname, type)).message;
  }
  // The header of a query with `questions` and no other records.
  static std::vector<uint8_t> raw_header(uint8_t opcode_bits, uint16_t questions) {
    return {0xbe, 0xef, static_cast<uint8_t>(opcode_bits << 3 | 1),
            0,    0,    static_cast<uint8_t>(questions),
            0,    0,    0,
            0,    0,    0};
  }
  // Queries that get REFUSED, FORMERR, NOTIMP or BADVERS, by name.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> rejected_queries() const {
    std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
    out.emplace_back("outside the zones", query("example.com", rrtype::kA));
    out.emplace_back("outside, EDNS", query("example.com", rrtype::kA, true, 4096));
    Message cookie = base("example.com", rrtype::kAaaa);
    cookie.edns = Edns{4096, 0, true,
                       std::string("\x00\x0a\x00\x08"
                                   "cookie!!",
                                   12)};
    out.emplace_back("outside, EDNS with an option", bytes(cookie));
    out.emplace_back("long name", query(std::string(60, 'a') + "." + std::string(60, 'b') + "." +
                                            std::string(60, 'c') + ".example",
                                        rrtype::kA, true));
    out.emplace_back("mixed case", query("ExAmPlE.CoM", rrtype::kA));
    Message chaos = base("version.bind", rrtype::kTxt);
    chaos.questions[0].klass = 3;
    out.emplace_back("class CH", bytes(chaos));
    out.emplace_back("AXFR", query("global", rrtype::kAxfr));
    Message notify = base("global", rrtype::kSoa);
    notify.header.opcode = opcode::kNotify;
    notify.edns = Edns{};
    out.emplace_back("NOTIFY", bytes(notify));
    std::vector<uint8_t> no_question = raw_header(opcode::kUpdate, 0);
    out.emplace_back("UPDATE, no question", no_question);
    std::vector<uint8_t> packed = raw_header(2, 2);
    packed.insert(packed.end(), kPackedQuestions.begin(), kPackedQuestions.end());
    out.emplace_back("STATUS, packed questions", packed);
    packed[2] = 0x01;  // the same as a QUERY: two questions
    out.emplace_back("QUERY, packed questions", packed);
    Message version = base("db.bar.global", rrtype::kA);
    version.edns = Edns{1232, 1, false, {}};
    out.emplace_back("EDNS version 1", bytes(version));
    std::vector<uint8_t> loop = raw_header(0, 1);
    loop.insert(loop.end(), {0xC0, 0x0C, 0, 1, 0, 1});
    out.emplace_back("pointer loop", loop);
    out.emplace_back("header only", raw_header(0, 1));
    std::vector<uint8_t> cut = query("db.bar.global", rrtype::kA, true);
    cut.resize(cut.size() - 1);
    out.emplace_back("truncated OPT", cut);
    Message none = base("example.com", rrtype::kA);
    none.questions.clear();
    none.edns = Edns{};
    out.emplace_back("no question, EDNS", bytes(none));
    Message option = base("db.bar.global", rrtype::kA);
    option.edns = Edns{1232, 0, false,
                       std::string("\x00\x0a\x00\x08"
                                   "ab",
                                   6)};
    out.emplace_back("an option past its OPT", bytes(option));
    // Signed: the key name points at the question, algorithm ".", no MAC.
    std::vector<uint8_t> tsig = query("db.bar.global", rrtype::kA);
    const std::string record(
        "\xC0\x0C\x00\xFA\x00\xFF\x00\x00\x00\x00\x00\x11\x00\x00\x00\x65"
        "\x53\xF1\x00\x01\x2C\x00\x00\xBE\xEF\x00\x00\x00\x00",
        29);
    tsig.insert(tsig.end(), record.begin(), record.end());
    tsig[11] = 1;
    out.emplace_back("TSIG", tsig);
    return out;
  }
};

TEST_F(NoAmplificationTest, ErrorsAndRefusalsAreNoLargerThanTheQuery) {
  for (const auto& [what, packet] : rejected_queries()) {
    for (const char* from : {"192.0.2.1", "127.0.0.1"}) {
      const Decision decision = ask(packet, from);
      if (decision.kind == Decision::Kind::kForward) continue;  // an allowed client
      ASSERT_EQ(decision.kind, Decision::Kind::kAnswer) << what;
      EXPECT_LE(decision.answer.size(), packet.size()) << what << " from " << from;
      const ReadResult reply = read_message(decision.answer);
      ASSERT_TRUE(reply.ok()) << what;
      EXPECT_NE(reply.message.header.rcode, rcode::kNoError) << what;
      EXPECT_EQ(reply.message.header.id, 0xbeef) << what;
    }
  }
}

TEST_F(NoAmplificationTest, PackedQuestionsAreNotEchoed) {
  std::vector<uint8_t> packed = raw_header(2, 2);  // STATUS: NOTIMP
  packed.insert(packed.end(), kPackedQuestions.begin(), kPackedQuestions.end());
  const Message reply = read(ask(packed));
  EXPECT_EQ(reply.header.rcode, rcode::kNotImp);
  EXPECT_TRUE(reply.questions.empty());
}

TEST_F(NoAmplificationTest, RefusedKeepsTheQuestionAndOurOwnOpt) {
  Message cookie = base("example.com", rrtype::kA);
  // Padding (option 12), 36 bytes of it: 40 bytes of options.
  cookie.edns = Edns{4096, 0, true, std::string("\x00\x0c\x00\x24", 4) + std::string(36, '\0')};
  const std::vector<uint8_t> packet = bytes(cookie);
  const Decision refused = ask(packet, "192.0.2.1");
  const Message reply = read(refused);
  EXPECT_EQ(reply.header.rcode, rcode::kRefused);
  EXPECT_EQ(reply.questions, cookie.questions);
  ASSERT_TRUE(reply.edns.has_value());
  EXPECT_TRUE(reply.edns->options.empty());
  EXPECT_TRUE(reply.edns->dnssec_ok);
  EXPECT_EQ(refused.answer.size(), packet.size() - 40);  // the options stay behind
}

TEST_F(NoAmplificationTest, SlipIsTruncatedAndNoLargerThanTheQuery) {
  const Responder responder(dns_);
  std::vector<std::pair<std::string, std::vector<uint8_t>>> queries = rejected_queries();
  queries.emplace_back("a zone name", query("db.bar.global", rrtype::kA));
  queries.emplace_back("a zone name, EDNS", query("db.bar.global", rrtype::kAaaa, true));
  queries.emplace_back("forwarded", query("example.com", rrtype::kA));
  for (const auto& [what, packet] : queries) {
    const Decision decision = ask(packet);
    ASSERT_NE(decision.kind, Decision::Kind::kDrop) << what;
    const std::vector<uint8_t> slip = responder.slip(decision);
    EXPECT_LE(slip.size(), packet.size()) << what;
    const ReadResult reply = read_message(slip);
    ASSERT_TRUE(reply.ok()) << what;
    EXPECT_TRUE(reply.message.header.tc) << what;
    EXPECT_TRUE(reply.message.header.qr) << what;
    EXPECT_EQ(reply.message.header.id, 0xbeef) << what;
    EXPECT_TRUE(reply.message.answers.empty()) << what;
  }
  const Message zone =
      read_message(responder.slip(ask(query("db.bar.global", rrtype::kA)))).message;
  ASSERT_EQ(zone.questions.size(), 1U);  // so the client can match it and retry over TCP
  EXPECT_EQ(zone.questions[0].name, name("db.bar.global"));
}

}  // namespace
}  // namespace meshgate::dns
