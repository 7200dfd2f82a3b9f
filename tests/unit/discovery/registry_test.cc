#include "discovery/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace meshgate::discovery {
namespace {

Service service(std::string ns, std::string name, uint16_t port = 80) {
  Service result;
  result.ns = std::move(ns);
  result.name = std::move(name);
  result.ports = {ServicePort{"tls", port, 0}};
  return result;
}

SourceState state(std::vector<Service> services, std::vector<HostAlias> aliases = {}) {
  return SourceState{std::move(services), std::move(aliases)};
}

TEST(Registry, StartsEmptyAtVersionZero) {
  Registry registry;
  SnapshotPtr snapshot = registry.snapshot();
  ASSERT_NE(snapshot, nullptr);
  EXPECT_EQ(snapshot->version(), 0u);
  EXPECT_TRUE(snapshot->services().empty());
  EXPECT_TRUE(snapshot->aliases().empty());
  EXPECT_EQ(registry.stats().publishes, 0u);
}

TEST(Registry, FirstUpdatePublishesVersionOne) {
  Registry registry;
  registry.add_source("a");
  registry.update("a", state({service("bar", "httpbin")}, {HostAlias{"h.global", {}, "", ""}}));
  SnapshotPtr snapshot = registry.snapshot();
  EXPECT_EQ(snapshot->version(), 1u);
  ASSERT_NE(snapshot->find_service("bar", "httpbin"), nullptr);
  ASSERT_EQ(snapshot->aliases().size(), 1u);
  EXPECT_EQ(registry.stats().publishes, 1u);
}

TEST(Registry, EmptyFirstUpdateDoesNotPublish) {
  Registry registry;
  registry.update("a", state({}));
  EXPECT_EQ(registry.snapshot()->version(), 0u);
  EXPECT_TRUE(registry.synced());
}

TEST(Registry, VersionBumpsOnlyOnChange) {
  Registry registry;
  registry.update("a", state({service("bar", "httpbin")}));
  SnapshotPtr first = registry.snapshot();
  registry.update("a", state({service("bar", "httpbin")}));
  EXPECT_EQ(registry.snapshot(), first);  // the same object: nothing published
  registry.update("a", state({service("bar", "httpbin", 81)}));
  EXPECT_EQ(registry.snapshot()->version(), 2u);
  EXPECT_EQ(registry.stats().publishes, 2u);
}

TEST(Registry, OrderOfServicesWithinASourceIsNotAChange) {
  Registry registry;
  registry.update("a", state({service("bar", "a"), service("bar", "b")}));
  registry.update("a", state({service("bar", "b"), service("bar", "a")}));
  EXPECT_EQ(registry.snapshot()->version(), 1u);
}

TEST(Registry, EarlierSourceWinsConflictsAndTheyAreCounted) {
  Registry registry;
  registry.add_source("first");
  registry.add_source("second");
  // The later source reports first; the earlier one still wins afterwards.
  registry.update("second", state({service("bar", "httpbin", 2), service("bar", "only2")},
                                  {HostAlias{"h.global", {"240.0.0.2"}, "", ""}}));
  EXPECT_EQ(registry.snapshot()->find_service("bar", "httpbin")->ports[0].number, 2);
  EXPECT_EQ(registry.stats().conflicts, 0u);

  registry.update("first", state({service("bar", "httpbin", 1)},
                                 {HostAlias{"h.global", {"240.0.0.1"}, "", ""}}));
  SnapshotPtr snapshot = registry.snapshot();
  EXPECT_EQ(snapshot->find_service("bar", "httpbin")->ports[0].number, 1);
  EXPECT_NE(snapshot->find_service("bar", "only2"), nullptr);
  ASSERT_EQ(snapshot->aliases().size(), 1u);
  EXPECT_EQ(snapshot->aliases()[0].addresses[0], "240.0.0.1");
  EXPECT_EQ(registry.stats().conflicts, 2u);  // one service and one alias
}

TEST(Registry, UnknownSourceIsAddedLast) {
  Registry registry;
  registry.add_source("declared");
  registry.update("undeclared", state({service("bar", "httpbin", 2)}));
  registry.update("declared", state({service("bar", "httpbin", 1)}));
  EXPECT_EQ(registry.snapshot()->find_service("bar", "httpbin")->ports[0].number, 1);
  EXPECT_EQ(registry.stats().conflicts, 1u);
}

TEST(Registry, AddingASourceTwiceKeepsItsPlace) {
  Registry registry;
  registry.add_source("a");
  registry.add_source("b");
  registry.add_source("a");
  registry.update("b", state({service("bar", "httpbin", 2)}));
  registry.update("a", state({service("bar", "httpbin", 1)}));
  EXPECT_EQ(registry.snapshot()->find_service("bar", "httpbin")->ports[0].number, 1);
  EXPECT_TRUE(registry.synced());
}

TEST(Registry, RemovingASourceDropsItsStateAndPublishes) {
  Registry registry;
  registry.add_source("a");
  registry.add_source("b");
  registry.update("a", state({service("bar", "httpbin", 1)}));
  registry.update("b", state({service("bar", "httpbin", 2), service("bar", "only-b")}));
  std::vector<uint64_t> published;
  registry.subscribe(
      [&](const SnapshotPtr& snapshot) { published.push_back(snapshot->version()); });
  registry.remove_source("a");
  const SnapshotPtr snapshot = registry.snapshot();
  ASSERT_EQ(published.size(), 2u);  // the current one, then the one without "a"
  EXPECT_EQ(published.back(), snapshot->version());
  // The service "a" won is now "b"'s.
  EXPECT_EQ(snapshot->find_service("bar", "httpbin")->ports[0].number, 2);
  registry.remove_source("a");  // unknown now: nothing happens
  EXPECT_EQ(published.size(), 2u);
}

TEST(Registry, RemovingTheOnlyUnsyncedSourceMakesItSynced) {
  Registry registry;
  registry.add_source("a");
  EXPECT_FALSE(registry.synced());
  registry.remove_source("a");
  EXPECT_TRUE(registry.synced());
}

TEST(Registry, SyncedOnceEverySourceReported) {
  Registry registry;
  EXPECT_TRUE(registry.synced());  // nothing to wait for
  registry.add_source("a");
  registry.add_source("b");
  EXPECT_FALSE(registry.synced());
  registry.update("a", state({}));
  EXPECT_FALSE(registry.synced());
  registry.update("b", state({}));
  EXPECT_TRUE(registry.synced());
  registry.add_source("c");
  EXPECT_FALSE(registry.synced());
}

TEST(Registry, SubscriberGetsCurrentSnapshotAtOnceThenEachPublish) {
  Registry registry;
  registry.update("a", state({service("bar", "httpbin")}));
  std::vector<uint64_t> seen;
  registry.subscribe([&](const SnapshotPtr& snapshot) { seen.push_back(snapshot->version()); });
  EXPECT_EQ(seen, std::vector<uint64_t>{1});
  registry.update("a", state({service("bar", "httpbin")}));  // no change: no call
  registry.update("a", state({service("bar", "httpbin", 81)}));
  registry.update("a", state({}));
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(Registry, SubscriberSeesThePublishedSnapshotAndMayReadStats) {
  Registry registry;
  std::vector<bool> same;
  std::vector<uint64_t> publishes;
  registry.subscribe([&](const SnapshotPtr& snapshot) {
    same.push_back(snapshot == registry.snapshot());
    publishes.push_back(registry.stats().publishes);
    (void)registry.synced();
  });
  registry.update("a", state({service("bar", "httpbin")}));
  EXPECT_EQ(same, (std::vector<bool>{true, true}));
  EXPECT_EQ(publishes, (std::vector<uint64_t>{0, 1}));
}

TEST(Registry, EverySubscriberIsCalled) {
  Registry registry;
  int first = 0;
  int second = 0;
  registry.subscribe([&](const SnapshotPtr&) { ++first; });
  registry.subscribe([&](const SnapshotPtr&) { ++second; });
  registry.update("a", state({service("bar", "httpbin")}));
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 2);
}

// State number i: the port number and the alias address both encode i, and
// every update changes them, so version i + 1 must carry exactly state i.
SourceState numbered_state(int i) {
  const auto port = static_cast<uint16_t>(i + 1);
  return state({service("bar", "httpbin", port)},
               {HostAlias{"h.global", {std::to_string(port)}, "", ""}});
}

bool consistent(const Snapshot& snapshot) {
  if (snapshot.services().size() != 1 || snapshot.aliases().size() != 1) return false;
  const uint64_t port = snapshot.services()[0].ports[0].number;
  return port == snapshot.version() && snapshot.aliases()[0].addresses[0] == std::to_string(port);
}

TEST(Registry, ReadersSeeConsistentMonotonicSnapshotsWhileAWriterUpdates) {
  constexpr int kUpdates = 1000;
  Registry registry;
  registry.update("a", numbered_state(0));
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  auto reader = [&] {
    uint64_t last = 0;
    while (true) {
      const bool finished = done.load();  // read before: the last snapshot is then the final one
      SnapshotPtr snapshot = registry.snapshot();
      if (!consistent(*snapshot) || snapshot->version() < last) ++bad;
      last = snapshot->version();
      if (finished) break;
    }
    if (last != kUpdates) ++bad;
  };
  std::thread reader1(reader);
  std::thread reader2(reader);
  for (int i = 1; i < kUpdates; ++i)
    registry.update("a", numbered_state(i));
  done = true;
  reader1.join();
  reader2.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(registry.snapshot()->version(), static_cast<uint64_t>(kUpdates));
}

// A change to one service shares the rest with the snapshot before it, so
// that the route table and the zone can skip them.
TEST(Registry, AnUnchangedServiceKeepsItsSharedCopy) {
  Registry registry;
  const std::vector<HostAlias> aliases{{"a.global", {"240.0.0.1"}, "", ""}};
  registry.update("a", state({service("ns", "one"), service("ns", "two")}, aliases));
  const SnapshotPtr first = registry.snapshot();
  registry.update("a", state({service("ns", "one"), service("ns", "two", 81)}, aliases));
  const SnapshotPtr second = registry.snapshot();
  ASSERT_EQ(second->version(), 2u);
  EXPECT_EQ(second->services().pointers()[0], first->services().pointers()[0]);
  EXPECT_NE(second->services().pointers()[1], first->services().pointers()[1]);
  EXPECT_EQ(second->services()[1].ports[0].number, 81);
  EXPECT_EQ(second->shared_aliases(), first->shared_aliases()) << "equal aliases: one object";
}

TEST(Registry, ASharingSourceKeepsItsPointersAndTheirOrder) {
  Registry registry;
  const auto one = std::make_shared<const Service>(service("ns", "one"));
  const auto two = std::make_shared<const Service>(service("ns", "two"));
  registry.update_shared("a", SharedSourceState{{two, one}, {}});
  registry.update("b", state({service("ns", "one", 99)}));  // later source: dropped
  const SnapshotPtr snapshot = registry.snapshot();
  ASSERT_EQ(snapshot->services().size(), 2u);
  EXPECT_EQ(snapshot->services().pointers()[0], one);
  EXPECT_EQ(snapshot->services().pointers()[1], two);
  EXPECT_EQ(registry.stats().conflicts, 1u);
  registry.update_shared("a", SharedSourceState{{one, two}, {}});
  EXPECT_EQ(registry.snapshot(), snapshot) << "the same pointers: no change, no publish";
}

}  // namespace
}  // namespace meshgate::discovery
