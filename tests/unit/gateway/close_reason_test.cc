#include "gateway/close_reason.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace meshgate::gateway {
namespace {

TEST(CloseReason, EveryReasonIsListedOnceWithAUniqueName) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < kCloseReasonCount; ++i) {
    EXPECT_EQ(static_cast<std::size_t>(all_close_reasons()[i]), i);
    const std::string name = to_string(all_close_reasons()[i]);
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kCloseReasonCount);
  EXPECT_STREQ(to_string(CloseReason::kAlpnMissing), "alpn_missing");
  EXPECT_STREQ(to_string(CloseReason::kNoDescriptors), "no_descriptors");
}

}  // namespace
}  // namespace meshgate::gateway
