#include "gateway/routing/load_balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace meshgate::gateway {
namespace {

Cluster cluster(std::vector<uint32_t> weights) {
  Cluster c;
  c.name = "outbound|80||svc.ns.svc.cluster.local";
  for (std::size_t i = 0; i < weights.size(); ++i) {
    c.endpoints.push_back(
        {{asio::ip::make_address("10.0.0." + std::to_string(i + 1)), 80}, weights[i]});
  }
  return c;
}

std::string sequence(LoadBalancer& lb, const Cluster& c, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += static_cast<char>('A' + *lb.pick(c, 1, {}));
  return out;
}

TEST(LoadBalancer, RoundRobinRotatesEqualWeights) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  EXPECT_EQ(sequence(lb, cluster({1, 1, 1}), 6), "ABCABC");
}

TEST(LoadBalancer, RoundRobinHonoursWeightsInterleaved) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  EXPECT_EQ(sequence(lb, cluster({3, 1}), 8), "AABAAABA");
  LoadBalancer lb2(config::LoadBalancing::kRoundRobin, false);
  const std::string s = sequence(lb2, cluster({5, 1, 1}), 7);
  EXPECT_EQ(std::count(s.begin(), s.end(), 'A'), 5);
  EXPECT_EQ(s.find("AAAAA"), std::string::npos) << s;  // smooth, not bunched
}

TEST(LoadBalancer, ExcludedEndpointsAreSkipped) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  const Cluster c = cluster({1, 1, 1});
  const std::vector<std::size_t> tried = {0, 2};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(lb.pick(c, 1, tried), 1u);
  const std::vector<std::size_t> all = {0, 1, 2};
  EXPECT_FALSE(lb.pick(c, 1, all).has_value());
  EXPECT_FALSE(lb.pick(cluster({}), 1, {}).has_value());
}

TEST(LoadBalancer, LeastConnectionsPrefersTheIdlest) {
  LoadBalancer lb(config::LoadBalancing::kLeastConnections, false);
  const Cluster c = cluster({1, 1, 1});
  lb.on_open(c.endpoints[0].address);
  lb.on_open(c.endpoints[0].address);
  lb.on_open(c.endpoints[2].address);
  EXPECT_EQ(lb.pick(c, 1, {}), 1u);
  lb.on_open(c.endpoints[1].address);
  // 0 has 2 open, 1 and 2 have 1 each: never 0.
  for (int i = 0; i < 4; ++i)
    EXPECT_NE(lb.pick(c, 1, {}), 0u);
  lb.on_close(c.endpoints[0].address);
  lb.on_close(c.endpoints[0].address);
  EXPECT_EQ(lb.pick(c, 1, {}), 0u);
  EXPECT_EQ(lb.active(c.endpoints[0].address), 0u);
}

// A cluster's own policy (istiod's lb_policy) wins over the gateway's.
TEST(LoadBalancer, AClustersOwnPolicyDecides) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  Cluster least = cluster({1, 1, 1});
  least.policy.balancing = config::LoadBalancing::kLeastConnections;
  lb.on_open(least.endpoints[0].address);
  lb.on_open(least.endpoints[1].address);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(lb.pick(least, 1, {}), 2u);
  LoadBalancer least_first(config::LoadBalancing::kLeastConnections, false);
  Cluster rotating = cluster({1, 1});
  rotating.name = "outbound|81||svc.ns.svc.cluster.local";
  rotating.policy.balancing = config::LoadBalancing::kRoundRobin;
  least_first.on_open(rotating.endpoints[1].address);
  EXPECT_EQ(sequence(least_first, rotating, 4), "ABAB");
}

TEST(LoadBalancer, LeastConnectionsWeighsLoadByWeight) {
  LoadBalancer lb(config::LoadBalancing::kLeastConnections, false);
  const Cluster c = cluster({4, 1});
  // Open what the balancer picks: A should take about four in five.
  std::map<std::size_t, int> picks;
  for (int i = 0; i < 50; ++i) {
    const std::size_t index = *lb.pick(c, 1, {});
    ++picks[index];
    lb.on_open(c.endpoints[index].address);
  }
  EXPECT_EQ(picks[0], 40);
  EXPECT_EQ(picks[1], 10);
}

TEST(LoadBalancer, LeastConnectionsRotatesTies) {
  LoadBalancer lb(config::LoadBalancing::kLeastConnections, false);
  EXPECT_EQ(sequence(lb, cluster({1, 1, 1}), 3), "ABC");
}

TEST(LoadBalancer, CloseOfUnknownEndpointIsHarmless) {
  LoadBalancer lb(config::LoadBalancing::kLeastConnections, false);
  const asio::ip::tcp::endpoint e(asio::ip::make_address("::1"), 443);
  lb.on_close(e);
  EXPECT_EQ(lb.active(e), 0u);
}

