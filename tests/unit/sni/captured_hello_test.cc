// The parser against ClientHellos captured from real TLS stacks other than
// the OpenSSL of client_hello_test.cc (fixtures and how they were made:
// testdata/README.md), fed in every way a TCP stream and a TLS stack may cut
// them. Chromium's is the one over 1.5 KB, from its post-quantum key share.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sni/client_hello.h"
#include "tests/unit/sni/hello_builder.h"

namespace meshgate::sni {
namespace {

using test::Bytes;
using test::describe;

const std::filesystem::path kTestdata = MESHGATE_SNI_TESTDATA;
const std::string kIstioSni = "outbound_.8000_._.httpbin.bar.svc.cluster.local";
const std::vector<std::string> kIstioAlpn = {"istio-peer-exchange", "istio"};
const std::vector<std::string> kBrowserAlpn = {"h2", "http/1.1"};

// One row of testdata/README.md, plus the fields the parser reports.
struct CapturedCase {
  const char* file;
  std::size_t size;
  uint16_t record_version;
  std::string server_name;
  std::vector<std::string> alpn;
  std::vector<uint16_t> supported_versions;
};

void PrintTo(const CapturedCase& captured, std::ostream* out) {
  *out << captured.file;
}

const CapturedCase kCapturedCases[] = {
    {"gnutls.bin", 461, 0x0301, kIstioSni, kIstioAlpn, {0x0304, 0x0303, 0x0302, 0x0301}},
    {"nss.bin", 635, 0x0301, kIstioSni, {}, {0x0304, 0x0303, 0x0302, 0x0301}},
    {"java.bin", 499, 0x0303, "httpbin.bar.global", kIstioAlpn, {0x0304, 0x0303}},
    {"node.bin", 437, 0x0301, kIstioSni, kIstioAlpn, {0x0304, 0x0303}},
    {"python.bin", 517, 0x0301, kIstioSni, {"istio"}, {0x0304, 0x0303}},
    {"curl.bin", 517, 0x0301, kIstioSni, kBrowserAlpn, {0x0304, 0x0303, 0x0302, 0x0301}},
    // 0x1a1a is a GREASE value (RFC 8701), reported as sent.
    {"chromium.bin", 2051, 0x0301, kIstioSni, kBrowserAlpn, {0x1a1a, 0x0304, 0x0303}},
    {"go.bin", 327, 0x0301, kIstioSni, kIstioAlpn, {0x0304, 0x0303}},
    {"erlang.bin", 389, 0x0303, kIstioSni, kIstioAlpn, {0x0304, 0x0303}},
    {"botan.bin", 257, 0x0301, kIstioSni, kIstioAlpn, {0x0303}},
};

Bytes read_fixture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Bytes buffered_bytes(const ClientHelloParser& parser) {
  return Bytes(parser.buffered().begin(), parser.buffered().end());
}

class CapturedHelloTest : public ::testing::TestWithParam<CapturedCase> {
 protected:
  void SetUp() override {
    const CapturedCase& captured = GetParam();
    hello_ = read_fixture(kTestdata / captured.file);
    ASSERT_EQ(hello_.size(), captured.size) << (kTestdata / captured.file);
    expected_.record_version = captured.record_version;
    expected_.legacy_version = 0x0303;
    expected_.has_server_name = true;
    expected_.server_name = captured.server_name;
    expected_.alpn = captured.alpn;
    expected_.supported_versions = captured.supported_versions;
  }

