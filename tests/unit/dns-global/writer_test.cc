// The writer: exact bytes, name compression, case, truncation and the split
// of the 12-bit rcode between the header and OPT.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "dns-global/reader.h"
#include "dns-global/writer.h"

namespace meshgate::dns {
namespace {

using namespace std::string_literals;

Name name_of(std::string_view text) {
  return Name::parse(text).value_or(Name());
}

Record a_record(std::string_view owner, uint8_t last_byte) {
  return Record{name_of(owner), rrtype::kA, kClassIn, 60, AData{{10, 0, 0, last_byte}}};
}

Message response_for(std::string_view qname) {
  Message message;
  message.header.id = 0xABCD;
  message.header.qr = true;
  message.header.rd = true;
  message.questions.push_back(Question{name_of(qname), rrtype::kA, kClassIn});
  return message;
}

std::string as_string(const std::vector<uint8_t>& bytes) {
  return {bytes.begin(), bytes.end()};
}

uint16_t u16_at(const std::vector<uint8_t>& bytes, std::size_t at) {
  return static_cast<uint16_t>(bytes.at(at) << 8 | bytes.at(at + 1));
}

TEST(WriterTest, WritesTheQueryDigSends) {
  Message message;
  message.header.id = 0x1C3A;
  message.header.rd = true;
  message.header.ad = true;
  message.questions.push_back(Question{name_of("example.com"), rrtype::kA, kClassIn});
  const std::string cookie = "\x00\x0A\x00\x08\x01\x23\x45\x67\x89\xAB\xCD\xEF"s;
  message.edns = Edns{1232, 0, false, cookie};
  const WriteResult result = write_message(message, 512);
  EXPECT_FALSE(result.truncated);
  const std::string expected =
      "\x1C\x3A\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01"s  // header
      "\x07"
      "example\x03"
      "com\x00\x00\x01\x00\x01"s                         // question
      "\x00\x00\x29\x04\xD0\x00\x00\x00\x00\x00\x0C"s +  // OPT
      cookie;
  EXPECT_EQ(as_string(result.bytes), expected);
}

TEST(WriterTest, EveryHeaderBitInPlace) {
  Message message;
  message.header =
      Header{0x0102, true, opcode::kUpdate, true, true, true, true, true, true, rcode::kRefused};
  const WriteResult result = write_message(message, 512);
  ASSERT_EQ(result.bytes.size(), kHeaderBytes);
  EXPECT_EQ(as_string(result.bytes), "\x01\x02\xAF\xB5\x00\x00\x00\x00\x00\x00\x00\x00"s);
}

TEST(WriterTest, SameOwnerTwiceIsAPointerToTheQuestion) {
  Message message = response_for("example.com");
  message.answers = {a_record("example.com", 1), a_record("example.com", 2)};
  const WriteResult result = write_message(message, 512);
  ASSERT_FALSE(result.truncated);
  const std::size_t first_answer = kHeaderBytes + 13 + 4;
  const std::size_t answer_bytes = 2 + 10 + 4;
  ASSERT_EQ(result.bytes.size(), first_answer + 2 * answer_bytes);
  EXPECT_EQ(u16_at(result.bytes, first_answer), 0xC00C);
  EXPECT_EQ(u16_at(result.bytes, first_answer + answer_bytes), 0xC00C);
  EXPECT_EQ(u16_at(result.bytes, 6), 2);  // ancount
}

TEST(WriterTest, CompressesSuffixes) {
  Message message = response_for("example.com");
  message.answers.push_back(a_record("www.example.com", 1));
  message.answers.push_back(a_record("cdn.com", 2));
  const WriteResult result = write_message(message, 512);
  const std::string bytes = as_string(result.bytes);
  const std::size_t first_answer = kHeaderBytes + 13 + 4;
  EXPECT_EQ(bytes.substr(first_answer, 6), "\x03www\xC0\x0C"s);
  // "com" of the question is at 12 + 8.
  EXPECT_EQ(bytes.substr(first_answer + 6 + 14, 6),
            "\x03"
            "cdn\xC0\x14"s);
}

TEST(WriterTest, CompressesNamesInRdata) {
  Message message = response_for("a.example.com");
  message.answers.push_back(Record{name_of("a.example.com"), rrtype::kCname, kClassIn, 60,
                                   NameData{name_of("b.example.com")}});
  message.authority.push_back(
      Record{name_of("example.com"), rrtype::kSoa, kClassIn, 60,
             SoaData{name_of("ns.example.com"), name_of("hostmaster.example.com"), 1, 2, 3, 4, 5}});
  const WriteResult result = write_message(message, 512);
  const std::size_t question_end = kHeaderBytes + 15 + 4;
  const std::size_t cname_end = question_end + 2 + 10 + 4;  // "\x01b" + pointer
  const std::size_t soa_rdata = cname_end + 2 + 10;
  ASSERT_EQ(result.bytes.size(), soa_rdata + 5 + 13 + 20);
  const std::string bytes = as_string(result.bytes);
  EXPECT_EQ(bytes.substr(question_end + 12, 4),
            "\x01"
            "b\xC0\x0E"s);
  EXPECT_EQ(bytes.substr(cname_end, 2), "\xC0\x0E"s);
  EXPECT_EQ(bytes.substr(soa_rdata, 5), "\x02ns\xC0\x0E"s);
  EXPECT_EQ(u16_at(result.bytes, soa_rdata - 2), 5 + 13 + 20);  // rdlength
}

TEST(WriterTest, RawRdataIsWrittenAsIs) {
  Message message = response_for("example.com");
  const std::string mx =
      "\x00\x0A\x07"
      "example\x03"
      "com\x00"s;
  message.answers.push_back(Record{name_of("example.com"), rrtype::kMx, kClassIn, 60, RawData{mx}});
  const WriteResult result = write_message(message, 512);
  EXPECT_EQ(as_string(result.bytes).substr(kHeaderBytes + 17 + 12), mx);
}

TEST(WriterTest, KeepsEachNamesOwnCase) {
  Message message = response_for("WwW.ExAmple.COM");
  message.answers.push_back(a_record("WWW.example.com", 1));   // all of it matches the question
  message.answers.push_back(a_record("Mail.EXAMPLE.com", 2));  // a new label, then a pointer
  const WriteResult result = write_message(message, 512);
  const std::string bytes = as_string(result.bytes);
  EXPECT_EQ(bytes.substr(kHeaderBytes, 17),
            "\x03WwW\x07"
            "ExAmple\x03"
            "COM\x00"s);
  const std::size_t second_answer = kHeaderBytes + 17 + 4 + 16;
  EXPECT_EQ(u16_at(result.bytes, second_answer - 16), 0xC00C);
  EXPECT_EQ(bytes.substr(second_answer, 7), "\x04Mail\xC0\x10"s);
}

TEST(WriterTest, TruncatesToHeaderQuestionAndOpt) {
  Message message = response_for("example.com");
  for (uint8_t i = 0; i < 40; ++i)
    message.answers.push_back(a_record("example.com", i));
  message.authority.push_back(a_record("example.com", 99));
  message.edns = Edns{1232, 0, true, "\x00\x0A\x00\x02zz"s};
  const WriteResult full = write_message(message, 65535);
  ASSERT_FALSE(full.truncated);
  ASSERT_GT(full.bytes.size(), 512U);
  const WriteResult cut = write_message(message, 512);
  ASSERT_TRUE(cut.truncated);
  EXPECT_LE(cut.bytes.size(), 512U);
  const ReadResult reread = read_message(cut.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_TRUE(reread.message.header.tc);
  EXPECT_EQ(reread.message.questions, message.questions);
  EXPECT_TRUE(reread.message.answers.empty() && reread.message.authority.empty());
  EXPECT_EQ(reread.message.edns, message.edns);
  EXPECT_EQ(u16_at(cut.bytes, 10), 1);  // arcount: OPT
}

TEST(WriterTest, TruncatedWithoutEdnsHasNoAdditional) {
  Message message = response_for("example.com");
  for (uint8_t i = 0; i < 40; ++i)
    message.additional.push_back(a_record("example.com", i));
  const WriteResult cut = write_message(message, 512);
  ASSERT_TRUE(cut.truncated);
  EXPECT_EQ(cut.bytes.size(), kHeaderBytes + 17);
  EXPECT_EQ(cut.bytes[2] & 0x02, 0x02);
  EXPECT_EQ(u16_at(cut.bytes, 4), 1);
  EXPECT_EQ(u16_at(cut.bytes, 6) | u16_at(cut.bytes, 8) | u16_at(cut.bytes, 10), 0);
}

TEST(WriterTest, WhenEvenQuestionsAndOptDoNotFitAHeaderAndBareOptRemain) {
  Message message = response_for("a.global");
  message.questions.clear();
  const std::string l63(63, 'q');
  for (const char first : {'a', 'b', 'c'}) {
    const std::string text = std::string(1, first) + l63.substr(1) + "." + l63 + "." + l63;
    message.questions.push_back(Question{name_of(text), rrtype::kA, kClassIn});
  }
  message.edns = Edns{4096, 0, false, std::string(600, 'o')};
  const WriteResult cut = write_message(message, 300);
  ASSERT_TRUE(cut.truncated);
  EXPECT_EQ(cut.bytes.size(), kHeaderBytes + 11);  // header and an empty OPT
  const ReadResult reread = read_message(cut.bytes);
  ASSERT_TRUE(reread.ok());
  EXPECT_TRUE(reread.message.questions.empty());
  ASSERT_TRUE(reread.message.edns.has_value());
  EXPECT_EQ(reread.message.edns->udp_size, 4096);
  EXPECT_TRUE(reread.message.edns->options.empty());
}

TEST(WriterTest, MaxSizeIsClampedTo512And65535) {
  Message message = response_for("example.com");
  for (uint8_t i = 0; i < 25; ++i)
    message.answers.push_back(a_record("example.com", i));
  const std::size_t size = kHeaderBytes + 17 + 25 * 16;  // 429
  const WriteResult small_limit = write_message(message, 100);
  EXPECT_FALSE(small_limit.truncated);
  EXPECT_EQ(small_limit.bytes.size(), size);
  message.answers.push_back(
      Record{name_of("example.com"), rrtype::kTxt, kClassIn, 1, RawData{std::string(70'000, 't')}});
  const WriteResult huge = write_message(message, 1 << 20);
  EXPECT_TRUE(huge.truncated);
  EXPECT_LE(huge.bytes.size(), kMaxMessageBytes);
}

TEST(WriterTest, RcodeSplitsIntoOpt) {
  Message message = response_for("example.com");
  message.header.rcode = 0x123;
  message.edns = Edns{};
  const WriteResult result = write_message(message, 512);
  const std::size_t opt = kHeaderBytes + 17;
  ASSERT_EQ(result.bytes.size(), opt + 11);
  EXPECT_EQ(result.bytes[3] & 0x0F, 0x3);
  EXPECT_EQ(result.bytes[opt + 5], 0x12);  // the TTL's top byte
  EXPECT_EQ(u16_at(result.bytes, opt + 3), kMinUdpPayload);
}

TEST(WriterTest, BadVersKeepsOnlyItsLowBitsWithoutEdns) {
  Message message = response_for("example.com");
  message.header.rcode = rcode::kBadVers;
  EXPECT_EQ(write_message(message, 512).bytes[3] & 0x0F, 0);
  message.header.rcode = 0x13;
  EXPECT_EQ(write_message(message, 512).bytes[3] & 0x0F, 3);
}

TEST(WriterTest, OptTtlCarriesVersionAndDo) {
  Message message = response_for("example.com");
  message.header.rcode = rcode::kBadVers;
  message.edns = Edns{1232, 1, true, ""};
  const WriteResult result = write_message(message, 512);
  const std::size_t ttl = kHeaderBytes + 17 + 5;
  EXPECT_EQ(as_string(result.bytes).substr(ttl, 4), "\x01\x01\x80\x00"s);
  EXPECT_EQ(result.bytes[3] & 0x0F, 0);
}

// RFC 8945: the TSIG goes last, after OPT (§5.2), its owner compressed like
// any other, its algorithm never (§4.2), even where a pointer would do.
TEST(WriterTest, TsigGoesLastWithItsAlgorithmInFull) {
  Message message = response_for("example.com");
  message.header.rd = false;
  message.edns = Edns{1232, 0, false, ""};
  message.tsig = Tsig{name_of("example.com"),
                      name_of("example.com"),
                      0x6553F100,
                      300,
                      "",
                      0xABCD,
                      rcode::kBadKey,
                      ""};
  const WriteResult result = write_message(message, 512);
  ASSERT_FALSE(result.truncated);
  const std::string expected =
      "\xAB\xCD\x80\x00\x00\x01\x00\x00\x00\x00\x00\x02"s  // header: ARCOUNT 2
      "\x07"
      "example\x03"
      "com\x00\x00\x01\x00\x01"s                           // question
      "\x00\x00\x29\x04\xD0\x00\x00\x00\x00\x00\x00"s      // OPT
      "\xC0\x0C\x00\xFA\x00\xFF\x00\x00\x00\x00\x00\x1D"s  // key, TSIG, ANY, TTL 0
      "\x07"
      "example\x03"
      "com\x00"s                                   // the algorithm
      "\x00\x00\x65\x53\xF1\x00\x01\x2C\x00\x00"s  // time, fudge, MAC size
      "\xAB\xCD\x00\x11\x00\x00"s;                 // original id, BADKEY, other
  EXPECT_EQ(as_string(result.bytes), expected);
  const ReadResult reread = read_message(result.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_EQ(reread.message, message);
}

TEST(WriterTest, TruncatedKeepsTheTsig) {
  Message message = response_for("example.com");
  for (uint8_t i = 0; i < 40; ++i)
    message.answers.push_back(a_record("example.com", i));
  message.tsig = Tsig{name_of("key"), name_of("hmac-sha256"), 1, 300, "", 0xABCD, 17, ""};
  const WriteResult cut = write_message(message, 512);
  ASSERT_TRUE(cut.truncated);
  const ReadResult reread = read_message(cut.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_TRUE(reread.message.answers.empty());
  EXPECT_EQ(reread.message.tsig, message.tsig);
}

TEST(WriterTest, NoPointerBeyond14Bits) {
  // A big record pushes "far.example" and both "other.far.example" past
  // 0x4000: no pointer can reach them, and all must still read back the same.
  Message message = response_for("example");
  message.answers.push_back(
      Record{name_of("x.example"), rrtype::kTxt, kClassIn, 1, RawData{std::string(0x4100, 't')}});
  message.answers.push_back(a_record("far.example", 1));
  message.answers.push_back(a_record("other.far.example", 2));
  message.answers.push_back(a_record("other.far.example", 3));
  const WriteResult result = write_message(message, 65535);
  ASSERT_FALSE(result.truncated);
  const ReadResult reread = read_message(result.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_EQ(reread.message, message);
  // The last owner: no pointer reaches the "far.example" written past 0x4000,
  // so only "example" (at 12) is compressed.
  const std::size_t owner = result.bytes.size() - 4 - 10 - 12;
  EXPECT_EQ(as_string(result.bytes).substr(owner, 12),
            "\x05other\x03"
            "far\xC0\x0C"s);
}

}  // namespace
}  // namespace meshgate::dns
