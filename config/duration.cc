#include "config/duration.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>

#include "config/key_path.h"

namespace meshgate::config {
namespace {

using Millis = Duration::rep;

struct Unit {
  std::string_view name;
  Millis millis;
};

// Largest first: format_duration relies on that order.
constexpr std::array<Unit, 4> kUnits{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::string_view kExpectedForm =
    "expected a duration like 250ms, 10s, 1m30s or 1h (units ms, s, m, h)";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::optional<Millis> unit_millis(std::string_view name) {
  for (const Unit& unit : kUnits) {
    if (unit.name == name) return unit.millis;
  }
  return std::nullopt;
}

DurationParse failure(std::string message) {
  return {Duration{0}, std::move(message)};
}

// Reads the digits at the front of `text` into `value`, saturating above the
// maximum duration so that no arithmetic can overflow.
std::string_view read_number(std::string_view text, Millis& value) {
  constexpr Millis kCap = kMaxDuration.count() + 1;
  value = 0;
  size_t used = 0;
  while (used < text.size() && is_digit(text[used])) {
    value = std::min(kCap, value * 10 + (text[used] - '0'));
    ++used;
  }
  return text.substr(used);
}

std::string_view read_letters(std::string_view text, std::string_view& letters) {
  size_t used = 0;
  while (used < text.size() && is_letter(text[used]))
    ++used;
  letters = text.substr(0, used);
  return text.substr(used);
}

}  // namespace

DurationParse parse_duration(std::string_view text) {
  if (text.empty()) return failure(std::string(kExpectedForm));
  if (text.front() == '-') return failure("negative duration");
  const bool bare_number = text.find_first_not_of("0123456789") == std::string_view::npos;
  if (bare_number) return failure(fmt::format("missing unit: {}", kExpectedForm));
  const Millis limit = kMaxDuration.count();
  Millis total = 0;
  while (!text.empty()) {
    if (!is_digit(text.front())) return failure(std::string(kExpectedForm));
    Millis number = 0;
    std::string_view unit;
    text = read_letters(read_number(text, number), unit);
    if (unit.empty()) return failure(std::string(kExpectedForm));
    const std::optional<Millis> scale = unit_millis(unit);
    if (!scale) {
      return failure(fmt::format("unknown unit {}: {}", detail::in_quotes(unit), kExpectedForm));
    }
    if (number > (limit - total) / *scale) {
      return failure(fmt::format("duration too large (max {})", format_duration(kMaxDuration)));
    }
    total += number * *scale;
  }
  return {Duration{total}, {}};
}

std::string format_duration(Duration d) {
  Millis left = d.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out = "-";
    // Negating the minimum would overflow; no config holds such a value.
    left = left == std::numeric_limits<Millis>::min() ? std::numeric_limits<Millis>::max() : -left;
  }
  for (const Unit& unit : kUnits) {
    if (left >= unit.millis) {
      out += fmt::format("{}{}", left / unit.millis, unit.name);
      left %= unit.millis;
    }
  }
  return out;
}

}  // namespace meshgate::config
