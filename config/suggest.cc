#include "config/suggest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "config/key_path.h"

namespace meshgate::config::detail {
namespace {

constexpr size_t kMaxSuggestDistance = 2;

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

size_t length_gap(std::string_view a, std::string_view b) {
  return a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
}

}  // namespace

size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  // The distance is at least the length difference: skip the table then.
  if (length_gap(a, b) > limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    size_t row_min = row[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
      row_min = std::min(row_min, row[j]);
    }
    if (row_min > limit) return limit + 1;
  }
  return std::min(row[b.size()], limit + 1);
}

std::string_view closest_key(std::string_view key, std::span<const std::string_view> known) {
  for (const std::string_view candidate : known) {
    if (equal_ignoring_case(key, candidate)) return candidate;
  }
  std::string_view best;
  size_t best_distance = kMaxSuggestDistance + 1;
  for (const std::string_view candidate : known) {
    const size_t distance = edit_distance(key, candidate, kMaxSuggestDistance);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known) {
  const std::string_view suggestion = closest_key(key, known);
  if (!suggestion.empty()) {
    return fmt::format("unknown key {}; did you mean '{}'?", in_quotes(key), suggestion);
  }
  return fmt::format("unknown key {}; valid keys: {}", in_quotes(key), fmt::join(known, ", "));
}

}  // namespace meshgate::config::detail
