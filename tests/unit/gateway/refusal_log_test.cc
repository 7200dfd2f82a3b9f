#include "gateway/refusal_log.h"

#include <gtest/gtest.h>

namespace meshgate::gateway {
namespace {

using Clock = RefusalLog::Clock;
using std::chrono::seconds;

TEST(RefusalLog, TheFirstRefusalIsReportedAtOnceTheRestAtMostOncePerInterval) {
  RefusalLog log;
  const Clock::time_point t0 = Clock::now();
  EXPECT_TRUE(log.note(ListenerKind::kPassthrough, CloseReason::kOverCapacity, t0));
  for (int i = 1; i < 1000; ++i) {
    EXPECT_FALSE(log.note(ListenerKind::kPassthrough, CloseReason::kOverCapacity, t0 + seconds(5)));
  }
  EXPECT_FALSE(log.note(ListenerKind::kIstiod, CloseReason::kNoDescriptors, t0 + seconds(9)));
  EXPECT_TRUE(log.note(ListenerKind::kIstiod, CloseReason::kNoDescriptors, t0 + seconds(10)));
  EXPECT_FALSE(log.note(ListenerKind::kIstiod, CloseReason::kNoDescriptors, t0 + seconds(11)));
  EXPECT_TRUE(log.note(ListenerKind::kIstiod, CloseReason::kNoDescriptors, t0 + seconds(100)));
}

}  // namespace
}  // namespace meshgate::gateway
