// The c-ares host resolver against a stand-in DNS server on 127.0.0.1.
#include "net/dns/host_resolver.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "base/cidr.h"
#include "tests/support/fake_dns.h"

namespace meshgate::net::dns {
namespace {

using namespace std::chrono_literals;
using testing::FakeDns;

class HostResolverTest : public ::testing::Test {
 protected:
  AresOptions options_for(const FakeDns& server) {
    AresOptions options;
    options.servers = {server.server()};
    options.timeout = 200ms;
    options.attempts = 1;
    return options;
  }

  // Resolves on the test's thread, bounded.
  Lookup resolve(HostResolver& resolver, const std::string& host, Family family) {
    std::optional<Lookup> result;
    resolver.resolve(host, family, [&](Lookup lookup) { result = std::move(lookup); });
    EXPECT_FALSE(result) << "the callback must not run inside resolve()";
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!result && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(100ms);
    if (!result) throw std::runtime_error("no answer for " + host);
    return *result;
  }

  static std::vector<std::string> texts(const Lookup& lookup) {
    std::vector<std::string> out;
    for (const base::IpAddress& address : lookup.addresses)
      out.push_back(base::to_string(address));
    return out;
  }

  boost::asio::io_context io_;
  FakeDns server_;
};

TEST_F(HostResolverTest, AnswersInTheServersOrderWithTheSmallestTtl) {
  server_.set("db.example.com", {"10.0.0.2", "10.0.0.1", "10.0.0.3"}, 45);
  HostResolver resolver(io_, options_for(server_));
  const Lookup lookup = resolve(resolver, "db.example.com", Family::kV4);
  EXPECT_EQ(lookup.status, LookupStatus::kFound);
  EXPECT_EQ(texts(lookup), (std::vector<std::string>{"10.0.0.2", "10.0.0.1", "10.0.0.3"}));
  EXPECT_EQ(lookup.ttl, 45s);
  EXPECT_EQ(resolver.in_flight(), 0u);
}

TEST_F(HostResolverTest, BothFamiliesWhenAskedForAny) {
  server_.set("dual.example.com", {"10.0.0.9", "fd00::9"});
  HostResolver resolver(io_, options_for(server_));
  const std::vector<std::string> any = texts(resolve(resolver, "dual.example.com", Family::kAny));
  EXPECT_EQ(any.size(), 2u);
  EXPECT_NE(std::find(any.begin(), any.end(), "fd00::9"), any.end());
  EXPECT_EQ(texts(resolve(resolver, "dual.example.com", Family::kV6)),
            std::vector<std::string>{"fd00::9"});
}

TEST_F(HostResolverTest, AMissingNameIsNoNameNotAFailure) {
  HostResolver resolver(io_, options_for(server_));
  EXPECT_EQ(resolve(resolver, "gone.example.com", Family::kV4).status, LookupStatus::kNoName);
  server_.set("v6only.example.com", {"fd00::1"});
  EXPECT_EQ(resolve(resolver, "v6only.example.com", Family::kV4).status, LookupStatus::kNoName);
}

TEST_F(HostResolverTest, ServFailAndSilenceAreFailures) {
  HostResolver resolver(io_, options_for(server_));
  server_.set_mode(FakeDns::Mode::kServFail);
  EXPECT_EQ(resolve(resolver, "db.example.com", Family::kV4).status, LookupStatus::kFailed);
  server_.set_mode(FakeDns::Mode::kSilent);
  EXPECT_EQ(resolve(resolver, "db.example.com", Family::kV4).status, LookupStatus::kFailed);
}

TEST_F(HostResolverTest, BadNamesAreRefusedWithoutAQuery) {
  HostResolver resolver(io_, options_for(server_));
  EXPECT_EQ(resolve(resolver, "", Family::kV4).status, LookupStatus::kBadName);
  EXPECT_EQ(resolve(resolver, std::string(300, 'a'), Family::kV4).status, LookupStatus::kBadName);
  EXPECT_EQ(resolve(resolver, std::string("a\0b", 3), Family::kV4).status, LookupStatus::kBadName);
}

TEST_F(HostResolverTest, StopEndsPendingLookups) {
  server_.set_mode(FakeDns::Mode::kSilent);
  AresOptions options = options_for(server_);
  options.timeout = 10s;
  HostResolver resolver(io_, options);
  std::optional<Lookup> result;
  resolver.resolve("slow.example.com", Family::kV4, [&](Lookup lookup) { result = lookup; });
  ASSERT_TRUE(server_.wait_for_queries("slow.example.com", 1));
  resolver.stop();
  io_.restart();
  while (!result && io_.run_one_for(1s) > 0) {
  }
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, LookupStatus::kStopped);
  std::optional<Lookup> after;
  resolver.resolve("x.example.com", Family::kV4, [&](Lookup lookup) { after = lookup; });
  io_.restart();
  while (!after && io_.run_one_for(1s) > 0) {
  }
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, LookupStatus::kStopped);
}

TEST_F(HostResolverTest, ABadServerIsAClearError) {
  AresOptions options;
  options.servers = {"not-an-ip"};
  options.key = "discovery.xds.resolvers";
  try {
    HostResolver resolver(io_, options);
    FAIL() << "accepted a bad server";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("discovery.xds.resolvers: bad server \"not-an-ip\""),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace meshgate::net::dns
