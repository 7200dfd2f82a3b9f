// The reader on packets built byte by byte from RFC 1035 §4, RFC 6891 and
// RFC 8945: what dig sends, responses with compression, TSIG, and every way
// to be broken.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "dns-global/reader.h"
#include "tests/unit/dns-global/wire_bytes.h"

namespace meshgate::dns {
namespace {

using namespace std::string_literals;

constexpr unsigned kRd = 0x0100;
constexpr unsigned kQrAaRd = 0x8500;
const std::string kCookieOption = "\x00\x0A\x00\x08\x01\x23\x45\x67\x89\xAB\xCD\xEF"s;

// One question for example.com A at offset 12; the name is 17 bytes.
Bytes query(unsigned an, unsigned ns, unsigned ar, unsigned flags = kQrAaRd) {
  Bytes bytes;
  bytes.header(0x4242, flags, 1, an, ns, ar).name("example.com").question_fields(rrtype::kA);
  return bytes;
}

ReadError error_of(const Bytes& bytes) {
  return read_message(bytes.data()).error;
}

TEST(ReaderTest, ReadsAQueryAsDigSendsIt) {
  // dig example.com: RD and AD set, EDNS with a 1232-byte payload and a
  // client cookie (RFC 7873: option 10, 8 bytes).
  Bytes bytes;
  bytes.header(0x1C3A, 0x0120, 1, 0, 0, 1).name("example.com").question_fields(rrtype::kA);
  bytes.opt(1232, 0, kCookieOption);
  ASSERT_EQ(bytes.size(), 52U);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  const Message& message = result.message;
  EXPECT_EQ(message.header.id, 0x1C3A);
  EXPECT_FALSE(message.header.qr);
  EXPECT_EQ(message.header.opcode, opcode::kQuery);
  EXPECT_TRUE(message.header.rd);
  EXPECT_TRUE(message.header.ad);
  EXPECT_FALSE(message.header.aa || message.header.tc || message.header.ra || message.header.cd);
  EXPECT_EQ(message.header.rcode, rcode::kNoError);
  ASSERT_EQ(message.questions.size(), 1U);
  EXPECT_EQ(message.questions[0].name.text(), "example.com.");
  EXPECT_EQ(message.questions[0].type, rrtype::kA);
  EXPECT_EQ(message.questions[0].klass, kClassIn);
  EXPECT_TRUE(message.answers.empty() && message.authority.empty() && message.additional.empty());
  ASSERT_TRUE(message.edns.has_value());
  EXPECT_EQ(message.edns->udp_size, 1232);
  EXPECT_EQ(message.edns->version, 0);
  EXPECT_FALSE(message.edns->dnssec_ok);
  EXPECT_EQ(message.edns->options, kCookieOption);
}

TEST(ReaderTest, ReadsEveryHeaderBit) {
  Bytes bytes;
  bytes.header(7, 0x80 << 8 | 5 << 11 | 0x0400 | 0x0200 | 0x0100 | 0x80 | 0x20 | 0x10 | 0x05, 0, 0,
               0, 0);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok());
  const Header& header = result.message.header;
  EXPECT_TRUE(header.qr && header.aa && header.tc && header.rd && header.ra && header.ad &&
              header.cd);
  EXPECT_EQ(header.opcode, opcode::kUpdate);
  EXPECT_EQ(header.rcode, rcode::kRefused);
  EXPECT_EQ(read_header(bytes.data()), header);
}

TEST(ReaderTest, ReadsACompressedResponseKeepingCase) {
  Bytes bytes;
  bytes.header(1, kQrAaRd, 1, 3, 1, 0).name("HttpBin.Bar.global").question_fields(rrtype::kA);
  bytes.pointer(12).rr_fields(rrtype::kCname, kClassIn, 60, 6).raw("\x03www").pointer(12);
  const std::size_t www = bytes.size() - 6;
  bytes.pointer(static_cast<unsigned>(www)).rr_fields(rrtype::kA, kClassIn, 60, 4).u32(0x0A000001);
  bytes.pointer(20).rr_fields(rrtype::kTxt, kClassIn, 60, 3).raw("\x02hi");
  bytes.pointer(20).rr_fields(rrtype::kNs, kClassIn, 300, 5).raw("\x02ns").pointer(20);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  const Message& message = result.message;
  ASSERT_EQ(message.answers.size(), 3U);
  EXPECT_EQ(message.answers[0].name.wire(),
            "\x07HttpBin\x03"
            "Bar\x06global\x00"s);
  EXPECT_EQ(std::get<NameData>(message.answers[0].data).name.text(), "www.HttpBin.Bar.global.");
  EXPECT_EQ(message.answers[1].name.text(), "www.HttpBin.Bar.global.");
  EXPECT_EQ(message.answers[1].ttl, 60U);
  EXPECT_EQ(std::get<AData>(message.answers[1].data).address,
            (std::array<uint8_t, 4>{10, 0, 0, 1}));
  EXPECT_EQ(message.answers[2].name.text(), "Bar.global.");
  EXPECT_EQ(std::get<RawData>(message.answers[2].data).bytes, "\x02hi");
  ASSERT_EQ(message.authority.size(), 1U);
  EXPECT_EQ(std::get<NameData>(message.authority[0].data).name.text(), "ns.Bar.global.");
}

TEST(ReaderTest, ReadsSoaAndAaaa) {
  Bytes bytes = query(1, 1, 0);
  bytes.pointer(12).rr_fields(rrtype::kAaaa, kClassIn, 30, 16);
  for (unsigned i = 0; i < 16; ++i)
    bytes.u8(i);
  bytes.pointer(20).rr_fields(rrtype::kSoa, kClassIn, 300, 6 + 13 + 20);
  bytes.raw("\x03ns1").pointer(20).raw("\x0Ahostmaster").pointer(20);
  bytes.u32(2024010101).u32(7200).u32(3600).u32(1209600).u32(300);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  EXPECT_EQ(std::get<AaaaData>(result.message.answers[0].data).address[15], 15);
  const auto& soa = std::get<SoaData>(result.message.authority[0].data);
  EXPECT_EQ(soa.mname.text(), "ns1.com.");
  EXPECT_EQ(soa.rname.text(), "hostmaster.com.");
  EXPECT_EQ(soa.serial, 2024010101U);
  EXPECT_EQ(soa.refresh, 7200U);
  EXPECT_EQ(soa.retry, 3600U);
  EXPECT_EQ(soa.expire, 1209600U);
  EXPECT_EQ(soa.minimum, 300U);
}

TEST(ReaderTest, AddressesOutsideClassInAreRaw) {
  Bytes bytes = query(1, 0, 0);
  bytes.pointer(12).rr_fields(rrtype::kA, 3, 0, 5).raw("\x01x\x00\x12\x34"s);  // CHAOS A
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  EXPECT_EQ(std::get<RawData>(result.message.answers[0].data).bytes, "\x01x\x00\x12\x34"s);
}

TEST(ReaderTest, OptCarriesTheUpperRcodeVersionAndDo) {
  Bytes bytes = query(0, 0, 1, 0x8003);
  bytes.opt(4096, 0x01 << 24 | 0x02 << 16 | 0x8000 | 0x1234);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.message.header.rcode, 0x013);
  ASSERT_TRUE(result.message.edns.has_value());
  EXPECT_EQ(result.message.edns->udp_size, 4096);
  EXPECT_EQ(result.message.edns->version, 2);
  EXPECT_TRUE(result.message.edns->dnssec_ok);
  EXPECT_TRUE(result.message.additional.empty());
}

