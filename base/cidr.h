// Address ranges in CIDR notation: the DNS server's allowed clients and its
// VIP ranges.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip.h"

namespace meshgate::base {

struct Cidr {
  IpAddress base;  // host bits are zero
  uint8_t prefix = 0;

  // Same family and the first `prefix` bits equal. An IPv4-mapped IPv6
  // address (::ffff:a.b.c.d) is matched as the IPv4 address it carries.
  bool contains(const IpAddress& address) const;
  std::string text() const;  // "10.0.0.0/8"
  bool operator==(const Cidr&) const = default;
};

// "10.0.0.0/8", "fc00::/7"; a bare address is a /32 or /128. Host bits
// after the prefix must be zero, so a typo cannot widen a range silently.
std::optional<Cidr> parse_cidr(std::string_view text);

// The address as inet_ntop writes it.
std::string to_string(const IpAddress& address);

}  // namespace meshgate::base
