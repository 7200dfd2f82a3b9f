// Reconnect backoff: attempt n waits in [d/2, d], d = min(initial x 2^n, max).
#include "discovery/xds/backoff.h"

#include <gtest/gtest.h>

namespace meshgate::discovery::xds {
namespace {

using std::chrono::milliseconds;

TEST(XdsBackoff, EachAttemptWaitsWithinHalfToAllOfADoublingCeiling) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Backoff backoff(milliseconds(100), milliseconds(1'000), seed);
    for (int64_t ceiling : {100, 200, 400, 800, 1'000, 1'000}) {
      const milliseconds wait = backoff.next();
      EXPECT_GE(wait.count(), ceiling / 2) << "seed " << seed;
      EXPECT_LE(wait.count(), ceiling) << "seed " << seed;
    }
  }
}

TEST(XdsBackoff, ResetStartsFromTheInitialCeilingAgain) {
  Backoff backoff(milliseconds(100), milliseconds(10'000), 7);
  for (int i = 0; i < 5; ++i)
    backoff.next();
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

// Gateways that lost istiod together do not come back together.
TEST(XdsBackoff, DifferentSeedsSpreadTheWaits) {
  Backoff a(milliseconds(1'000), milliseconds(30'000), 1);
  Backoff b(milliseconds(1'000), milliseconds(30'000), 2);
  bool differ = false;
  for (int i = 0; i < 5; ++i)
    differ = differ || a.next() != b.next();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace meshgate::discovery::xds