TEST(ReaderTest, SmallUdpSizeReadsAs512) {
  Bytes bytes = query(0, 0, 1);
  bytes.opt(100);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.message.edns->udp_size, kMinUdpPayload);
}

TEST(ReaderTest, OptAmongOtherAdditionalRecords) {
  Bytes bytes = query(0, 0, 3);
  bytes.pointer(12).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(1);
  bytes.opt(1232);
  bytes.pointer(12).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(2);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.message.additional.size(), 2U);
  EXPECT_TRUE(result.message.edns.has_value());
}

TEST(ReaderTest, ShortHeader) {
  Bytes bytes = query(0, 0, 0);
  const std::vector<uint8_t> eleven(bytes.data().begin(), bytes.data().begin() + 11);
  EXPECT_EQ(read_message(eleven).error, ReadError::kShortHeader);
  EXPECT_EQ(read_message({}).error, ReadError::kShortHeader);
  EXPECT_FALSE(read_header(eleven).has_value());
  const std::vector<uint8_t> twelve(bytes.data().begin(), bytes.data().begin() + 12);
  ASSERT_TRUE(read_header(twelve).has_value());
  EXPECT_EQ(read_header(twelve)->id, 0x4242);
}

TEST(ReaderTest, TruncatedQuestion) {
  Bytes in_name;
  in_name.header(1, kRd, 1, 0, 0, 0)
      .raw(
          "\x07"
          "exam");
  EXPECT_EQ(error_of(in_name), ReadError::kTruncated);
  Bytes in_fields;
  in_fields.header(1, kRd, 1, 0, 0, 0).name("example.com").u16(rrtype::kA);
  EXPECT_EQ(error_of(in_fields), ReadError::kTruncated);
}

