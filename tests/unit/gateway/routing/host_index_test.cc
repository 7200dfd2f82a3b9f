// HostIndex (gateway/routing/host_index.h) against std::unordered_map: random
// inserts and erases with many collisions in a small table, each step
// checked for every key; and a copy that changes apart from its original.
#include "gateway/routing/host_index.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace meshgate::gateway {
namespace {

TEST(HostIndex, AgreesWithAMapThroughRandomInsertsAndErases) {
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i)
    keys.push_back("svc-" + std::to_string(i) + ".ns.svc.cluster.local");
  const std::vector<int> values(3);
  std::mt19937 random(7);
  HostIndex<int> index;
  std::unordered_map<std::string, const int*> want;
  for (int step = 0; step < 20000; ++step) {
    const std::string& key = keys[random() % keys.size()];
    const int* value = &values[random() % values.size()];
    if (random() % 3 == 0) {
      const auto it = want.find(key);
      const bool erases = it != want.end() && it->second == value;
      ASSERT_EQ(index.erase(key, value), erases) << step;
      if (erases) want.erase(it);
    } else {
      ASSERT_EQ(index.insert(key, value), want.emplace(key, value).second) << step;
    }
    ASSERT_EQ(index.size(), want.size()) << step;
    if (step % 97 != 0) continue;
    for (const std::string& k : keys) {
      const auto it = want.find(k);
      ASSERT_EQ(index.find(k), it == want.end() ? nullptr : it->second) << step << " " << k;
    }
  }
}

TEST(HostIndex, ACopyChangesApart) {
  const int a = 1, b = 2;
  HostIndex<int> first;
  ASSERT_TRUE(first.insert("a.global", &a));
  HostIndex<int> second = first;
  EXPECT_TRUE(second.erase("a.global", &a));
  EXPECT_TRUE(second.insert("b.global", &b));
  EXPECT_EQ(first.find("a.global"), &a);
  EXPECT_EQ(first.find("b.global"), nullptr);
  EXPECT_EQ(second.find("a.global"), nullptr);
  EXPECT_EQ(second.find("b.global"), &b);
}

TEST(HostIndex, EmptyKeysAndOtherValuesAreRefused) {
  const int a = 1, b = 2;
  HostIndex<int> index;
  EXPECT_EQ(index.find("x"), nullptr);
  EXPECT_FALSE(index.erase("x", &a));
  EXPECT_FALSE(index.insert("", &a));
  EXPECT_TRUE(index.insert("x", &a));
  EXPECT_FALSE(index.insert("x", &b)) << "the first claim stays";
  EXPECT_FALSE(index.erase("x", &b)) << "only the value it maps to erases it";
  EXPECT_EQ(index.find("x"), &a);
}

}  // namespace
}  // namespace meshgate::gateway
