#include "gateway/descriptor_budget.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

TEST(DescriptorBudget, TheReserveFollowsWhatTheConfigOpens) {
  config::Config config;
  const uint64_t base = reserved_descriptors(config, 2);
  // Each HTTP server may hold http.max_connections: three servers.
  config.http.max_connections += 100;
  EXPECT_EQ(reserved_descriptors(config, 2), base + 300);
  // DNS TCP connections, and DNS at all.
  config.dns.max_tcp_connections += 10;
  EXPECT_EQ(reserved_descriptors(config, 2), base + 310);
  const uint64_t with_dns = reserved_descriptors(config, 2);
  config.dns.enabled = false;
  EXPECT_LT(reserved_descriptors(config, 2), with_dns - config.dns.max_tcp_connections);
  // Each worker: its acceptors and its event loop.
  EXPECT_GT(reserved_descriptors(config, 8), reserved_descriptors(config, 2));
  const uint64_t without_kubernetes = reserved_descriptors(config, 2);
  config.discovery.kubernetes.enabled = true;
  EXPECT_GT(reserved_descriptors(config, 2), without_kubernetes);
}

TEST(DescriptorBudget, TheBudgetIsWhatTheReserveLeaves) {
  const config::Config config;
  const uint64_t reserve = reserved_descriptors(config, 2);
  const DescriptorPlan plan = plan_descriptors(config, 2, reserve + 1000);
  EXPECT_EQ(plan.limit, reserve + 1000);
  EXPECT_EQ(plan.reserve, reserve);
  EXPECT_EQ(plan.budget, 1000u);
  EXPECT_EQ(plan_descriptors(config, 2, reserve / 2).budget, 0u);
  const std::string said = describe(plan, 65536);
  EXPECT_NE(said.find("up to 500 connections"), std::string::npos) << said;
  EXPECT_NE(said.find("limit " + std::to_string(reserve + 1000)), std::string::npos) << said;
}

}  // namespace
}  // namespace meshgate::gateway