TEST(LoadBalancer, StateSurvivesANewTableWithTheSameEndpoints) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  const Cluster c = cluster({1, 1, 1});
  EXPECT_EQ(*lb.pick(c, 1, {}), 0u);
  EXPECT_EQ(*lb.pick(c, 2, {}), 1u);  // an unrelated change elsewhere: keep rotating
  EXPECT_EQ(*lb.pick(c, 3, {}), 2u);
  const Cluster changed = cluster({1, 1});
  EXPECT_EQ(*lb.pick(changed, 4, {}), 0u);  // the endpoints changed: start over
}

TEST(LoadBalancer, WorkersStartAtRandomPoints) {
  const Cluster c = cluster({1, 1, 1, 1});
  std::set<std::size_t> first_picks;
  for (int i = 0; i < 64; ++i) {
    LoadBalancer lb(config::LoadBalancing::kRoundRobin);
    first_picks.insert(*lb.pick(c, 1, {}));
  }
  EXPECT_GT(first_picks.size(), 1u);  // 64 balancers all on endpoint 0: chance 4^-64
  LoadBalancer lb(config::LoadBalancing::kRoundRobin);
  const std::string s = sequence(lb, c, 8);
  for (char e : std::string("ABCD"))
    EXPECT_EQ(std::count(s.begin(), s.end(), e), 2) << s;
}

}  // namespace
}  // namespace meshgate::gateway

namespace meshgate::gateway {
namespace {

TEST(LoadBalancerOutliers, SkipsEjectedEndpoints) {
  LoadBalancer lb(config::LoadBalancing::kRoundRobin, false);
  OutlierDetector outliers({1, std::chrono::seconds(10), std::chrono::seconds(60)});
  const Cluster c = cluster({1, 1, 1});
  std::vector<asio::ip::tcp::endpoint> members;
  for (const auto& e : c.endpoints)
    members.push_back(e.address);
  const auto now = OutlierDetector::Clock::now();
  ASSERT_TRUE(outliers.on_connect_failure(members[1], members, now));
  for (int i = 0; i < 6; ++i)
    EXPECT_NE(lb.pick(c, 1, {}, &outliers, now), 1u);
  // Once the ejection is over, the endpoint is picked again.
  bool picked = false;
  for (int i = 0; i < 6; ++i)
    picked |= lb.pick(c, 1, {}, &outliers, now + std::chrono::seconds(11)) == 1u;
  EXPECT_TRUE(picked);
}

TEST(LoadBalancerOutliers, AllEjectedStillPicks) {
  for (auto policy :
       {config::LoadBalancing::kRoundRobin, config::LoadBalancing::kLeastConnections}) {
    LoadBalancer lb(policy, false);
    OutlierDetector outliers({1, std::chrono::seconds(10), std::chrono::seconds(60)});
    const Cluster c = cluster({1, 1});
    std::vector<asio::ip::tcp::endpoint> members{c.endpoints[0].address, c.endpoints[1].address};
    const auto now = OutlierDetector::Clock::now();
    ASSERT_TRUE(outliers.on_connect_failure(members[0], members, now));
    // The second cannot be ejected: it is the last one left.
    EXPECT_FALSE(outliers.on_connect_failure(members[1], members, now));
    EXPECT_EQ(lb.pick(c, 1, {}, &outliers, now), 1u);
    const std::size_t tried[] = {1};
    // Only the ejected one is left untried: it is picked rather than nothing.
    EXPECT_EQ(lb.pick(c, 1, tried, &outliers, now), 0u);
  }
}

}  // namespace
}  // namespace meshgate::gateway

namespace meshgate::gateway {
namespace {

// An istiod upstream and the 15443 route of the same service share a cluster
// name but not their endpoints: the state of one must never index the other.
TEST(LoadBalancer, SameNameWithOtherEndpointsInOneVersionIsSafe) {
  for (auto policy :
       {config::LoadBalancing::kRoundRobin, config::LoadBalancing::kLeastConnections}) {
    LoadBalancer lb(policy);
    const Cluster one = cluster({1});
    const Cluster three = cluster({1, 1, 1});
    EXPECT_EQ(lb.pick(one, 5, {}), 0u);
    std::set<std::size_t> seen;
    for (int i = 0; i < 6; ++i)
      seen.insert(*lb.pick(three, 5, {}));
    EXPECT_EQ(seen.size(), 3u);
    EXPECT_EQ(lb.pick(one, 5, {}), 0u);
  }
}

}  // namespace
}  // namespace meshgate::gateway
