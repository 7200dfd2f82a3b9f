// Record framing, NotTls, TooLarge and final-status behaviour on hand-built bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sni/client_hello.h"
#include "tests/unit/sni/hello_builder.h"

namespace meshgate::sni {
namespace {

using test::Bytes;
using test::concat;

constexpr std::size_t kMax = kDefaultMaxClientHelloBytes;

test::HelloSpec spec_with_sni() {
  test::HelloSpec spec;
  spec.extensions = {{0, test::server_name_data("reviews.default.global")}};
  return spec;
}

Bytes valid_message() {
  return test::handshake(test::build_body(spec_with_sni()));
}
Bytes valid_hello() {
  return test::record(valid_message());
}

ParseResult parse(const Bytes& bytes, std::size_t max_bytes = kMax) {
  ClientHello out;
  return test::parse_all_ways(bytes, max_bytes, &out);
}

TEST(ParseStatusNames, AreMetricLabels) {
  EXPECT_STREQ(to_string(ParseStatus::kNeedMore), "need_more");
  EXPECT_STREQ(to_string(ParseStatus::kDone), "done");
  EXPECT_STREQ(to_string(ParseStatus::kNotTls), "not_tls");
  EXPECT_STREQ(to_string(ParseStatus::kMalformed), "malformed");
  EXPECT_STREQ(to_string(ParseStatus::kTooLarge), "too_large");
}

TEST(NotTls, HttpRequestIsRefusedOnItsFirstByte) {
  EXPECT_EQ(parse(test::to_bytes("GET / HTTP/1.1\r\n")).status, ParseStatus::kNotTls);
  ClientHelloParser parser;
  const ParseResult result = parser.feed(test::to_bytes("G"));
  EXPECT_EQ(result.status, ParseStatus::kNotTls);
  EXPECT_STREQ(result.detail, "first record is not a handshake record");
}

TEST(NotTls, SslV2StyleHeader) {
  EXPECT_EQ(parse({0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15}).status, ParseStatus::kNotTls);
}

TEST(NotTls, RecordVersionOutsideTls) {
  for (const Bytes& start : {Bytes{0x16, 0x02, 0x00}, Bytes{0x16, 0x03, 0x05},
                             Bytes{0x16, 0x04, 0x01}, Bytes{0x16, 0x00, 0x03}}) {
    const ParseResult result = parse(start);
    EXPECT_EQ(result.status, ParseStatus::kNotTls);
    EXPECT_STREQ(result.detail, "first record version is not TLS");
  }
}

TEST(NeedMore, PartialRecordHeader) {
  EXPECT_EQ(parse({}).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse({0x16}).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse({0x16, 0x03}).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse({0x16, 0x03, 0x01, 0x00}).status, ParseStatus::kNeedMore);
}

TEST(NeedMore, EveryStrictPrefixOfAHandBuiltHello) {
  const Bytes hello = valid_hello();
  for (std::size_t size = 0; size < hello.size(); ++size) {
    EXPECT_EQ(parse(Bytes(hello.begin(), hello.begin() + static_cast<std::ptrdiff_t>(size))).status,
              ParseStatus::kNeedMore)
        << size;
  }
}

TEST(RecordFraming, AcceptsEveryTlsRecordVersion) {
  for (uint16_t version : {0x0300, 0x0301, 0x0302, 0x0303, 0x0304}) {
    ClientHello out;
    const Bytes hello = test::reframe(valid_message(), 30, version);
    ASSERT_EQ(test::parse_all_ways(hello, kMax, &out).status, ParseStatus::kDone) << version;
    EXPECT_EQ(out.record_version, version);
    EXPECT_EQ(out.server_name, "reviews.default.global");
  }
}

TEST(RecordFraming, RecordVersionIsTheFirstRecords) {
  const Bytes message = valid_message();
  const Bytes head(message.begin(), message.begin() + 10);
  const Bytes tail(message.begin() + 10, message.end());
  ClientHello out;
  ASSERT_EQ(parse_client_hello(concat({test::record(head, 0x0301), test::record(tail, 0x0303)}),
                               kMax, &out)
                .status,
            ParseStatus::kDone);
  EXPECT_EQ(out.record_version, 0x0301);
}

struct FramingCase {
  const char* name;
  Bytes bytes;
  const char* detail;
};

std::vector<FramingCase> framing_cases() {
  const Bytes message = valid_message();
  const Bytes head(message.begin(), message.begin() + 10);
  const Bytes tail(message.begin() + 10, message.end());
  return {
      {"empty_first_record", test::record({}), "empty handshake record"},
      {"empty_later_record", concat({test::record(head), test::record({})}),
       "empty handshake record"},
      {"record_over_2_14", {22, 3, 1, 0x40, 0x01}, "record length over 2^14"},
      {"later_record_not_handshake", concat({test::record(head), test::record(tail, 0x0303, 23)}),
       "non-handshake record inside ClientHello"},
      {"later_record_alert", concat({test::record(head), test::record({2, 40}, 0x0303, 21)}),
       "non-handshake record inside ClientHello"},
      {"later_record_version_0305", concat({test::record(head), test::record(tail, 0x0305)}),
       "bad record version"},
      {"later_record_version_0200", concat({test::record(head), test::record(tail, 0x0200)}),
       "bad record version"},
      {"server_hello", test::record(test::handshake(test::build_body({}), 2)),
       "handshake message is not a ClientHello"},
      {"finished_type_alone", concat({test::record({20}), test::record({0, 0, 12})}),
       "handshake message is not a ClientHello"},
  };
}

class FramingTest : public testing::TestWithParam<FramingCase> {};

TEST_P(FramingTest, IsMalformed) {
  const ParseResult result = parse(GetParam().bytes);
  EXPECT_EQ(result.status, ParseStatus::kMalformed);
  EXPECT_STREQ(result.detail, GetParam().detail);
}

std::string case_name(const testing::TestParamInfo<FramingCase>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Records, FramingTest, testing::ValuesIn(framing_cases()), case_name);

TEST(RecordFraming, RecordOfExactly2To14IsAccepted) {
  test::HelloSpec spec = spec_with_sni();
  const std::size_t base = test::handshake(test::build_body(spec)).size() + 4;  // + padding header
  spec.extensions.push_back({0x1234, Bytes(16384 - base, 0)});
  const Bytes message = test::handshake(test::build_body(spec));
  ASSERT_EQ(message.size(), 16384u);
  ClientHello out;
  EXPECT_EQ(test::parse_all_ways(test::record(message), kMax, &out).status, ParseStatus::kDone);
  EXPECT_EQ(out.server_name, "reviews.default.global");
}

TEST(RecordFraming, LargeHelloInOneByteRecordsFedBytewise) {
  test::HelloSpec spec = spec_with_sni();
  spec.extensions.push_back({0x1234, Bytes(20000, 0)});
  const Bytes records = test::reframe(test::handshake(test::build_body(spec)), 1);
  ClientHello out;
  EXPECT_EQ(test::parse_all_ways(records, 1 << 20, &out).status, ParseStatus::kDone);
  EXPECT_EQ(out.server_name, "reviews.default.global");
}

TEST(TooLarge, DeclaredLengthIsRefusedBeforeTheBytesArrive) {
  ClientHelloParser parser;
  const ParseResult result = parser.feed(Bytes{22, 3, 1, 0x40, 0x00, 1, 0xff, 0xff, 0xff});
  EXPECT_EQ(result.status, ParseStatus::kTooLarge);
  EXPECT_STREQ(result.detail, "ClientHello over the limit");
}

TEST(TooLarge, SingleRecordBoundary) {
  // 1000-byte body in one record: 5 + 4 + 1000 bytes at the least.
  const Bytes start = {22, 3, 1, 0x03, 0xec, 1, 0x00, 0x03, 0xe8};
  EXPECT_EQ(parse(start, 1009).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse(start, 1008).status, ParseStatus::kTooLarge);
}

TEST(TooLarge, MultiRecordBoundaryCountsFramingOfFullRecords) {
  // A 20000-byte body: 16380 bytes after the header in the first full
  // record, the other 3620 need one more record header.
  const Bytes start = {22, 3, 1, 0x40, 0x00, 1, 0x00, 0x4e, 0x20};
  const std::size_t fewest = 5 + 16384 + 5 + 3620;
  EXPECT_EQ(parse(start, fewest).status, ParseStatus::kNeedMore);
  EXPECT_EQ(parse(start, fewest - 1).status, ParseStatus::kTooLarge);
}

TEST(TooLarge, SmallRecordsRunIntoTheLimit) {
  // The limit allows the message in full-size records, but one-byte records
  // spend five bytes of framing per byte and run out first.
  const Bytes message = valid_message();
  const std::size_t limit = 4 * 6 + (message.size() - 4) + 5;
  const Bytes records = test::reframe(message, 1);
  ASSERT_GT(records.size(), limit);
  const ParseResult result = parse(Bytes(records.begin(), records.begin() + limit), limit);
  EXPECT_EQ(result.status, ParseStatus::kTooLarge);
  EXPECT_STREQ(result.detail, "limit reached before ClientHello end");
}

TEST(TooLarge, StatelessLooksOnlyAtTheFirstMaxBytes) {
  const Bytes hello = valid_hello();
  const Bytes stream = concat({hello, Bytes(100, 0xee)});
  ClientHello out;
  EXPECT_EQ(parse_client_hello(stream, hello.size(), &out).status, ParseStatus::kDone);
  EXPECT_EQ(parse_client_hello(stream, hello.size() - 1, &out).status, ParseStatus::kTooLarge);
}

TEST(TooLarge, FeedBeyondTheLimitIsRefusedEvenAfterACompleteHello) {
  const Bytes hello = valid_hello();
  ClientHelloParser at_once(hello.size());
  const ParseResult result = at_once.feed(concat({hello, {0x17}}));
  EXPECT_EQ(result.status, ParseStatus::kTooLarge);
  EXPECT_STREQ(result.detail, "bytes beyond the limit");
  ClientHelloParser in_two(hello.size());
  EXPECT_EQ(in_two.feed(hello).status, ParseStatus::kDone);
  EXPECT_EQ(in_two.feed(Bytes{0x17}).status, ParseStatus::kDone);
}

TEST(FinalStatus, DoneIsStickyAndBuffersNothingMore) {
  const Bytes hello = valid_hello();
  ClientHelloParser parser;
  ASSERT_EQ(parser.feed(hello).status, ParseStatus::kDone);
  EXPECT_EQ(parser.feed(test::to_bytes("GET /")).status, ParseStatus::kDone);
  EXPECT_EQ(parser.commit(0).status, ParseStatus::kDone);
  EXPECT_EQ(parser.buffered().size(), hello.size());
  EXPECT_EQ(parser.hello().server_name, "reviews.default.global");
}

TEST(FinalStatus, ErrorsAreSticky) {
  ClientHelloParser not_tls;
  ASSERT_EQ(not_tls.feed(test::to_bytes("G")).status, ParseStatus::kNotTls);
  EXPECT_EQ(not_tls.feed(valid_hello()).status, ParseStatus::kNotTls);
  EXPECT_EQ(not_tls.buffered().size(), 1u);

  ClientHelloParser malformed;
  ASSERT_EQ(malformed.feed(test::record({2})).status, ParseStatus::kMalformed);
  const ParseResult again = malformed.commit(0);
  EXPECT_EQ(again.status, ParseStatus::kMalformed);
  EXPECT_STREQ(again.detail, "handshake message is not a ClientHello");

  ClientHelloParser too_large(20);
  ASSERT_EQ(too_large.feed(valid_hello()).status, ParseStatus::kTooLarge);
  EXPECT_EQ(too_large.feed({}).status, ParseStatus::kTooLarge);
}

TEST(StatelessParse, LeavesOutUntouchedUnlessDone) {
  ClientHello out;
  out.server_name = "previous";
  EXPECT_EQ(parse_client_hello(test::record(test::handshake({})), kMax, &out).status,
            ParseStatus::kMalformed);
  const Bytes hello = valid_hello();
  EXPECT_EQ(parse_client_hello({hello.data(), 20}, kMax, &out).status, ParseStatus::kNeedMore);
  EXPECT_EQ(out.server_name, "previous");
}

}  // namespace
}  // namespace meshgate::sni
