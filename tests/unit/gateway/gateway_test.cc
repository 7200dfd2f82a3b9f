// What readiness relies on: each worker tells which registry snapshot it
// routes with, and a snapshot counts only once its loop has taken it up.
#include "gateway/gateway.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "discovery/registry.h"

namespace meshgate::gateway {
namespace {

ConfigPtr port_zero_config() {
  config::Config config;
  for (config::Listener* listener :
       {&config.listeners.passthrough, &config.listeners.istiod, &config.listeners.webhook}) {
    *listener = {"127.0.0.1", 0};
  }
  config.workers = 2;
  return std::make_shared<const config::Config>(std::move(config));
}

discovery::SourceState one_service() {
  discovery::Service service;
  service.name = "httpbin";
  service.ns = "bar";
  service.ports = {{"tls", 8000, 0}};
  discovery::SourceState state;
  state.services.push_back(service);
  return state;
}

bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

TEST(Gateway, ASnapshotCountsAsAppliedOnlyOnceEveryWorkerLoopTookItUp) {
  discovery::Registry registry;
  Gateway gateway(port_zero_config(), registry);
  registry.update("file", one_service());
  const uint64_t published = registry.snapshot()->version();
  ASSERT_GT(published, 0u);
  // The publisher has the new table, but the workers' loops are not running.
  EXPECT_EQ(gateway.routes()->table->version(), published);
  EXPECT_LT(gateway.applied_snapshot(), published);

  gateway.start();
  EXPECT_TRUE(eventually([&] { return gateway.applied_snapshot() == published; }));
  registry.update("file", {});
  EXPECT_TRUE(eventually([&] { return gateway.applied_snapshot() == published + 1; }));
  gateway.stop();
}

}  // namespace
}  // namespace meshgate::gateway
