#include "config/key_path.h"

#include <gtest/gtest.h>

namespace meshgate::config::detail {
namespace {

TEST(KeyPath, JoinsKeysAndIndices) {
  EXPECT_EQ(join_key("", "network"), "network");
  EXPECT_EQ(join_key("listeners", "dns"), "listeners.dns");
  EXPECT_EQ(join_index("discovery.files", 3), "discovery.files[3]");
}

TEST(KeyPath, ParentStripsOneStep) {
  EXPECT_EQ(parent_path("discovery.files[0].path"), "discovery.files[0]");
  EXPECT_EQ(parent_path("discovery.files[0]"), "discovery.files");
  EXPECT_EQ(parent_path("discovery"), "");
  EXPECT_EQ(parent_path(""), "");
}

TEST(KeyPath, WithinMatchesWholeSteps) {
  EXPECT_TRUE(is_within("discovery.files[0].path", "discovery.files[0]"));
  EXPECT_TRUE(is_within("discovery.files[0]", "discovery.files"));
  EXPECT_TRUE(is_within("a.b", "a.b"));
  EXPECT_TRUE(is_within("a.b", ""));
  EXPECT_FALSE(is_within("listeners.dnsx", "listeners.dns"));
  EXPECT_FALSE(is_within("a", "a.b"));
}

TEST(KeyPath, LineFallsBackToTheNearestAncestor) {
  const LineMap lines{{"listeners", 2}, {"listeners.dns", 5}};
  EXPECT_EQ(line_of(lines, "listeners.dns"), 5);
  EXPECT_EQ(line_of(lines, "listeners.dns.port"), 5);
  EXPECT_EQ(line_of(lines, "listeners.admin.port"), 2);
  EXPECT_EQ(line_of(lines, "workers"), 0);
}

TEST(KeyPath, QuotedEscapesAndCuts) {
  EXPECT_EQ(in_quotes("abc"), "'abc'");
  EXPECT_EQ(in_quotes(std::string_view("a\nb\0", 4)), "'a\\x0ab\\x00'");
  EXPECT_EQ(in_quotes(std::string(100, 'x')), "'" + std::string(64, 'x') + "...'");
}

}  // namespace
}  // namespace meshgate::config::detail
