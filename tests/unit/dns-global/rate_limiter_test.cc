// The rate limiter on a clock of its own: time only moves when a test says.
#include "dns-global/rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace meshgate::dns {
namespace {

using Verdict = RateLimiter::Verdict;
using std::chrono::milliseconds;

base::IpAddress ip(std::string_view text) {
  return *base::parse_ip(text);
}

config::DnsRateLimit limit(uint32_t per_second, uint32_t burst, uint32_t slip = 0) {
  config::DnsRateLimit config;
  config.responses_per_second = per_second;
  config.burst = burst;
  config.slip = slip;
  return config;
}

class RateLimiterTest : public ::testing::Test {
 protected:
  // How many of `count` answers to `client`, all at the current time, go out.
  int answered(RateLimiter& limiter, std::string_view client, int count) {
    int out = 0;
    for (int i = 0; i < count; ++i)
      out += limiter.admit(ip(client), now_) == Verdict::kAnswer ? 1 : 0;
    return out;
  }

  RateLimiter::Clock::time_point now_{std::chrono::hours(1)};
};

TEST_F(RateLimiterTest, OffAnswersEverything) {
  RateLimiter limiter{config::DnsRateLimit{}};
  EXPECT_FALSE(limiter.enabled());
  EXPECT_EQ(answered(limiter, "192.0.2.1", 10'000), 10'000);
  EXPECT_EQ(limiter.tracked(), 0U);  // nothing remembered while off
}

TEST_F(RateLimiterTest, BurstThenDroppedThenRefilledByTime) {
  RateLimiter limiter(limit(10, 5));
  EXPECT_TRUE(limiter.enabled());
  EXPECT_EQ(answered(limiter, "192.0.2.1", 20), 5);  // the burst, then nothing
  now_ += milliseconds(100);                         // one token
  EXPECT_EQ(answered(limiter, "192.0.2.1", 20), 1);
  now_ += milliseconds(250);  // two and a half
  EXPECT_EQ(answered(limiter, "192.0.2.1", 20), 2);
  now_ += std::chrono::hours(1);  // never more than the burst
  EXPECT_EQ(answered(limiter, "192.0.2.1", 20), 5);
}

TEST_F(RateLimiterTest, BurstZeroIsOneSecondsWorth) {
  RateLimiter limiter(limit(7, 0));
  EXPECT_EQ(answered(limiter, "192.0.2.1", 100), 7);
}

TEST_F(RateLimiterTest, SteadyRateIsAnswered) {
  RateLimiter limiter(limit(100, 1));
  int out = 0;
  for (int i = 0; i < 1000; ++i) {
    now_ += milliseconds(10);
    out += limiter.admit(ip("192.0.2.1"), now_) == Verdict::kAnswer ? 1 : 0;
  }
  EXPECT_EQ(out, 1000);
}

TEST_F(RateLimiterTest, EverySlipthAnswerOverTheLimitIsSlipped) {
  RateLimiter limiter(limit(1, 2, 3));
  EXPECT_EQ(answered(limiter, "192.0.2.1", 2), 2);
  std::string seen;
  for (int i = 0; i < 9; ++i) {
    const Verdict verdict = limiter.admit(ip("192.0.2.1"), now_);
    seen += verdict == Verdict::kSlip ? 's' : verdict == Verdict::kDrop ? 'd' : 'a';
  }
  EXPECT_EQ(seen, "ddsddsdds");
}

TEST_F(RateLimiterTest, SlipOneTruncatesEveryAnswerAndZeroNone) {
  RateLimiter every(limit(1, 1, 1));
  RateLimiter none(limit(1, 1, 0));
  ASSERT_EQ(answered(every, "192.0.2.1", 1), 1);
  ASSERT_EQ(answered(none, "192.0.2.1", 1), 1);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(every.admit(ip("192.0.2.1"), now_), Verdict::kSlip);
    EXPECT_EQ(none.admit(ip("192.0.2.1"), now_), Verdict::kDrop);
  }
}

TEST_F(RateLimiterTest, ClientsInOneSlash24ShareABucketOthersDoNot) {
  RateLimiter limiter(limit(1, 4));
  EXPECT_EQ(answered(limiter, "192.0.2.1", 3), 3);
  EXPECT_EQ(answered(limiter, "192.0.2.200", 3), 1);  // the same /24
  EXPECT_EQ(answered(limiter, "192.0.3.1", 3), 3);    // the next /24
  EXPECT_EQ(answered(limiter, "10.0.0.1", 3), 3);
  EXPECT_EQ(limiter.tracked(), 3U);
}

TEST_F(RateLimiterTest, MappedIpv4IsItsIpv4Prefix) {
  RateLimiter limiter(limit(1, 2));
  EXPECT_EQ(answered(limiter, "192.0.2.1", 1), 1);
  EXPECT_EQ(answered(limiter, "::ffff:192.0.2.9", 3), 1);
  // Not the whole ::ffff:0:0/96 in one /56.
  EXPECT_EQ(answered(limiter, "::ffff:198.51.100.1", 2), 2);
}

TEST_F(RateLimiterTest, Ipv6PrefixLengthIsConfigurable) {
  RateLimiter slash56(limit(1, 2));
  EXPECT_EQ(answered(slash56, "2001:db8:0:1::1", 1), 1);
  EXPECT_EQ(answered(slash56, "2001:db8:0:ff::2", 2), 1);   // same /56
  EXPECT_EQ(answered(slash56, "2001:db8:0:100::1", 2), 2);  // the next /56
  config::DnsRateLimit config = limit(1, 2);
  config.ipv6_prefix_length = 64;
  config.ipv4_prefix_length = 32;
  RateLimiter slash64(config);
  EXPECT_EQ(answered(slash64, "2001:db8:0:1::1", 1), 1);
  EXPECT_EQ(answered(slash64, "2001:db8:0:1::2", 2), 1);  // same /64
  EXPECT_EQ(answered(slash64, "2001:db8:0:2::1", 2), 2);
  EXPECT_EQ(answered(slash64, "192.0.2.1", 2), 2);  // a /32 each
  EXPECT_EQ(answered(slash64, "192.0.2.2", 2), 2);
}

TEST_F(RateLimiterTest, FullTableForgetsTheLeastRecentlySeen) {
  config::DnsRateLimit config = limit(1, 1);
  config.max_tracked_prefixes = 3;
  RateLimiter limiter(config);
  EXPECT_EQ(answered(limiter, "10.0.1.1", 2), 1);
  EXPECT_EQ(answered(limiter, "10.0.2.1", 2), 1);
  EXPECT_EQ(answered(limiter, "10.0.3.1", 2), 1);
  EXPECT_EQ(answered(limiter, "10.0.1.1", 1), 0);  // seen again: now the most recent
  EXPECT_EQ(answered(limiter, "10.0.4.1", 1), 1);  // evicts 10.0.2.0/24
  EXPECT_EQ(limiter.tracked(), 3U);
  EXPECT_EQ(answered(limiter, "10.0.1.1", 1), 0);  // still limited: was kept
  EXPECT_EQ(answered(limiter, "10.0.2.1", 1), 1);  // forgotten: a full bucket again
}

TEST_F(RateLimiterTest, SpoofedFloodStaysWithinTheBound) {
  config::DnsRateLimit config = limit(1, 1);
  config.max_tracked_prefixes = 64;
  config.ipv4_prefix_length = 32;
  RateLimiter limiter(config);
  for (int i = 0; i < 100'000; ++i) {
    base::IpAddress address;
    address.bytes[0] = 10;
    address.bytes[1] = static_cast<uint8_t>(i >> 16);
    address.bytes[2] = static_cast<uint8_t>(i >> 8);
    address.bytes[3] = static_cast<uint8_t>(i);
    EXPECT_EQ(limiter.admit(address, now_), Verdict::kAnswer);
    ASSERT_LE(limiter.tracked(), 64U);
  }
  EXPECT_EQ(limiter.tracked(), 64U);
}

}  // namespace
}  // namespace meshgate::dns
