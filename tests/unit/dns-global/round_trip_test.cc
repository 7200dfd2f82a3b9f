// Writer and reader together: what is written reads back the same, case
// included; a compressed packet read, written and read again is unchanged;
// every prefix and every one-byte change of a valid packet is handled.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
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

// Every name of a message in order, in its wire form: Name's == ignores
// case, this does not.
std::vector<std::string> wire_names(const Message& message) {
  std::vector<std::string> out;
  for (const Question& question : message.questions)
    out.push_back(question.name.wire());
  for (const auto* section : {&message.answers, &message.authority, &message.additional}) {
    for (const Record& record : *section) {
      out.push_back(record.name.wire());
      if (const auto* name = std::get_if<NameData>(&record.data)) out.push_back(name->name.wire());
      if (const auto* soa = std::get_if<SoaData>(&record.data)) {
        out.push_back(soa->mname.wire());
        out.push_back(soa->rname.wire());
      }
    }
  }
  if (message.tsig) {
    out.push_back(message.tsig->key.wire());
    out.push_back(message.tsig->algorithm.wire());
  }
  return out;
}

Message every_kind() {
  Message message;
  message.header =
      Header{0xFEED, true, opcode::kQuery, true, false, true,
             true,   true, false,          0x0A3};  // a 12-bit rcode: 3 in the header, 0x0A in OPT
  const Name owner = name_of("HttpBin.Bar.GLOBAL");
  message.questions.push_back(Question{owner, rrtype::kAny, kClassIn});
  message.answers = {
      Record{owner, rrtype::kA, kClassIn, 30, AData{{240, 240, 0, 7}}},
      Record{owner, rrtype::kAaaa, kClassIn, 30,
             AaaaData{{0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}},
      Record{owner, rrtype::kCname, kClassIn, 30, NameData{name_of("Svc.HttpBin.Bar.GLOBAL")}},
      Record{owner, rrtype::kTxt, kClassIn, 30, RawData{"\x05hello\x00"s}},
      Record{owner, rrtype::kMx, kClassIn, 30, RawData{"\x00\x0A\x02mx\x00"s}},
      Record{owner, rrtype::kA, 3, 0, RawData{"chaos"}},
      Record{name_of("7.0.240.240.In-Addr.Arpa"), rrtype::kPtr, kClassIn, 30, NameData{owner}},
  };
  message.authority = {
      Record{name_of("Bar.GLOBAL"), rrtype::kSoa, kClassIn, 300,
             SoaData{name_of("Ns1.Bar.GLOBAL"), name_of("Admin.MeshGate.Example"), 7, 3600, 600,
                     86400, 30}},
      Record{name_of("Bar.GLOBAL"), rrtype::kNs, kClassIn, 300,
             NameData{name_of("Ns1.Bar.GLOBAL")}},
  };
  message.additional = {
      Record{name_of("Ns1.Bar.GLOBAL"), rrtype::kA, kClassIn, 300, AData{{10, 0, 0, 53}}},
      Record{Name(), 999, 42, 0xFFFFFFFF, RawData{""}},
  };
  message.edns = Edns{1232, 0, true,
                      "\x00\x0A\x00\x08"
                      "abcdefgh"s};
  message.tsig = Tsig{name_of("Key.HttpBin.Bar.GLOBAL"),
                      name_of("HMAC-SHA256"),
                      0xFFFFFFFFFFFF,
                      300,
                      std::string(32, '\xAA'),
                      0xFEED,
                      18,
                      "\x00\x00\x65\x53\xF1\x00"s};
  return message;
}

TEST(RoundTripTest, EveryKindOfRecordReadsBackTheSame) {
  const Message message = every_kind();
  const WriteResult written = write_message(message, 4096);
  ASSERT_FALSE(written.truncated);
  const ReadResult reread = read_message(written.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_EQ(reread.message, message);
  EXPECT_EQ(wire_names(reread.message), wire_names(message));
  EXPECT_EQ(reread.message.header.rcode, 0x0A3);
}

TEST(RoundTripTest, WithoutEdnsOrQuestions) {
  Message message;
  message.header.opcode = opcode::kNotify;
  message.header.rcode = rcode::kNxDomain;
  message.answers.push_back(
      Record{name_of("a.b.c"), rrtype::kNs, kClassIn, 1, NameData{name_of("B.c")}});
  const WriteResult written = write_message(message, 512);
  const ReadResult reread = read_message(written.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_EQ(reread.message, message);
  EXPECT_FALSE(reread.message.edns.has_value());
}

// A response as a server compresses it: the question at 12, answers naming
// it by pointer, names in RDATA pointing at suffixes of earlier names.
std::vector<uint8_t> compressed_response() {
  const std::string bytes =
      "\x12\x34\x81\x80\x00\x01\x00\x03\x00\x01\x00\x01"s  // header
      "\x03"
      "api\x04"
      "Mesh\x06global\x00\x00\x01\x00\x01"s                // 12: api.Mesh.global A IN
      "\xC0\x0C\x00\x05\x00\x01\x00\x00\x00\x3C\x00\x06"s  // 33: CNAME
      "\x03www\xC0\x10"s                                   // 45: www.Mesh.global
      "\xC0\x2D\x00\x01\x00\x01\x00\x00\x00\x3C\x00\x04"s  // 51: A
      "\x0A\x00\x00\x01"s                                  //
      "\xC0\x2D\x00\x01\x00\x01\x00\x00\x00\x3C\x00\x04"s  // 67: A
      "\x0A\x00\x00\x02"s                                  //
      "\xC0\x10\x00\x02\x00\x01\x00\x00\x0E\x10\x00\x05"s  // 83: NS
      "\x02ns\xC0\x10"s                                    // 95: ns.Mesh.global
      "\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00"s;     // 100: OPT, DO
  return {bytes.begin(), bytes.end()};
}

TEST(RoundTripTest, CompressedPacketReadWriteRead) {
  const std::vector<uint8_t> packet = compressed_response();
  const ReadResult first = read_message(packet);
  ASSERT_TRUE(first.ok()) << to_string(first.error);
  ASSERT_EQ(first.message.answers.size(), 3U);
  EXPECT_EQ(first.message.answers[1].name.wire(), "\x03www\x04Mesh\x06global\x00"s);
  const WriteResult written = write_message(first.message, 512);
  const ReadResult second = read_message(written.bytes);
  ASSERT_TRUE(second.ok()) << to_string(second.error);
  EXPECT_EQ(second.message, first.message);
  EXPECT_EQ(wire_names(second.message), wire_names(first.message));
  // The writer compresses exactly as this packet does.
  EXPECT_EQ(written.bytes, packet);
}

TEST(RoundTripTest, EveryPrefixIsAnError) {
  const std::vector<uint8_t> packet = compressed_response();
  ASSERT_TRUE(read_message(packet).ok());
  for (std::size_t size = 0; size < packet.size(); ++size) {
    // A copy of exactly that size, so a sanitizer sees any read past it.
    const std::vector<uint8_t> prefix(packet.begin(), packet.begin() + size);
    const ReadResult result = read_message(prefix);
    EXPECT_FALSE(result.ok()) << "prefix of " << size << " bytes";
  }
}

TEST(RoundTripTest, EveryOneByteChangeReadsOrFailsCleanly) {
  const std::vector<uint8_t> packet = compressed_response();
  std::size_t still_valid = 0;
  for (std::size_t at = 0; at < packet.size(); ++at) {
    for (unsigned value = 0; value < 256; ++value) {
      std::vector<uint8_t> changed = packet;
      changed[at] = static_cast<uint8_t>(value);
      const ReadResult first = read_message(changed);
      if (!first.ok()) continue;
      ++still_valid;
      const ReadResult second = read_message(write_message(first.message, 65535).bytes);
      ASSERT_TRUE(second.ok()) << at << "=" << value << ": " << to_string(second.error);
      ASSERT_EQ(second.message, first.message) << at << "=" << value;
    }
  }
  EXPECT_GT(still_valid, packet.size());  // at least the unchanged bytes
}

TEST(RoundTripTest, LargestNamesAndManyRecords) {
  Message message;
  std::string text;
  for (int i = 0; i < 127; ++i)
    text += i == 0 ? "Z" : ".z";
  const Name longest = name_of(text);
  ASSERT_EQ(longest.wire().size(), kMaxNameBytes);
  message.questions.push_back(Question{longest, rrtype::kAaaa, kClassIn});
  for (int i = 0; i < 3000; ++i) {
    message.answers.push_back(
        Record{longest, rrtype::kA, kClassIn, static_cast<uint32_t>(i),
               AData{{1, 2, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i & 0xFF)}}});
  }
  const WriteResult written = write_message(message, kMaxMessageBytes);
  ASSERT_FALSE(written.truncated);
  EXPECT_EQ(written.bytes.size(), kHeaderBytes + 259 + 3000 * 16);
  const ReadResult reread = read_message(written.bytes);
  ASSERT_TRUE(reread.ok()) << to_string(reread.error);
  EXPECT_EQ(reread.message, message);
}

}  // namespace
}  // namespace meshgate::dns
