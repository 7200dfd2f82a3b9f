// "Did you mean" for unknown keys. Internal to config/.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace meshgate::config::detail {

// Levenshtein distance; stops counting once it exceeds `limit` and then
// returns limit + 1, so a hostile long key costs nothing.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit);

// The known key `key` was probably meant to be: a case-insensitive match, or
// the closest one within edit distance 2. Empty when none is close.
std::string_view closest_key(std::string_view key, std::span<const std::string_view> known);

// "unknown key 'prot'; did you mean 'port'?" or "unknown key 'x'; valid keys: a, b".
std::string unknown_key_message(std::string_view key, std::span<const std::string_view> known);

}  // namespace meshgate::config::detail
