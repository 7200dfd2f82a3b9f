// DnsRefresher against a stand-in DNS server: first answers, refreshes (at
// the refresh rate or the TTL), failures keeping the last addresses as
// Envoy's STRICT_DNS clusters do, and forgotten names.
#include "discovery/xds/dns_refresher.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#include "tests/support/fake_dns.h"

namespace meshgate::discovery::xds {
namespace {

using namespace std::chrono_literals;
using meshgate::testing::FakeDns;
using Addresses = std::vector<std::string>;

// Every report the refresher makes, and a bounded wait for one.
class Reports {
 public:
  void add(const DnsAnswers& answers, uint64_t generation) {
    std::lock_guard lock(mutex_);
    all_.emplace_back(answers, generation);
    changed_.notify_all();
  }
  // The first report (from the start) that `match` accepts; fails the test otherwise.
  std::pair<DnsAnswers, uint64_t> wait(
      const std::function<bool(const DnsAnswers&, uint64_t)>& match) {
    std::unique_lock lock(mutex_);
    std::pair<DnsAnswers, uint64_t> found;
    const bool ok = changed_.wait_for(lock, 10s, [&] {
      for (const auto& report : all_) {
        if (match(report.first, report.second)) {
          found = report;
          return true;
        }
      }
      return false;
    });
    EXPECT_TRUE(ok) << "no such report among " << all_.size();
    return found;
  }
  std::vector<std::pair<DnsAnswers, uint64_t>> all() const {
    std::lock_guard lock(mutex_);
    return all_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::pair<DnsAnswers, uint64_t>> all_;
};

class DnsRefresherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    net::dns::AresOptions options;
    options.servers = {server_.server()};
    options.timeout = 200ms;
    options.attempts = 1;
    refresher_ = std::make_unique<DnsRefresher>(
        options, [this](const DnsAnswers& answers, uint64_t generation) {
          reports_.add(answers, generation);
        });
    refresher_->start();
  }
  void TearDown() override { refresher_->stop(); }

  static DnsWant want(const std::string& host, std::chrono::milliseconds refresh = 60s,
                      bool respect_ttl = false) {
    return DnsWant{{host, DnsFamily::kV4Only}, refresh, respect_ttl};
  }
  static Addresses of(const DnsAnswers& answers, const std::string& host) {
    const auto found = answers.find(DnsName{host, DnsFamily::kV4Only});
    return found == answers.end() ? Addresses{"(absent)"} : found->second;
  }

  FakeDns server_;
  Reports reports_;
  std::unique_ptr<DnsRefresher> refresher_;
};

TEST_F(DnsRefresherTest, TheFirstReportWaitsForEveryName) {
  server_.set("a.example.com", {"10.0.0.1"});
  server_.set("b.example.com", {"10.0.0.2", "10.0.0.3"});
  refresher_->want({want("a.example.com"), want("b.example.com")}, 7);
  const auto [answers, generation] = reports_.wait([](auto&, uint64_t) { return true; });
  EXPECT_EQ(generation, 7u);
  EXPECT_EQ(of(answers, "a.example.com"), Addresses{"10.0.0.1"});
  EXPECT_EQ(of(answers, "b.example.com"), (Addresses{"10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(refresher_->stats().names, 2u);
}

TEST_F(DnsRefresherTest, AChangedAnswerIsReportedAtTheNextRefresh) {
  server_.set("a.example.com", {"10.0.0.1"});
  refresher_->want({want("a.example.com", 100ms)}, 1);
  reports_.wait([&](auto& answers, uint64_t) { return of(answers, "a.example.com").size() == 1; });
  server_.set("a.example.com", {"10.0.0.9"});
  reports_.wait([&](auto& answers, uint64_t) {
    return of(answers, "a.example.com") == Addresses{"10.0.0.9"};
  });
  EXPECT_GE(refresher_->stats().changes, 2u);
}

TEST_F(DnsRefresherTest, AFailedLookupKeepsTheLastAddresses) {
  server_.set("a.example.com", {"10.0.0.1"});
  refresher_->want({want("a.example.com", 100ms)}, 1);
  reports_.wait([&](auto& answers, uint64_t) { return !of(answers, "a.example.com").empty(); });
  server_.set_mode(FakeDns::Mode::kServFail);
  const uint64_t asked = server_.queries("a.example.com");
  ASSERT_TRUE(server_.wait_for_queries("a.example.com", asked + 3));
  server_.set("a.example.com", {"10.0.0.4"});
  server_.set_mode(FakeDns::Mode::kAnswer);
  reports_.wait([&](auto& answers, uint64_t) {
    return of(answers, "a.example.com") == Addresses{"10.0.0.4"};
  });
  for (const auto& [answers, generation] : reports_.all()) {
    EXPECT_FALSE(of(answers, "a.example.com").empty()) << "a failure dropped the addresses";
  }
  EXPECT_GE(refresher_->stats().failures, 1u);
}

TEST_F(DnsRefresherTest, ANameThatDoesNotExistHasNoAddresses) {
  refresher_->want({want("gone.example.com")}, 3);
  const auto [answers, generation] = reports_.wait([](auto&, uint64_t) { return true; });
  EXPECT_EQ(of(answers, "gone.example.com"), Addresses{});
  EXPECT_EQ(refresher_->stats().failures, 0u) << "NXDOMAIN is an answer";
}

TEST_F(DnsRefresherTest, TheTtlSetsTheRefreshWhenTheClusterRespectsIt) {
  server_.set("a.example.com", {"10.0.0.1"}, 1);
  refresher_->want({want("a.example.com", 60s, true)}, 1);
  EXPECT_TRUE(server_.wait_for_queries("a.example.com", 2, 5'000))
      << "a 1 s TTL refreshes long before the 60 s rate";
}

TEST_F(DnsRefresherTest, NoNamesIsNeverReported) {
  server_.set("a.example.com", {"10.0.0.1"});
  refresher_->want({}, 1);
  refresher_->want({want("a.example.com")}, 2);
  reports_.wait([](auto&, uint64_t generation) { return generation == 2; });
  refresher_->want({}, 3);
  refresher_->want({want("a.example.com")}, 4);
  reports_.wait([](auto&, uint64_t generation) { return generation == 4; });
  for (const auto& report : reports_.all()) {
    EXPECT_TRUE(report.second == 2 || report.second == 4) << report.second;
  }
  EXPECT_EQ(refresher_->stats().names, 1u);
}

TEST_F(DnsRefresherTest, ANewSetForgetsTheOldNames) {
  server_.set("a.example.com", {"10.0.0.1"});
  server_.set("b.example.com", {"10.0.0.2"});
  refresher_->want({want("a.example.com")}, 1);
  reports_.wait([](auto&, uint64_t generation) { return generation == 1; });
  refresher_->want({want("b.example.com")}, 2);
  const DnsAnswers answers =
      reports_.wait([](auto&, uint64_t generation) { return generation == 2; }).first;
  EXPECT_EQ(answers.size(), 1u);
  EXPECT_EQ(of(answers, "b.example.com"), Addresses{"10.0.0.2"});
  EXPECT_EQ(refresher_->stats().names, 1u);
  // A set of names already known is reported at once, without a lookup.
  const uint64_t asked = server_.queries("b.example.com");
  refresher_->want({want("b.example.com")}, 3);
  reports_.wait([](auto&, uint64_t generation) { return generation == 3; });
  EXPECT_EQ(server_.queries("b.example.com"), asked);
}

}  // namespace
}  // namespace meshgate::discovery::xds
