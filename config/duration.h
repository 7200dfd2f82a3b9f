// Durations in the config: "250ms", "10s", "1m30s", "1h".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "config/config.h"

namespace meshgate::config {

// The largest duration any key accepts. Far beyond any sane timeout, and small
// enough that converting to nanoseconds for a timer cannot overflow.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365);

struct DurationParse {
  Duration value{0};
  std::string error;  // empty on success
  bool ok() const { return error.empty(); }
};

// One or more <decimal integer><unit> parts, units ms, s, m, h, summed.
// Zero is accepted here; keys that need a positive value check that.
DurationParse parse_duration(std::string_view text);

// The shortest text parse_duration reads back as `d` ("1m30s", "0s").
// Negative durations are formatted with a leading '-'.
std::string format_duration(Duration d);

}  // namespace meshgate::config
