// ClientHello body and extension rules on hand-built hellos.
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
using test::to_bytes;
using test::u16;
using test::vec16;
using test::vec8;

constexpr std::size_t kMax = kDefaultMaxClientHelloBytes;

const Bytes kVersionAndRandom = concat({u16(0x0303), Bytes(32, 0xab)});

// The body of a valid hello with one field changed.
Bytes body_where(void (*edit)(test::HelloSpec*)) {
  test::HelloSpec spec;
  edit(&spec);
  return test::build_body(spec);
}

const Bytes kNoExtensionsBody = body_where([](test::HelloSpec* s) { s->with_extensions = false; });

// Parses a hello carrying `body`, in a record split at 7 bytes so that every
// case also crosses record boundaries.
ParseResult parse_body(const Bytes& body, ClientHello* out) {
  return test::parse_all_ways(test::reframe(test::handshake(body), 7), kMax, out);
}

ParseResult parse_body(const Bytes& body) {
  ClientHello out;
  return parse_body(body, &out);
}

Bytes with_extensions(std::vector<std::pair<uint16_t, Bytes>> extensions) {
  test::HelloSpec spec;
  spec.extensions = std::move(extensions);
  return test::build_body(spec);
}

Bytes with_extension(uint16_t type, const Bytes& data) {
  return with_extensions({{type, data}});
}

struct MalformedCase {
  const char* name;
  Bytes body;
  const char* detail;
};

std::vector<MalformedCase> body_cases() {
  return {
      {"empty_body", {}, "truncated ClientHello random"},
      {"short_random", concat({u16(0x0303), Bytes(10, 0)}), "truncated ClientHello random"},
      {"no_session_id", kVersionAndRandom, "truncated session id"},
      {"short_session_id", concat({kVersionAndRandom, {5, 1, 2}}), "truncated session id"},
      {"session_id_33", body_where([](test::HelloSpec* s) { s->session_id = Bytes(33, 7); }),
       "session id over 32 bytes"},
      {"short_cipher_suites_length", concat({kVersionAndRandom, {0, 0x00}}),
       "truncated cipher suites"},
      {"short_cipher_suites", concat({kVersionAndRandom, {0}, u16(4), {0x13, 0x01}}),
       "truncated cipher suites"},
      {"no_cipher_suites", body_where([](test::HelloSpec* s) { s->cipher_suites = {}; }),
       "bad cipher suites length"},
      {"odd_cipher_suites", body_where([](test::HelloSpec* s) {
         s->cipher_suites = {0x13, 0x01, 0xc0};
       }),
       "bad cipher suites length"},
      {"no_compression_byte", concat({kVersionAndRandom, {0}, vec16({0x13, 0x01})}),
       "truncated compression methods"},
      {"no_compression_methods",
       body_where([](test::HelloSpec* s) { s->compression_methods = {}; }),
       "no compression methods"},
      {"one_byte_of_extensions_length", concat({kNoExtensionsBody, {0x00}}),
       "truncated extensions"},
      {"extensions_past_the_end", concat({kNoExtensionsBody, u16(10), {0, 1, 0, 0}}),
       "truncated extensions"},
      {"bytes_after_extensions", concat({with_extensions({}), {0x00}}), "bytes after extensions"},
      {"bytes_after_sni", concat({with_extension(0, test::server_name_data("a.b")), {0, 0}}),
       "bytes after extensions"},
      {"truncated_extension_header", concat({kNoExtensionsBody, vec16({0x00, 0x10, 0x00})}),
       "truncated extension"},
      {"extension_data_past_block",
       concat({kNoExtensionsBody, vec16(concat({u16(9), u16(5), {1}}))}), "truncated extension"},
      {"duplicate_unknown",
       with_extensions({{0x1234, {}}, {16, test::alpn_data({"h2"})}, {0x1234, {}}}),
       "duplicate extension"},
      {"duplicate_sni",
       with_extensions({{0, test::server_name_data("a")}, {0, test::server_name_data("a")}}),
       "duplicate extension"},
  };
}