TEST(ReaderTest, CountsBeyondThePacketFailBeforeReading) {
  Bytes questions;
  questions.header(1, kRd, 0xFFFF, 0, 0, 0).name("a").question_fields(rrtype::kA);
  EXPECT_EQ(error_of(questions), ReadError::kTruncated);
  Bytes records = query(0xFFFF, 0xFFFF, 0xFFFF);
  records.pointer(12).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(1);
  const ReadResult result = read_message(records.data());
  EXPECT_EQ(result.error, ReadError::kTruncated);
  EXPECT_EQ(result.message.questions.size(), 1U);  // as far as it was read
  EXPECT_TRUE(result.message.answers.empty());
}

TEST(ReaderTest, TruncatedRecord) {
  Bytes rdata = query(1, 0, 0);
  rdata.pointer(12).rr_fields(rrtype::kA, kClassIn, 60, 4).u16(0x0A00);
  EXPECT_EQ(error_of(rdata), ReadError::kTruncated);
  Bytes fixed = query(1, 0, 0);
  fixed.pointer(12).u16(rrtype::kA).u16(kClassIn).u32(60).u8(0);
  EXPECT_EQ(error_of(fixed), ReadError::kTruncated);
}

TEST(ReaderTest, ExtendedLabelTypes) {
  for (const unsigned type : {0x40U, 0x80U}) {
    Bytes bytes;
    bytes.header(1, kRd, 1, 0, 0, 0).u8(type | 1).raw("abc").u8(0).question_fields(rrtype::kA);
    EXPECT_EQ(error_of(bytes), ReadError::kBadLabel) << type;
  }
}

TEST(ReaderTest, NameTooLongInline) {
  const std::string l63(63, 'x');
  Bytes bytes;
  bytes.header(1, kRd, 1, 0, 0, 0).name(l63 + "." + l63 + "." + l63 + "." + l63);
  bytes.question_fields(rrtype::kA);
  EXPECT_EQ(error_of(bytes), ReadError::kNameTooLong);
}

TEST(ReaderTest, NameTooLongThroughPointers) {
  // Four questions: a 63-byte label, then each one more 63-byte label in
  // front of a pointer to the one before: 65, 129, 193, then 257 bytes.
  Bytes bytes;
  bytes.header(1, kRd, 4, 0, 0, 0);
  std::size_t previous = bytes.size();
  bytes.name(std::string(63, 'a')).question_fields(rrtype::kA);
  for (const char letter : {'b', 'c', 'd'}) {
    const std::size_t start = bytes.size();
    bytes.u8(63).raw(std::string(63, letter)).pointer(static_cast<unsigned>(previous));
    bytes.question_fields(rrtype::kA);
    previous = start;
  }
  const ReadResult result = read_message(bytes.data());
  EXPECT_EQ(result.error, ReadError::kNameTooLong);
  ASSERT_EQ(result.message.questions.size(), 3U);
  EXPECT_EQ(result.message.questions[2].name.wire().size(), 193U);
}

