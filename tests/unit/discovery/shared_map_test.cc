// SharedMap and MapPool (discovery/shared_map.h): equal maps interned once,
// a change made by copy, and maps no one holds any more forgotten.
#include "discovery/shared_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "discovery/model.h"

namespace meshgate::discovery {
namespace {

TEST(SharedMap, ReadsLikeTheMapItHolds) {
  const LabelSet labels{{"app", "httpbin"}, {"version", "v1"}};
  EXPECT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels.at("app"), "httpbin");
  EXPECT_TRUE(labels.contains("version"));
  EXPECT_EQ(labels.find("missing"), labels.end());
  EXPECT_EQ(labels, (Labels{{"app", "httpbin"}, {"version", "v1"}}));
  const LabelSet none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none, LabelSet(Labels{}));
}

TEST(SharedMap, WithCopiesAndLeavesTheOriginal) {
  const LabelSet before{{"app", "a"}};
  const LabelSet after = before.with("subset", "true");
  EXPECT_EQ(before.size(), 1u);
  EXPECT_EQ(after.at("subset"), "true");
  EXPECT_FALSE(after.shares(before));
}

TEST(MapPool, EqualMapsAreOneObject) {
  MapPool<Labels> pool;
  const LabelSet a = pool.intern(Labels{{"app", "a"}, {"version", "v1"}});
  const LabelSet b = pool.intern(Labels{{"app", "a"}, {"version", "v1"}});
  const LabelSet c = pool.intern(Labels{{"app", "a"}, {"version", "v2"}});
  EXPECT_TRUE(a.shares(b));
  EXPECT_FALSE(a.shares(c));
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_TRUE(pool.intern(Labels{}).empty());
  const LabelSet outside{{"app", "a"}, {"version", "v1"}};
  EXPECT_TRUE(pool.intern(outside).shares(a)) << "an equal map from elsewhere is swapped in";
}

TEST(MapPool, ForgetsMapsNoOneHolds) {
  MapPool<PortMap> pool;
  std::vector<PortSet> held;
  for (uint16_t port = 1; port <= 1024; ++port)
    held.push_back(pool.intern(PortMap{{"p", port}}));
  held.resize(10);  // all but 10 let go
  EXPECT_EQ(pool.size(), 1024u);
  pool.intern(PortMap{{"q", 1}});  // the pool is full: it prunes first
  EXPECT_EQ(pool.size(), 11u);
  EXPECT_EQ(held[3], (PortMap{{"p", 4}}));
  EXPECT_TRUE(pool.intern(PortMap{{"p", 4}}).shares(held[3]));
}

}  // namespace
}  // namespace meshgate::discovery