  // Parses `bytes` statelessly, in one feed and one byte per feed (which
  // parse_all_ways checks agree), then one byte per feed again to check that
  // the parser is done on exactly the last byte and kept every byte.
  void expect_hello(const Bytes& bytes, const std::string& label) {
    ClientHello out;
    const ParseResult result = test::parse_all_ways(bytes, kDefaultMaxClientHelloBytes, &out);
    ASSERT_EQ(result.status, ParseStatus::kDone) << label << ": " << result.detail;
    EXPECT_EQ(describe(out), describe(expected_)) << label;
    ClientHelloParser parser;
    for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
      ASSERT_EQ(parser.feed({&bytes[i], 1}).status, ParseStatus::kNeedMore) << label << " @" << i;
    }
    ASSERT_EQ(parser.feed({&bytes.back(), 1}).status, ParseStatus::kDone) << label;
    EXPECT_EQ(buffered_bytes(parser), bytes) << label;
  }

  Bytes hello_;
  ClientHello expected_;
};

TEST_P(CapturedHelloTest, WholeAndOneByteAtATime) {
  expect_hello(hello_, "as captured");
}

TEST_P(CapturedHelloTest, FeedWholeKeepsEveryByte) {
  ClientHelloParser parser;
  const ParseResult result = parser.feed(hello_);
  ASSERT_EQ(result.status, ParseStatus::kDone) << result.detail;
  EXPECT_EQ(describe(parser.hello()), describe(expected_));
  EXPECT_EQ(buffered_bytes(parser), hello_);
}

TEST_P(CapturedHelloTest, EveryTwoPieceSplit) {
  EXPECT_TRUE(test::expect_done_at_every_split(hello_, describe(expected_)));
}

TEST_P(CapturedHelloTest, HandshakeReframedIntoRecords) {
  const Bytes payload = test::handshake_payload(hello_);
  ASSERT_EQ(payload.size() + 5, hello_.size()) << "every fixture is one record";
  for (std::size_t fragment : {1, 7, 512}) {
    const Bytes records = test::reframe(payload, fragment, GetParam().record_version);
    expect_hello(records, "records of " + std::to_string(fragment));
  }
}

std::string case_name(const ::testing::TestParamInfo<CapturedCase>& param) {
  const std::string file = param.param.file;
  return file.substr(0, file.find('.'));
}

INSTANTIATE_TEST_SUITE_P(Captured, CapturedHelloTest, ::testing::ValuesIn(kCapturedCases),
                         case_name);

// The row of README.md's table that starts with `file`, or "" if none does.
std::string readme_row(const std::string& readme, const std::string& file) {
  const std::size_t start = readme.find("\n| `" + file + "` |");
  if (start == std::string::npos) return "";
  const std::size_t end = readme.find('\n', start + 1);
  return readme.substr(start + 1, end == std::string::npos ? end : end - start - 1);
}

// The table, testdata/ and README.md name the same fixtures with the same sizes.
TEST(CapturedHelloFixtures, TableMatchesTestdataAndReadme) {
  std::set<std::string> in_table;
  for (const CapturedCase& captured : kCapturedCases)
    in_table.insert(captured.file);
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(kTestdata)) {
    if (entry.path().extension() == ".bin") on_disk.insert(entry.path().filename().string());
  }
  EXPECT_EQ(on_disk, in_table);
  const Bytes readme_bytes = read_fixture(kTestdata / "README.md");
  const std::string readme(readme_bytes.begin(), readme_bytes.end());
  for (const CapturedCase& captured : kCapturedCases) {
    const std::string row = readme_row(readme, captured.file);
    const std::string size_cell = "| " + std::to_string(captured.size) + " |";
    ASSERT_GE(row.size(), size_cell.size()) << captured.file << " has no row in README.md";
    EXPECT_EQ(row.substr(row.size() - size_cell.size()), size_cell) << row;
  }
}

// Chromium's post-quantum key share makes its hello span two TCP segments
// on an Ethernet path; the set must keep at least one hello that large.
TEST(CapturedHelloFixtures, OneIsLargerThanAnEthernetFrame) {
  std::size_t largest = 0;
  for (const CapturedCase& captured : kCapturedCases)
    largest = std::max(largest, captured.size);
  EXPECT_GT(largest, 1500u);
}

}  // namespace
}  // namespace meshgate::sni