TEST(ReaderTest, PointerForwardOrToItself) {
  Bytes forward;
  forward.header(1, kRd, 1, 0, 0, 0)
      .raw(
          "\x01"
          "a")
      .pointer(20)
      .question_fields(rrtype::kA);
  forward.name("b");
  EXPECT_EQ(error_of(forward), ReadError::kBadPointer);
  Bytes self;
  self.header(1, kRd, 1, 0, 0, 0).pointer(12).question_fields(rrtype::kA);
  EXPECT_EQ(error_of(self), ReadError::kBadPointer);
  Bytes into_own_labels;  // back, but into the name being read
  into_own_labels.header(1, kRd, 1, 0, 0, 0)
      .raw(
          "\x01"
          "a")
      .pointer(12);
  into_own_labels.question_fields(rrtype::kA);
  EXPECT_EQ(error_of(into_own_labels), ReadError::kBadPointer);
}

TEST(ReaderTest, PointerIntoTheHeader) {
  // 0x0F41 as the id reads as a 15-byte label made of header bytes: a name
  // larger than the question that carried it.
  Bytes bytes;
  bytes.header(0x0F41, kRd, 1, 0, 0, 0).pointer(0).question_fields(rrtype::kA);
  EXPECT_EQ(error_of(bytes), ReadError::kBadPointer);
  Bytes eleven;
  eleven.header(1, kRd, 1, 0, 0, 0).pointer(11).question_fields(rrtype::kA);
  EXPECT_EQ(error_of(eleven), ReadError::kBadPointer);
}

TEST(ReaderTest, PointerLoop) {
  // A TXT record's RDATA holds a pointer to the next owner name, which
  // points back into that RDATA: the second hop is not before the first.
  Bytes bytes = query(2, 0, 0);
  bytes.pointer(12).rr_fields(rrtype::kTxt, kClassIn, 1, 2);
  const std::size_t in_rdata = bytes.size();
  const std::size_t next_owner = in_rdata + 2;
  bytes.pointer(static_cast<unsigned>(next_owner));
  bytes.pointer(static_cast<unsigned>(in_rdata)).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(1);
  EXPECT_EQ(error_of(bytes), ReadError::kBadPointer);
}

TEST(ReaderTest, PointerOutsideThePacket) {
  Bytes bytes = query(1, 0, 0);
  bytes.pointer(0x3FFF).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(1);
  EXPECT_EQ(error_of(bytes), ReadError::kBadPointer);
  Bytes half;
  half.header(1, kRd, 1, 0, 0, 0)
      .raw(
          "\x01"
          "a")
      .u8(0xC0);
  EXPECT_EQ(error_of(half), ReadError::kTruncated);
}

TEST(ReaderTest, ARdataOfFiveBytes) {
  Bytes bytes = query(1, 0, 0);
  bytes.pointer(12).rr_fields(rrtype::kA, kClassIn, 1, 5).u32(1).u8(2);
  EXPECT_EQ(error_of(bytes), ReadError::kBadRdata);
  Bytes aaaa = query(1, 0, 0);
  aaaa.pointer(12).rr_fields(rrtype::kAaaa, kClassIn, 1, 4).u32(1);
  EXPECT_EQ(error_of(aaaa), ReadError::kBadRdata);
}

TEST(ReaderTest, SoaWithBytesLeftInItsRdata) {
  for (const unsigned extra : {1U, 0U}) {
    Bytes bytes = query(0, 1, 0);
    bytes.pointer(20).rr_fields(rrtype::kSoa, kClassIn, 1, 2 + 2 + 20 + extra);
    bytes.pointer(12).pointer(12).u32(1).u32(2).u32(3).u32(4).u32(5);
    if (extra != 0) bytes.u8(0);
    EXPECT_EQ(error_of(bytes), extra != 0 ? ReadError::kBadRdata : ReadError::kNone);
  }
  Bytes short_numbers = query(0, 1, 0);
  short_numbers.pointer(20).rr_fields(rrtype::kSoa, kClassIn, 1, 2 + 2 + 16);
  short_numbers.pointer(12).pointer(12).u32(1).u32(2).u32(3).u32(4);
  EXPECT_EQ(error_of(short_numbers), ReadError::kBadRdata);
}

