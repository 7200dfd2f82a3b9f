// CIDR ranges.
#include "base/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace meshgate::base {

namespace {

bool prefix_bits_equal(const uint8_t* a, const uint8_t* b, unsigned bits) {
  for (unsigned byte = 0; bits > 0; ++byte) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<uint8_t>(0xff << (8 - take));
    if ((a[byte] & mask) != (b[byte] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool host_bits_zero(const IpAddress& address, unsigned prefix) {
  const unsigned total = address.v6 ? 128 : 32;
  for (unsigned bit = prefix; bit < total; ++bit) {
    if (address.bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

bool is_v4_mapped(const IpAddress& address) {
  for (int i = 0; i < 10; ++i) {
    if (address.bytes[i] != 0) return false;
  }
  return address.bytes[10] == 0xff && address.bytes[11] == 0xff;
}

}  // namespace

bool Cidr::contains(const IpAddress& address) const {
  if (!base.v6 && address.v6 && is_v4_mapped(address)) {
    return prefix_bits_equal(base.bytes.data(), address.bytes.data() + 12, prefix);
  }
  if (base.v6 != address.v6) return false;
  return prefix_bits_equal(base.bytes.data(), address.bytes.data(), prefix);
}

std::string Cidr::text() const {
  return to_string(base) + "/" + std::to_string(prefix);
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  const auto address = parse_ip(text.substr(0, slash));
  if (!address) return std::nullopt;
  const unsigned max_prefix = address->v6 ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        prefix > max_prefix) {
      return std::nullopt;
    }
  }
  if (!host_bits_zero(*address, prefix)) return std::nullopt;
  return Cidr{*address, static_cast<uint8_t>(prefix)};
}

std::string to_string(const IpAddress& address) {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), buffer, sizeof buffer);
  return buffer;
}

}  // namespace meshgate::base
