#include "gateway/routing/outlier.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace meshgate::gateway {
namespace {

using Endpoint = asio::ip::tcp::endpoint;
using Clock = OutlierDetector::Clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);

Endpoint ep(const std::string& address, uint16_t port = 80) {
  return {asio::ip::make_address(address), port};
}

config::Outlier settings(uint32_t failures, seconds base = seconds(30),
                         seconds longest = seconds(300)) {
  return {failures, base, longest};
}

// Fails `endpoint` `n` times at `now`; returns how many of them ejected it.
int fail(OutlierDetector& d, const Endpoint& endpoint, const std::vector<Endpoint>& cluster,
         Clock::time_point now, int n) {
  int ejections = 0;
  for (int i = 0; i < n; ++i)
    ejections += d.on_connect_failure(endpoint, cluster, now) ? 1 : 0;
  return ejections;
}

const Endpoint a = ep("10.0.0.1");
const Endpoint b = ep("10.0.0.2");
const Endpoint c = ep("10.0.0.3");
const std::vector<Endpoint> ab = {a, b};

TEST(Outlier, EjectsAfterConsecutiveFailuresAndNotBefore) {
  OutlierDetector d(settings(3));
  EXPECT_EQ(fail(d, a, ab, t0, 2), 0);
  EXPECT_FALSE(d.ejected(a, t0));
  EXPECT_TRUE(d.on_connect_failure(a, ab, t0));
  EXPECT_TRUE(d.ejected(a, t0));
  EXPECT_FALSE(d.ejected(b, t0));
  EXPECT_EQ(d.ejections_total(), 1u);
}

// A cluster whose source sets its own outlier detection (istiod's Cluster
// outlier_detection) is judged by it, whatever the detector's settings.
TEST(Outlier, AClustersOwnSettingsDecideItsEjections) {
  OutlierDetector d(settings(5));
  const config::Outlier own = settings(2, seconds(10));
  EXPECT_FALSE(d.on_connect_failure(a, ab, t0, &own));
  EXPECT_TRUE(d.on_connect_failure(a, ab, t0, &own));
  EXPECT_TRUE(d.ejected(a, t0 + seconds(9)));
  EXPECT_FALSE(d.ejected(a, t0 + seconds(10)));
  // Off for the cluster: never ejected, though the detector would.
  const config::Outlier off = settings(0);
  for (int i = 0; i < 10; ++i)
    EXPECT_FALSE(d.on_connect_failure(b, ab, t0, &off));
  EXPECT_FALSE(d.ejected(b, t0));
}

TEST(Outlier, SuccessInBetweenResetsTheRun) {
  OutlierDetector d(settings(3));
  EXPECT_EQ(fail(d, a, ab, t0, 2), 0);
  d.on_connect_success(a);
  EXPECT_EQ(fail(d, a, ab, t0, 2), 0);
  EXPECT_FALSE(d.ejected(a, t0));
  EXPECT_TRUE(d.on_connect_failure(a, ab, t0));
}

TEST(Outlier, ComesBackAfterBaseEjection) {
  OutlierDetector d(settings(1, seconds(30)));
  ASSERT_TRUE(d.on_connect_failure(a, ab, t0));
  EXPECT_TRUE(d.ejected(a, t0 + seconds(30) - milliseconds(1)));
  EXPECT_FALSE(d.ejected(a, t0 + seconds(30)));
  EXPECT_TRUE(d.ejected_endpoints(t0 + seconds(30)).empty());
}

TEST(Outlier, FailuresWhileEjectedDoNotExtendOrCount) {
  OutlierDetector d(settings(2, seconds(10)));
  ASSERT_EQ(fail(d, a, ab, t0, 2), 1);
  EXPECT_EQ(fail(d, a, ab, t0 + seconds(5), 5), 0);
  const auto list = d.ejected_endpoints(t0);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].until, t0 + seconds(10));
  EXPECT_FALSE(d.ejected(a, t0 + seconds(10)));
  // A full new run is needed once the ejection is over.
  EXPECT_FALSE(d.on_connect_failure(a, ab, t0 + seconds(10)));
  EXPECT_TRUE(d.on_connect_failure(a, ab, t0 + seconds(10)));
  EXPECT_EQ(d.ejections_total(), 2u);
}

TEST(Outlier, BackOffGrowsAndIsCapped) {
  OutlierDetector d(settings(1, seconds(10), seconds(25)));
  Clock::time_point now = t0;
  const seconds expected[] = {seconds(10), seconds(20), seconds(25), seconds(25)};
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(d.on_connect_failure(a, ab, now)) << i;
    const auto list = d.ejected_endpoints(now);
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].address, a);
    EXPECT_EQ(list[0].until, now + expected[i]) << i;
    EXPECT_EQ(list[0].times_ejected, i + 1);
    EXPECT_TRUE(d.ejected(a, now + expected[i] - milliseconds(1)));
    now += expected[i];
    EXPECT_FALSE(d.ejected(a, now));
  }
}