TEST(ReaderTest, NameRdataMustFillItsLengthExactly) {
  Bytes longer = query(1, 0, 0);
  longer.pointer(12).rr_fields(rrtype::kCname, kClassIn, 1, 3).pointer(12).u8(0);
  EXPECT_EQ(error_of(longer), ReadError::kBadRdata);
  Bytes shorter = query(2, 0, 0);  // the name runs on into the next record
  shorter.pointer(12).rr_fields(rrtype::kPtr, kClassIn, 1, 2).raw("\x03www").pointer(12);
  shorter.pointer(12).rr_fields(rrtype::kA, kClassIn, 1, 4).u32(1);
  EXPECT_EQ(error_of(shorter), ReadError::kBadRdata);
}

TEST(ReaderTest, OptRules) {
  Bytes two = query(0, 0, 2);
  two.opt(1232).opt(4096);
  EXPECT_EQ(error_of(two), ReadError::kBadOpt);
  Bytes in_answer = query(1, 0, 0);
  in_answer.opt(1232);
  EXPECT_EQ(error_of(in_answer), ReadError::kBadOpt);
  Bytes in_authority = query(0, 1, 0);
  in_authority.opt(1232);
  EXPECT_EQ(error_of(in_authority), ReadError::kBadOpt);
  Bytes named = query(0, 0, 1);
  named.pointer(12).rr_fields(rrtype::kOpt, 1232, 0, 0);
  EXPECT_EQ(error_of(named), ReadError::kBadOpt);
}

// RFC 6891 §6.1.2: options are {code, length, data}, back to back, filling
// the OPT. ISC's genreport sends an unknown code (100, empty) and NSID, ECS,
// EXPIRE and COOKIE at once: all fine.
TEST(ReaderTest, OptionsOfAnyCodeThatFillTheOpt) {
  Bytes bytes = query(0, 0, 1, kRd);
  bytes.opt(1232, 0,
            "\x00\x64\x00\x00\x00\x03\x00\x00\x00\x08\x00\x04\x00\x01\x00\x00\x00\x09\x00\x00"s +
                kCookieOption);
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  EXPECT_EQ(result.message.edns->options.size(), 32U);
}

// RFC 6891 §7: an option past the end of its OPT, or bytes too few for an
// option's code and length, is FORMERR. The message read so far keeps its
// question and the OPT without options, for a FORMERR that carries both.
TEST(ReaderTest, AnOptionPastItsOptIsBadOption) {
  for (const std::string& options : {"\x00\x0A\x00\x08\x01\x23"s, kCookieOption + "\x00\x0A\x00"s,
                                     "\x00"s, "\x00\x0A\x00\x00\x00\x0C\x00\x01"s}) {
    Bytes bytes = query(0, 0, 1, kRd);
    bytes.opt(1232, 0x8000, options);
    const ReadResult result = read_message(bytes.data());
    EXPECT_EQ(result.error, ReadError::kBadOption);
    ASSERT_EQ(result.message.questions.size(), 1U);
    ASSERT_TRUE(result.message.edns.has_value());
    EXPECT_TRUE(result.message.edns->dnssec_ok);
    EXPECT_TRUE(result.message.edns->options.empty());
  }
}

// A TSIG's RDATA (RFC 8945 §4.2): `algorithm` as wire bytes (a name), then
// time signed, fudge, a `mac`, original id, error, other data.
std::string tsig_rdata(std::string_view algorithm, std::string_view mac = "\x01\x02\x03\x04",
                       std::string_view other = "") {
  Bytes bytes;
  bytes.raw(algorithm).u16(0).u32(0x6553F100).u16(300);
  bytes.u16(static_cast<unsigned>(mac.size())).raw(mac).u16(0x4242).u16(0);
  bytes.u16(static_cast<unsigned>(other.size())).raw(other);
  return {bytes.data().begin(), bytes.data().end()};
}

