// Per-cluster connection limits (istiod's circuit_breakers max_connections,
// Envoy's upstream_cx_overflow): one count per cluster for all workers and
// every route table that names the cluster.
#include "gateway/routing/cluster_limits.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace meshgate::gateway {
namespace {

TEST(ClusterLimits, SlotsUpToTheLimitThenNone) {
  ClusterLimits limits;
  const auto count = limits.count("outbound|9080||reviews.bookinfo.svc.cluster.local");
  ClusterSlot first = ClusterSlot::take(count, 2);
  ClusterSlot second = ClusterSlot::take(count, 2);
  EXPECT_TRUE(first);
  EXPECT_TRUE(second);
  EXPECT_FALSE(ClusterSlot::take(count, 2));
  EXPECT_EQ(count->load(), 2u);
  first.release();
  EXPECT_EQ(count->load(), 1u);
  ClusterSlot third = ClusterSlot::take(count, 2);
  EXPECT_TRUE(third);
  EXPECT_FALSE(ClusterSlot::take(count, 0)) << "a limit of 0 admits nothing";
}

TEST(ClusterLimits, ASlotGoesBackWhenItsOwnerDoesAndMovesWithIt) {
  ClusterLimits limits;
  const auto count = limits.count("c");
  {
    ClusterSlot slot = ClusterSlot::take(count, 1);
    ClusterSlot moved = std::move(slot);
    EXPECT_FALSE(slot);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_TRUE(moved);
    EXPECT_EQ(count->load(), 1u);
  }
  EXPECT_EQ(count->load(), 0u);
}

TEST(ClusterLimits, ANameKeepsItsCountWhileHeldAndIsForgottenAfter) {
  ClusterLimits limits;
  auto held = limits.count("a");
  ClusterSlot slot = ClusterSlot::take(held, 5);
  EXPECT_EQ(limits.count("a"), held) << "a new route table shares the open count";
  EXPECT_NE(limits.count("b"), held);
  EXPECT_EQ(limits.tracked(), 1u);  // "b" was held by no one
  slot.release();
  held.reset();
  EXPECT_EQ(limits.tracked(), 0u);
  EXPECT_EQ(limits.count("a")->load(), 0u);
}

TEST(ClusterLimits, ManyNamesComeAndGoWithoutTheMapGrowing) {
  ClusterLimits limits;
  const auto kept = limits.count("kept");
  for (int i = 0; i < 10'000; ++i)
    limits.count("gone-" + std::to_string(i));
  EXPECT_EQ(limits.tracked(), 1u);
  EXPECT_LE(limits.names(), 128u);
  EXPECT_EQ(limits.count("kept"), kept);
}

TEST(ClusterLimits, WorkersTogetherNeverExceedTheLimit) {
  ClusterLimits limits;
  const auto count = limits.count("c");
  constexpr uint32_t kLimit = 7;
  std::vector<std::thread> workers;
  std::atomic<uint32_t> over{0};
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      for (int i = 0; i < 2'000; ++i) {
        ClusterSlot slot = ClusterSlot::take(count, kLimit);
        if (count->load() > kLimit) ++over;
      }
    });
  }
  for (std::thread& t : workers)
    t.join();
  EXPECT_EQ(over.load(), 0u);
  EXPECT_EQ(count->load(), 0u);
}

}  // namespace
}  // namespace meshgate::gateway
