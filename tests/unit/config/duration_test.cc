#include "config/duration.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace meshgate::config {
namespace {

struct Good {
  const char* text;
  int64_t millis;
};

TEST(ParseDuration, ReadsEveryUnitAndSum) {
  const Good cases[] = {
      {"0s", 0},       {"0ms", 0},        {"250ms", 250},     {"10s", 10'000},
      {"1m", 60'000},  {"1h", 3'600'000}, {"1m30s", 90'000},  {"1h2m3s4ms", 3'723'004},
      {"90s", 90'000}, {"007s", 7'000},   {"1s500ms", 1'500}, {"8760h", 31'536'000'000},
  };
  for (const Good& c : cases) {
    const DurationParse parsed = parse_duration(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error;
    EXPECT_EQ(parsed.value.count(), c.millis) << c.text;
  }
}

struct Bad {
  const char* text;
  const char* error;
};

TEST(ParseDuration, RefusesWithAReason) {
  const Bad cases[] = {
      {"-5s", "negative duration"},
      {"-0s", "negative duration"},
      {"5", "missing unit: expected a duration like 250ms"},
      {"0", "missing unit"},
      {"", "expected a duration like"},
      {"s", "expected a duration like"},
      {"1.5s", "expected a duration like"},
      {"10s5", "expected a duration like"},
      {"+5s", "expected a duration like"},
      {"5 s", "expected a duration like"},
      {"1d", "unknown unit 'd'"},
      {"1sec", "unknown unit 'sec'"},
      {"1S", "unknown unit 'S'"},
      {"8760h1ms", "duration too large (max 8760h)"},
      {"99999999999999999999999999h", "duration too large"},
      {"9223372036854775807ms", "duration too large"},
  };
  for (const Bad& c : cases) {
    const DurationParse parsed = parse_duration(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_NE(parsed.error.find(c.error), std::string::npos) << c.text << ": " << parsed.error;
  }
}

TEST(ParseDuration, LongDigitRunsDoNotOverflow) {
  const std::string digits(10'000, '9');
  EXPECT_EQ(parse_duration(digits + "ms").error, "duration too large (max 8760h)");
}

TEST(FormatDuration, ShortestFormReadsBack) {
  EXPECT_EQ(format_duration(Duration{0}), "0s");
  EXPECT_EQ(format_duration(Duration{250}), "250ms");
  EXPECT_EQ(format_duration(Duration{90'000}), "1m30s");
  EXPECT_EQ(format_duration(Duration{3'600'000}), "1h");
  EXPECT_EQ(format_duration(Duration{3'723'004}), "1h2m3s4ms");
  EXPECT_EQ(format_duration(Duration{-1500}), "-1s500ms");
  for (const int64_t millis :
       std::initializer_list<int64_t>{1, 999, 1000, 59'999, 61'001, 86'400'000, 31'536'000'000}) {
    const DurationParse back = parse_duration(format_duration(Duration{millis}));
    ASSERT_TRUE(back.ok()) << millis;
    EXPECT_EQ(back.value.count(), millis);
  }
}

}  // namespace
}  // namespace meshgate::config
