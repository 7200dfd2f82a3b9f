// IP literals: an IPv4 or IPv6 address as bytes, and "address[:port]" as
// configs and registry files write them. Pure; inet_pton does the reading.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace meshgate::base {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4

  bool is_wildcard() const;
  bool operator==(const IpAddress&) const = default;
};

// A TCP or UDP port: decimal 1..65535, the whole text and nothing else.
std::optional<uint16_t> parse_port(std::string_view text);

// An IPv4 or IPv6 literal, as inet_pton reads it; nothing else.
std::optional<IpAddress> parse_ip(std::string_view text);

struct IpPort {
  IpAddress address;
  uint16_t port = 0;
  bool operator==(const IpPort&) const = default;
};

// "10.0.0.10", "10.0.0.10:5353", "fd00::10", "[fd00::10]", "[fd00::10]:5353": an IP
// literal with an optional port (1..65535), else `default_port`.
std::optional<IpPort> parse_ip_port(std::string_view text, uint16_t default_port);

}  // namespace meshgate::base