const std::string kHmacSha256 = "\x0Bhmac-sha256\x00"s;

// A TSIG record owned by key.example, class `klass`, with `rdata`.
void add_tsig(Bytes& bytes, std::string_view rdata, unsigned klass = kClassAny) {
  bytes.name("key.example").rr_fields(rrtype::kTsig, klass, 0, static_cast<unsigned>(rdata.size()));
  bytes.raw(rdata);
}

TEST(ReaderTest, ReadsATsigLastAfterOpt) {
  Bytes bytes = query(0, 0, 2, kRd);
  bytes.opt(1232);
  add_tsig(bytes, tsig_rdata(kHmacSha256));
  const ReadResult result = read_message(bytes.data());
  ASSERT_TRUE(result.ok()) << to_string(result.error);
  EXPECT_TRUE(result.message.additional.empty());
  EXPECT_TRUE(result.message.edns.has_value());
  const Tsig expected{*Name::parse("key.example"),
                      *Name::from_wire(kHmacSha256),
                      0x6553F100,
                      300,
                      "\x01\x02\x03\x04",
                      0x4242,
                      0,
                      ""};
  EXPECT_EQ(result.message.tsig, expected);
}

// RFC 8945 §5.2: the last record of additional (so one at most), class ANY.
TEST(ReaderTest, TsigMustBeLastInAdditionalAndOfClassAny) {
  const std::string rdata = tsig_rdata(kHmacSha256);
  Bytes in_answer = query(1, 0, 0, kRd);
  add_tsig(in_answer, rdata);
  EXPECT_EQ(error_of(in_answer), ReadError::kBadTsig);
  Bytes before_opt = query(0, 0, 2, kRd);
  add_tsig(before_opt, rdata);
  before_opt.opt(1232);
  EXPECT_EQ(error_of(before_opt), ReadError::kBadTsig);
  Bytes two = query(0, 0, 2, kRd);
  add_tsig(two, rdata);
  add_tsig(two, rdata);
  EXPECT_EQ(error_of(two), ReadError::kBadTsig);
  Bytes class_in = query(0, 0, 1, kRd);
  add_tsig(class_in, rdata, kClassIn);
  EXPECT_EQ(error_of(class_in), ReadError::kBadTsig);
}

TEST(ReaderTest, TsigRdataMustFillItsLengthExactly) {
  const std::string good = tsig_rdata(kHmacSha256);
  for (const std::string& rdata : {good + "\x00"s, good.substr(0, good.size() - 1),
                                   tsig_rdata(kHmacSha256, "", "\x01"s).substr(0, 22),
                                   good.substr(0, 14), "\x0Bhmac-sha256"s}) {
    Bytes bytes = query(0, 0, 1, kRd);
    add_tsig(bytes, rdata);
    EXPECT_EQ(error_of(bytes), ReadError::kBadRdata) << rdata.size();
  }
  // RFC 8945 §4.2: the algorithm is never compressed.
  Bytes pointer = query(0, 0, 1, kRd);
  add_tsig(pointer, tsig_rdata("\xC0\x0C"s));
  EXPECT_EQ(error_of(pointer), ReadError::kBadRdata);
}

TEST(ReaderTest, TrailingData) {
  Bytes bytes = query(0, 0, 1);
  bytes.opt(1232).u8(0);
  EXPECT_EQ(error_of(bytes), ReadError::kTrailingData);
}

TEST(ReaderTest, EveryErrorHasItsOwnName) {
  std::set<std::string> names;
  for (const ReadError error :
       {ReadError::kNone, ReadError::kShortHeader, ReadError::kTruncated, ReadError::kBadLabel,
        ReadError::kNameTooLong, ReadError::kBadPointer, ReadError::kBadRdata, ReadError::kBadOpt,
        ReadError::kBadOption, ReadError::kBadTsig, ReadError::kTrailingData}) {
    names.insert(to_string(error));
  }
  EXPECT_EQ(names.size(), 11U);
}

}  // namespace
}  // namespace meshgate::dns