TEST(Outlier, SuccessResetsTheBackOffAndEndsTheEjection) {
  OutlierDetector d(settings(1, seconds(10)));
  ASSERT_TRUE(d.on_connect_failure(a, ab, t0));
  ASSERT_TRUE(d.on_connect_failure(a, ab, t0 + seconds(10)));
  d.on_connect_success(a);
  EXPECT_FALSE(d.ejected(a, t0 + seconds(11)));
  EXPECT_TRUE(d.ejected_endpoints(t0 + seconds(11)).empty());
  ASSERT_TRUE(d.on_connect_failure(a, ab, t0 + seconds(40)));
  const auto list = d.ejected_endpoints(t0 + seconds(40));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].until, t0 + seconds(50));
  EXPECT_EQ(list[0].times_ejected, 1u);
}

TEST(Outlier, SingleEndpointClusterIsNeverEjected) {
  OutlierDetector d(settings(2));
  const std::vector<Endpoint> only = {a};
  EXPECT_EQ(fail(d, a, only, t0, 10), 0);
  EXPECT_FALSE(d.ejected(a, t0));
  EXPECT_EQ(fail(d, a, {}, t0, 10), 0);  // an empty cluster has no other endpoint either
  EXPECT_EQ(d.ejections_total(), 0u);
}

TEST(Outlier, LastUsableEndpointIsKeptAndEjectedOnceAnotherIsBack) {
  OutlierDetector d(settings(3, seconds(10)));
  ASSERT_EQ(fail(d, a, ab, t0, 3), 1);
  EXPECT_EQ(fail(d, b, ab, t0 + seconds(1), 5), 0);
  EXPECT_FALSE(d.ejected(b, t0 + seconds(1)));
  // The run stayed complete: once `a` is back, b's next failure ejects it.
  EXPECT_TRUE(d.on_connect_failure(b, ab, t0 + seconds(10)));
  EXPECT_TRUE(d.ejected(b, t0 + seconds(10)));
  // Duplicates of the failing endpoint in the cluster do not count as others.
  OutlierDetector d2(settings(1));
  const std::vector<Endpoint> dup = {a, a};
  EXPECT_FALSE(d2.on_connect_failure(a, dup, t0));
}

TEST(Outlier, ThreeEndpointsKeepTheLastOne) {
  OutlierDetector d(settings(1));
  const std::vector<Endpoint> abc = {a, b, c};
  EXPECT_TRUE(d.on_connect_failure(a, abc, t0));
  EXPECT_TRUE(d.on_connect_failure(b, abc, t0));
  EXPECT_FALSE(d.on_connect_failure(c, abc, t0));
  EXPECT_EQ(d.ejected_endpoints(t0).size(), 2u);
}

TEST(Outlier, ZeroThresholdDisablesEjection) {
  OutlierDetector d(settings(0));
  EXPECT_EQ(fail(d, a, ab, t0, 100), 0);
  EXPECT_FALSE(d.ejected(a, t0));
  EXPECT_EQ(d.ejections_total(), 0u);
  OutlierDetector d2(settings(1));
  ASSERT_TRUE(d2.on_connect_failure(a, ab, t0));
  d2.set_settings(settings(0));
  EXPECT_FALSE(d2.ejected(a, t0));
  EXPECT_TRUE(d2.ejected_endpoints(t0).empty());
  EXPECT_EQ(fail(d2, b, ab, t0, 100), 0);
}

TEST(Outlier, EjectedEndpointsListsCurrentAndDropsExpired) {
  OutlierDetector d(settings(1, seconds(30)));
  const std::vector<Endpoint> abc = {a, b, c};
  ASSERT_TRUE(d.on_connect_failure(b, abc, t0));
  EXPECT_EQ(d.ejected_endpoints(t0 + seconds(5)).size(), 1u);
  ASSERT_TRUE(d.on_connect_failure(a, abc, t0 + seconds(10)));
  const auto both = d.ejected_endpoints(t0 + seconds(15));
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].address, a);  // sorted by address
  EXPECT_EQ(both[0].until, t0 + seconds(40));
  EXPECT_EQ(both[1].address, b);
  EXPECT_EQ(both[1].until, t0 + seconds(30));
  const auto later = d.ejected_endpoints(t0 + seconds(35));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].address, a);
  EXPECT_TRUE(d.ejected_endpoints(t0 + seconds(45)).empty());
  EXPECT_EQ(d.ejections_total(), 2u);
}