std::vector<MalformedCase> extension_cases() {
  const Bytes name_a = vec16(to_bytes("a"));
  return {
      {"sni_one_byte", with_extension(0, {0x00}), "bad server_name extension length"},
      {"sni_trailing_byte", with_extension(0, concat({test::server_name_data("a"), {0}})),
       "bad server_name extension length"},
      {"sni_empty_extension", with_extension(0, {}), "bad server_name extension length"},
      {"sni_empty_list", with_extension(0, vec16({})), "empty server_name list"},
      {"sni_entry_without_length", with_extension(0, vec16({0x00, 0x00})),
       "truncated server_name entry"},
      {"sni_name_past_list", with_extension(0, vec16(concat({{0}, u16(5), to_bytes("ab")}))),
       "truncated server_name entry"},
      {"sni_empty_name", with_extension(0, vec16(concat({{0}, u16(0)}))), "empty server name"},
      {"sni_empty_unknown_type", with_extension(0, vec16(concat({{0}, name_a, {7}, u16(0)}))),
       "empty server name"},
      {"sni_two_host_names", with_extension(0, vec16(concat({{0}, name_a, {0}, name_a}))),
       "two host_name entries"},
      {"sni_nul", with_extension(0, test::server_name_data(std::string("a\0b.com", 7))),
       "NUL byte in server name"},
      {"sni_256_bytes", with_extension(0, test::server_name_data(std::string(256, 'a'))),
       "server name over 255 bytes"},
      {"alpn_one_byte", with_extension(16, {0x00}), "bad ALPN extension length"},
      {"alpn_trailing_byte", with_extension(16, concat({test::alpn_data({"h2"}), {0}})),
       "bad ALPN extension length"},
      {"alpn_empty_list", with_extension(16, vec16({})), "ALPN protocol list under 2 bytes"},
      {"alpn_one_byte_list", with_extension(16, vec16({0x02})), "ALPN protocol list under 2 bytes"},
      {"alpn_name_past_list", with_extension(16, vec16({5, 'h', '2'})), "truncated ALPN protocol"},
      {"alpn_empty_name", with_extension(16, vec16({2, 'h', '2', 0})), "empty ALPN protocol"},
      {"versions_empty_extension", with_extension(43, {}),
       "bad supported_versions extension length"},
      {"versions_trailing_byte",
       with_extension(43, concat({test::supported_versions_data({0x0304}), {0}})),
       "bad supported_versions extension length"},
      {"versions_empty_list", with_extension(43, vec8({})), "bad supported_versions list length"},
      {"versions_odd_list", with_extension(43, vec8({3, 4, 3})),
       "bad supported_versions list length"},
  };
}

class MalformedBodyTest : public testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedBodyTest, IsMalformedWithItsDetail) {
  const ParseResult result = parse_body(GetParam().body);
  EXPECT_EQ(result.status, ParseStatus::kMalformed);
  EXPECT_STREQ(result.detail, GetParam().detail);
}

std::string case_name(const testing::TestParamInfo<MalformedCase>& param) {
  return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Body, MalformedBodyTest, testing::ValuesIn(body_cases()), case_name);
INSTANTIATE_TEST_SUITE_P(Extensions, MalformedBodyTest, testing::ValuesIn(extension_cases()),
                         case_name);

TEST(ClientHelloBody, ExtensionsAreOptional) {
  ClientHello out;
  const Bytes body = body_where([](test::HelloSpec* s) {
    s->legacy_version = 0x0301;
    s->with_extensions = false;
  });
  ASSERT_EQ(parse_body(body, &out).status, ParseStatus::kDone);
  EXPECT_EQ(out.legacy_version, 0x0301);
  EXPECT_FALSE(out.has_server_name);
  EXPECT_TRUE(out.alpn.empty());
  EXPECT_TRUE(out.supported_versions.empty());
}

