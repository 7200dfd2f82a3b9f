#include "discovery/snapshot.h"

#include <gtest/gtest.h>

namespace meshgate::discovery {
namespace {

Service service(std::string ns, std::string name) {
  Service result;
  result.ns = std::move(ns);
  result.name = std::move(name);
  return result;
}

HostAlias alias(std::string host) {
  return HostAlias{std::move(host), {}, "", ""};
}

Snapshot example() {
  return Snapshot(7,
                  {service("default", "reviews"), service("bar", "zeta"), service("bar", "httpbin"),
                   service("a", "zz")},
                  {alias("z.global"), alias("*.foo.global"), alias("a.global")});
}

TEST(Snapshot, KeepsVersion) {
  EXPECT_EQ(example().version(), 7u);
}

TEST(Snapshot, SortsServicesByNamespaceThenName) {
  Snapshot snapshot = example();
  ASSERT_EQ(snapshot.services().size(), 4u);
  EXPECT_EQ(snapshot.services()[0].ns + "/" + snapshot.services()[0].name, "a/zz");
  EXPECT_EQ(snapshot.services()[1].ns + "/" + snapshot.services()[1].name, "bar/httpbin");
  EXPECT_EQ(snapshot.services()[2].ns + "/" + snapshot.services()[2].name, "bar/zeta");
  EXPECT_EQ(snapshot.services()[3].ns + "/" + snapshot.services()[3].name, "default/reviews");
}

TEST(Snapshot, SortsAliasesByHost) {
  Snapshot snapshot = example();
  ASSERT_EQ(snapshot.aliases().size(), 3u);
  EXPECT_EQ(snapshot.aliases()[0].host, "*.foo.global");
  EXPECT_EQ(snapshot.aliases()[1].host, "a.global");
  EXPECT_EQ(snapshot.aliases()[2].host, "z.global");
}

TEST(Snapshot, FindsEveryService) {
  Snapshot snapshot = example();
  for (const Service& wanted : snapshot.services()) {
    const Service* found = snapshot.find_service(wanted.ns, wanted.name);
    ASSERT_NE(found, nullptr) << wanted.ns << "/" << wanted.name;
    EXPECT_EQ(found, &wanted);
  }
}

TEST(Snapshot, FindServiceMissesUnknownKeys) {
  Snapshot snapshot = example();
  EXPECT_EQ(snapshot.find_service("bar", "reviews"), nullptr);  // name from another namespace
  EXPECT_EQ(snapshot.find_service("default", "httpbin"), nullptr);
  EXPECT_EQ(snapshot.find_service("", ""), nullptr);
  EXPECT_EQ(snapshot.find_service("zzz", "zzz"), nullptr);  // past the end
}

TEST(Snapshot, EmptyFindsNothing) {
  Snapshot snapshot(0, {}, {});
  EXPECT_EQ(snapshot.find_service("bar", "httpbin"), nullptr);
}

}  // namespace
}  // namespace meshgate::discovery