TEST(Outlier, SetSettingsChangesTheThresholdForLaterFailures) {
  OutlierDetector d(settings(5, seconds(30)));
  EXPECT_EQ(fail(d, a, ab, t0, 2), 0);
  d.set_settings(settings(3, seconds(30)));
  EXPECT_TRUE(d.on_connect_failure(a, ab, t0));
  // A run already past a lowered threshold ejects on its next failure.
  OutlierDetector d2(settings(5));
  EXPECT_EQ(fail(d2, a, ab, t0, 4), 0);
  d2.set_settings(settings(2, seconds(7)));
  EXPECT_TRUE(d2.on_connect_failure(a, ab, t0));
  EXPECT_FALSE(d2.ejected(a, t0 + seconds(7)));
  // A current ejection keeps its end when the durations change.
  d.set_settings(settings(3, seconds(1), seconds(1)));
  EXPECT_TRUE(d.ejected(a, t0 + seconds(29)));
}

TEST(Outlier, Ipv4AndIpv6EndpointsAreDistinct) {
  const Endpoint v4 = ep("127.0.0.1", 443);
  const Endpoint mapped = ep("::ffff:127.0.0.1", 443);
  const Endpoint compat = ep("::127.0.0.1", 443);
  const EndpointHash hash;
  EXPECT_NE(v4, mapped);
  EXPECT_NE(hash(v4), hash(mapped));
  EXPECT_NE(hash(v4), hash(compat));
  EXPECT_NE(hash(v4), hash(ep("127.0.0.1", 444)));
  EXPECT_EQ(hash(v4), hash(ep("127.0.0.1", 443)));
  OutlierDetector d(settings(1));
  const std::vector<Endpoint> cluster = {v4, mapped, compat};
  ASSERT_TRUE(d.on_connect_failure(v4, cluster, t0));
  EXPECT_TRUE(d.ejected(v4, t0));
  EXPECT_FALSE(d.ejected(mapped, t0));
  EXPECT_FALSE(d.ejected(compat, t0));
}

TEST(Outlier, TrackingIsBounded) {
  OutlierDetector d(settings(1, seconds(10)), 2);
  const std::vector<Endpoint> cluster = {a, b, c, ep("10.0.0.4")};
  ASSERT_TRUE(d.on_connect_failure(a, cluster, t0));
  ASSERT_TRUE(d.on_connect_failure(b, cluster, t0));
  // Full of current ejections: a new failing endpoint is not tracked.
  EXPECT_FALSE(d.on_connect_failure(c, cluster, t0 + seconds(1)));
  EXPECT_FALSE(d.ejected(c, t0 + seconds(1)));
  // Once they expire, a sweep makes room.
  EXPECT_TRUE(d.on_connect_failure(c, cluster, t0 + seconds(10)));
  const auto list = d.ejected_endpoints(t0 + seconds(10));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].address, c);
  // The sweep forgot a's back-off: its next ejection is a first one again.
  ASSERT_TRUE(d.on_connect_failure(a, cluster, t0 + seconds(10)));
  EXPECT_FALSE(d.ejected(a, t0 + seconds(20)));
}

TEST(Outlier, SweepDropsFailingRunsWhenFull) {
  OutlierDetector d(settings(2), 2);
  EXPECT_EQ(fail(d, a, ab, t0, 1), 0);
  EXPECT_EQ(fail(d, b, ab, t0, 1), 0);
  EXPECT_EQ(fail(d, c, ab, t0, 1), 0);  // sweeps the runs of a and b
  EXPECT_FALSE(d.on_connect_failure(a, ab, t0));
  EXPECT_TRUE(d.on_connect_failure(c, std::vector<Endpoint>{a, b, c}, t0));
}

TEST(Outlier, HugeEjectionsSaturateInsteadOfOverflowing) {
  const config::Outlier huge{1, config::Duration::max(), config::Duration::max()};
  OutlierDetector d(huge);
  ASSERT_TRUE(d.on_connect_failure(a, ab, t0));
  EXPECT_TRUE(d.ejected(a, Clock::time_point::max() - seconds(1)));
  // At the end of time `a` is no longer ejected, and b's ejection ends at once.
  ASSERT_TRUE(d.on_connect_failure(b, ab, Clock::time_point::max()));
  EXPECT_FALSE(d.ejected(b, Clock::time_point::max()));
  EXPECT_TRUE(d.ejected_endpoints(Clock::time_point::max()).empty());
}

TEST(Outlier, OtherThreadsReadEjectionsWhileTheOwnerWrites) {
  OutlierDetector d(settings(1, seconds(1)));
  constexpr int kRounds = 2000;
  std::thread reader([&] {
    for (int i = 0; i < kRounds; ++i) {
      EXPECT_LE(d.ejected_endpoints(t0).size(), 1u);
      (void)d.ejections_total();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(d.on_connect_failure(a, ab, t0 + seconds(i)));
    if (i % 2 == 1) d.on_connect_success(a);
  }
  reader.join();
  EXPECT_EQ(d.ejections_total(), static_cast<uint64_t>(kRounds));
}

}  // namespace
}  // namespace meshgate::gateway
