#include "sni/istio_name.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace meshgate::sni {
namespace {

// A host name of exactly `size` characters: labels of 61 'a's joined by dots.
// Should the last character fall on a dot, it becomes a letter instead, which
// leaves a final label of 62 characters, still valid.
std::string host_of_length(std::size_t size) {
  std::string host(size, 'a');
  for (std::size_t i = 61; i < size; i += 62)
    host[i] = '.';
  if (!host.empty() && host.back() == '.') host.back() = 'b';
  return host;
}

struct GoodCase {
  std::string sni;
  bool outbound;
  std::optional<uint16_t> port;
  std::string subset;
  std::string host;
};

TEST(HostOfLength, BuildsValidNamesOfTheRequestedSize) {
  for (std::size_t size : {1u, 61u, 62u, 63u, 64u, 124u, 125u, 253u, 254u}) {
    EXPECT_EQ(host_of_length(size).size(), size);
    if (size <= kMaxHostNameLength) {
      EXPECT_EQ(validate_host(host_of_length(size)), NameError::kNone);
    }
  }
}

TEST(ParseSni, AcceptsGoodNames) {
  const std::string label63(63, 'x');
  const std::string host253 = host_of_length(253);
  const std::vector<GoodCase> cases = {
      {"outbound_.9080_.v1_.reviews.default.svc.cluster.local", true, 9080, "v1",
       "reviews.default.svc.cluster.local"},
      {"outbound_.8000_._.httpbin.bar.svc.cluster.local", true, 8000, "",
       "httpbin.bar.svc.cluster.local"},
      {"OUTBOUND_.8000_.V1_.HttpBin.Bar.SVC.Cluster.Local", true, 8000, "v1",
       "httpbin.bar.svc.cluster.local"},
      {"outbound_.8000_._.httpbin.bar.svc.cluster.local.", true, 8000, "",
       "httpbin.bar.svc.cluster.local"},
      {"outbound_.8000_._.httpbin.bar.global", true, 8000, "", "httpbin.bar.global"},
      {"outbound_.1_._.a", true, 1, "", "a"},
      {"outbound_.65535_._.a", true, 65535, "", "a"},
      {"outbound_.443_.v1-beta_.a.b", true, 443, "v1-beta", "a.b"},
      {"outbound_.443_.1_.a.b", true, 443, "1", "a.b"},
      {"outbound_.443_." + label63 + "_.a.b", true, 443, label63, "a.b"},
      {"outbound_.80_._." + host253, true, 80, "", host253},
      {"httpbin.bar.global", false, std::nullopt, "", "httpbin.bar.global"},
      {"Reviews.Default.SVC.cluster.local.", false, std::nullopt, "",
       "reviews.default.svc.cluster.local"},
      {"localhost", false, std::nullopt, "", "localhost"},
      {"10.0.0.1", false, std::nullopt, "", "10.0.0.1"},
      {"a-b.c--d.e", false, std::nullopt, "", "a-b.c--d.e"},
      {"outbound.example.com", false, std::nullopt, "", "outbound.example.com"},
      {label63 + ".com", false, std::nullopt, "", label63 + ".com"},
      {host253, false, std::nullopt, "", host253},
      {host253 + ".", false, std::nullopt, "", host253},
  };
  for (const GoodCase& c : cases) {
    SCOPED_TRACE(c.sni);
    const NameParse parsed = parse_sni(c.sni);
    ASSERT_TRUE(parsed.ok()) << to_string(parsed.error);
    EXPECT_EQ(parsed.name.outbound, c.outbound);
    EXPECT_EQ(parsed.name.port, c.port);
    EXPECT_EQ(parsed.name.subset, c.subset);
    EXPECT_EQ(parsed.name.host, c.host);
  }
}

struct BadCase {
  std::string sni;
  NameError error;
};

void expect_errors(const std::vector<BadCase>& cases) {
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.sni);
    const NameParse parsed = parse_sni(c.sni);
    EXPECT_FALSE(parsed.ok());
    EXPECT_EQ(to_string(parsed.error), std::string(to_string(c.error)));
  }
}

