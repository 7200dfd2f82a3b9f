#include "config/suggest.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

namespace meshgate::config::detail {
namespace {

constexpr std::array<std::string_view, 3> kKnown{"address", "port", "poll_interval"};

TEST(EditDistance, CountsEdits) {
  EXPECT_EQ(edit_distance("port", "port", 2), 0u);
  EXPECT_EQ(edit_distance("prot", "port", 2), 2u);
  EXPECT_EQ(edit_distance("por", "port", 2), 1u);
  EXPECT_EQ(edit_distance("", "ab", 2), 2u);
}

TEST(EditDistance, StopsPastTheLimit) {
  EXPECT_EQ(edit_distance("abcdef", "uvwxyz", 2), 3u);
  EXPECT_EQ(edit_distance(std::string(100'000, 'a'), "port", 2), 3u);
}

TEST(ClosestKey, PrefersACaseInsensitiveMatch) {
  EXPECT_EQ(closest_key("PORT", kKnown), "port");
  EXPECT_EQ(closest_key("Poll_Interval", kKnown), "poll_interval");
}

TEST(ClosestKey, WithinTwoEditsOnly) {
  EXPECT_EQ(closest_key("adress", kKnown), "address");
  EXPECT_EQ(closest_key("pot", kKnown), "port");
  EXPECT_EQ(closest_key("poll_intervals", kKnown), "poll_interval");
  EXPECT_EQ(closest_key("hostname", kKnown), "");
}

TEST(UnknownKeyMessage, SuggestsOrLists) {
  EXPECT_EQ(unknown_key_message("adress", kKnown), "unknown key 'adress'; did you mean 'address'?");
  EXPECT_EQ(unknown_key_message("zzz", kKnown),
            "unknown key 'zzz'; valid keys: address, port, poll_interval");
}

}  // namespace
}  // namespace meshgate::config::detail
