// IP literal parsing: the config validators and discovery's registry file
// check addresses with this one function.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace meshgate::config {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  bool is_wildcard() const;
  bool operator==(const IpAddress&) const = default;
};

// An IPv4 or IPv6 literal, as inet_pton reads it; nothing else.
std::optional<IpAddress> parse_ip(std::string_view text);

}  // namespace meshgate::config