TEST(ParseSni, RejectsBadPlainHosts) {
  expect_errors({
      {"", NameError::kEmpty},
      {".", NameError::kEmpty},
      {host_of_length(254), NameError::kTooLong},
      {host_of_length(254) + ".", NameError::kTooLong},
      {"a..b", NameError::kEmptyLabel},
      {".a", NameError::kEmptyLabel},
      {"a..", NameError::kEmptyLabel},  // only one trailing dot is dropped
      {std::string(64, 'a') + ".com", NameError::kLabelTooLong},
      {"a_b.com", NameError::kBadCharacter},
      {"-a.com", NameError::kBadCharacter},
      {"a-.com", NameError::kBadCharacter},
      {"a b.com", NameError::kBadCharacter},
      {"a/b", NameError::kBadCharacter},
      {"a:443", NameError::kBadCharacter},
      {"caf\xc3\xa9.com", NameError::kBadCharacter},
      {std::string("a\0b", 3), NameError::kBadCharacter},
      {"inbound_.80_._.a", NameError::kBadCharacter},
      {"outbound|80||a.b", NameError::kBadCharacter},
  });
}

TEST(ParseSni, RejectsBadPorts) {
  std::vector<BadCase> cases;
  // 4294967376 is 2^32 + 80: a parser that accumulated without a digit limit would wrap to 80.
  for (const char* port : {"0", "65536", "99999", "123456", "", "+80", "-80", "08080", "00", "80a",
                           "0x50", " 80", "8_0", "4294967376"}) {
    cases.push_back({std::string("outbound_.") + port + "_._.a.b", NameError::kBadPort});
  }
  expect_errors(cases);
}

TEST(ParseSni, RejectsBadSubsets) {
  std::vector<BadCase> cases;
  const std::vector<std::string> subsets = {"_", "-v1", "v1-", "v_1", "v/1", std::string(64, 'v')};
  for (const std::string& subset : subsets) {
    cases.push_back({"outbound_.80_." + subset + "_.a.b", NameError::kBadSubset});
  }
  expect_errors(cases);
}

TEST(ParseSni, RejectsBadOutboundStructure) {
  expect_errors({
      {"outbound_", NameError::kBadOutbound},
      {"outbound_.", NameError::kBadOutbound},
      {"OUTBOUND_", NameError::kBadOutbound},
      {"outbound_x.80_._.a", NameError::kBadOutbound},
      {"outbound__.80_._.a", NameError::kBadOutbound},
      {"outbound_.80.v1_.a", NameError::kBadOutbound},
      {"outbound_.80_.v1.a", NameError::kBadOutbound},
      {"outbound_.80_.v.1_.a", NameError::kBadOutbound},
      {"outbound_.80_._", NameError::kBadOutbound},
      {"outbound_.80_._.", NameError::kBadOutbound},
      {"outbound_.80_", NameError::kBadOutbound},
      {"outbound_..80_._.a", NameError::kBadOutbound},
  });
}

TEST(ParseSni, ReportsHostErrorsForTheOutboundFqdn) {
  expect_errors({
      {"outbound_.80_._..", NameError::kEmpty},
      {"outbound_.80_._." + host_of_length(254), NameError::kTooLong},
      {"outbound_.80_._.a..b", NameError::kEmptyLabel},
      {"outbound_.80_._." + std::string(64, 'a'), NameError::kLabelTooLong},
      {"outbound_.80_._.a_b", NameError::kBadCharacter},
      {"outbound_.80_._.outbound_.80_._.a", NameError::kBadCharacter},
  });
}

TEST(ParseSni, ChecksPortBeforeSubsetBeforeHost) {
  expect_errors({
      {"outbound_.0_.-_.a..b", NameError::kBadPort},
      {"outbound_.80_.-_.a..b", NameError::kBadSubset},
  });
}

TEST(ValidateHost, AcceptsGoodHosts) {
  const std::vector<std::string> hosts = {"a", "A.B-c.D", "127.0.0.1", std::string(63, 'z') + ".x",
                                          host_of_length(253)};
  for (const std::string& host : hosts) {
    EXPECT_EQ(validate_host(host), NameError::kNone) << host;
  }
}

TEST(ValidateHost, ReturnsTheSpecificError) {
  const std::vector<BadCase> cases = {
      {"", NameError::kEmpty},
      {host_of_length(254), NameError::kTooLong},
      {"a.b.", NameError::kEmptyLabel},  // parse_sni strips the dot, validate_host does not
      {".", NameError::kEmptyLabel},
      {"a." + std::string(64, 'b'), NameError::kLabelTooLong},
      {"a.-b", NameError::kBadCharacter},
      {"a.b_c", NameError::kBadCharacter},
  };
  for (const BadCase& c : cases) {
    EXPECT_EQ(validate_host(c.sni), c.error) << c.sni;
  }
}

TEST(FormatOutbound, MatchesIstioDnsSrvSubsetKey) {
  EXPECT_EQ(format_outbound(9080, "v1", "reviews.default.svc.cluster.local"),
            "outbound_.9080_.v1_.reviews.default.svc.cluster.local");
  EXPECT_EQ(format_outbound(8000, "", "httpbin.bar.svc.cluster.local"),
            "outbound_.8000_._.httpbin.bar.svc.cluster.local");
  EXPECT_EQ(format_outbound(65535, "", "a"), "outbound_.65535_._.a");
  EXPECT_EQ(format_outbound(1, "x", "a"), "outbound_.1_.x_.a");
}