TEST(ClientHelloBody, EmptyExtensionBlock) {
  ClientHello out;
  ASSERT_EQ(parse_body(with_extensions({}), &out).status, ParseStatus::kDone);
  EXPECT_FALSE(out.has_server_name);
}

TEST(ClientHelloBody, FullSessionIdIsAccepted) {
  EXPECT_EQ(parse_body(body_where([](test::HelloSpec* s) { s->session_id = Bytes(32, 1); })).status,
            ParseStatus::kDone);
}

TEST(ClientHelloBody, ServerNameOf255BytesIsAccepted) {
  ClientHello out;
  const std::string longest(255, 'a');
  ASSERT_EQ(parse_body(with_extension(0, test::server_name_data(longest)), &out).status,
            ParseStatus::kDone);
  EXPECT_EQ(out.server_name, longest);
}

TEST(ClientHelloBody, ReadsEveryField) {
  ClientHello out;
  const Bytes body = with_extensions({
      {10, {0x00, 0x02, 0x00, 0x1d}},
      {16, test::alpn_data({"istio-peer-exchange", "istio"})},
      {0, test::server_name_data("outbound_.9080_.v1_.reviews.default.svc.cluster.local")},
      {43, test::supported_versions_data({0x0304, 0x0303})},
  });
  ASSERT_EQ(parse_body(body, &out).status, ParseStatus::kDone);
  EXPECT_EQ(out.record_version, 0x0301);
  EXPECT_EQ(out.legacy_version, 0x0303);
  EXPECT_TRUE(out.has_server_name);
  EXPECT_EQ(out.server_name, "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
  EXPECT_EQ(out.alpn, (std::vector<std::string>{"istio-peer-exchange", "istio"}));
  EXPECT_EQ(out.supported_versions, (std::vector<uint16_t>{0x0304, 0x0303}));
}

TEST(ClientHelloBody, UnknownExtensionsAreSkippedByLength) {
  ClientHello out;
  // Content that would be malformed as server_name, under another type.
  const Bytes body = with_extensions({{0x1234, {0xff}}, {0, test::server_name_data("a.b")}});
  ASSERT_EQ(parse_body(body, &out).status, ParseStatus::kDone);
  EXPECT_EQ(out.server_name, "a.b");
}

TEST(ClientHelloBody, UnknownNameTypesAreSkipped) {
  ClientHello out;
  const Bytes only_unknown = vec16(concat({{7}, vec16(to_bytes("x"))}));
  ASSERT_EQ(parse_body(with_extension(0, only_unknown), &out).status, ParseStatus::kDone);
  EXPECT_FALSE(out.has_server_name);
  ClientHello mixed;
  const Bytes list = vec16(concat({{7}, vec16(to_bytes("x")), {0}, vec16(to_bytes("a.b"))}));
  ASSERT_EQ(parse_body(with_extension(0, list), &mixed).status, ParseStatus::kDone);
  EXPECT_TRUE(mixed.has_server_name);
  EXPECT_EQ(mixed.server_name, "a.b");
}

TEST(ClientHelloBody, ServerNameIsTakenAsSent) {
  // Character rules belong to the name grammar (sni/istio_name.h), not here.
  ClientHello out;
  ASSERT_EQ(parse_body(with_extension(0, test::server_name_data("Foo_Bar.Example.")), &out).status,
            ParseStatus::kDone);
  EXPECT_EQ(out.server_name, "Foo_Bar.Example.");
}

TEST(ClientHelloBody, LongestSupportedVersionsList) {
  ClientHello out;
  const std::vector<uint16_t> versions(127, 0x0304);
  ASSERT_EQ(parse_body(with_extension(43, test::supported_versions_data(versions)), &out).status,
            ParseStatus::kDone);
  EXPECT_EQ(out.supported_versions.size(), 127u);
}

}  // namespace
}  // namespace meshgate::sni
