#include "base/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

namespace meshgate::base {

bool IpAddress::is_wildcard() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton reads a C string: refuse an embedded NUL and anything longer
  // than the longest literal before copying.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN ||
      text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string c_string(text);
  IpAddress address;
  if (inet_pton(AF_INET, c_string.c_str(), address.bytes.data()) == 1) return address;
  address.v6 = true;
  if (inet_pton(AF_INET6, c_string.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65'535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

std::optional<IpPort> parse_ip_port(std::string_view text, uint16_t default_port) {
  if (const auto bare = parse_ip(text)) return IpPort{*bare, default_port};
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    if (close + 1 == text.size()) {  // "[fd00::10]": the default port
      const auto address = parse_ip(host);
      if (!address || !address->v6) return std::nullopt;
      return IpPort{*address, default_port};
    }
    if (text[close + 1] != ':') return std::nullopt;
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  const auto address = parse_ip(host);
  const auto port = parse_port(port_text);
  if (!address || !port) return std::nullopt;
  // "[1.2.3.4]:53" is not how an IPv4 address is written; "1::2:53" is IPv6.
  if (text.front() == '[' && !address->v6) return std::nullopt;
  if (text.front() != '[' && address->v6) return std::nullopt;
  return IpPort{*address, *port};
}

}  // namespace meshgate::base