TEST(FormatOutbound, RoundTripsThroughParse) {
  struct Name {
    uint16_t port;
    std::string subset;
    std::string host;
  };
  const std::vector<Name> names = {
      {1, "", "a"},
      {80, "v1", "reviews.default.svc.cluster.local"},
      {8000, "", "httpbin.bar.global"},
      {15443, "canary-2", "x.y.svc.corp.example"},
      {65535, std::string(63, 's'), host_of_length(253)},
  };
  for (const Name& n : names) {
    const std::string sni = format_outbound(n.port, n.subset, n.host);
    SCOPED_TRACE(sni);
    const NameParse parsed = parse_sni(sni);
    ASSERT_TRUE(parsed.ok()) << to_string(parsed.error);
    EXPECT_TRUE(parsed.name.outbound);
    EXPECT_EQ(parsed.name.port, n.port);
    EXPECT_EQ(parsed.name.subset, n.subset);
    EXPECT_EQ(parsed.name.host, n.host);
    EXPECT_EQ(format_outbound(*parsed.name.port, parsed.name.subset, parsed.name.host), sni);
  }
}

TEST(RewriteGlobal, RewritesOnlyNameNamespaceGlobal) {
  struct Case {
    std::string host;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"httpbin.bar.global", "httpbin.bar.svc.cluster.local"},
      {"a.b.global", "a.b.svc.cluster.local"},
      {"a.b.c.global", "a.b.c.global"},
      {"x.global", "x.global"},
      {"global", "global"},
      {"", ""},
      {"a.b.global.", "a.b.global."},
      {"a..global", "a..global"},
      {".b.global", ".b.global"},
      {"a.b.globalx", "a.b.globalx"},
      {"a.b.xglobal", "a.b.xglobal"},
      {"a.global.b", "a.global.b"},
      {"httpbin.bar.svc.cluster.local", "httpbin.bar.svc.cluster.local"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(rewrite_global(c.host, "cluster.local"), c.expected) << c.host;
  }
}

TEST(RewriteGlobal, UsesTheGivenClusterDomain) {
  EXPECT_EQ(rewrite_global("web.shop.global", "corp.example"), "web.shop.svc.corp.example");
}

TEST(IsIstioAlpn, AcceptsExactlyIstiosProtocols) {
  for (const char* alpn :
       {"istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"}) {
    EXPECT_TRUE(is_istio_alpn(alpn)) << alpn;
  }
  const std::vector<std::string> others = {
      "istio-h3", "h2",     "http/1.1", "ISTIO",          "Istio-h2",
      "",         "istio ", "istio-",   "istio-http/1.2", std::string("istio\0", 6)};
  for (const std::string& alpn : others) {
    EXPECT_FALSE(is_istio_alpn(alpn)) << alpn;
  }
}

TEST(NameErrorToString, GivesStableSnakeCaseNames) {
  const std::vector<std::pair<NameError, std::string>> expected = {
      {NameError::kNone, "none"},
      {NameError::kEmpty, "empty"},
      {NameError::kTooLong, "too_long"},
      {NameError::kEmptyLabel, "empty_label"},
      {NameError::kLabelTooLong, "label_too_long"},
      {NameError::kBadCharacter, "bad_character"},
      {NameError::kBadPort, "bad_port"},
      {NameError::kBadSubset, "bad_subset"},
      {NameError::kBadOutbound, "bad_outbound"},
  };
  for (const auto& [error, name] : expected)
    EXPECT_EQ(to_string(error), name);
}

TEST(NameParse, OkOnlyWithoutError) {
  EXPECT_TRUE(parse_sni("a.b").ok());
  EXPECT_FALSE(parse_sni("a..b").ok());
}

TEST(IsLowercaseHost, IsValidateHostWithoutUpperCase) {
  EXPECT_TRUE(is_lowercase_host("httpbin.bar.svc.cluster.local"));
  EXPECT_TRUE(is_lowercase_host("0"));
  EXPECT_FALSE(is_lowercase_host("Httpbin.bar"));
  EXPECT_FALSE(is_lowercase_host("httpbin.bar."));
  EXPECT_FALSE(is_lowercase_host("a..b"));
  EXPECT_FALSE(is_lowercase_host("a_b"));
  EXPECT_FALSE(is_lowercase_host(""));
}

}  // namespace
}  // namespace meshgate::sni
