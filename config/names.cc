// Addresses, DNS names and network names.
#include "config/names.h"

#include "sni/istio_name.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <string>

#include "config/key_path.h"
#include "config/validate.h"

namespace meshgate::config {

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
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (!address || port_text.empty() || error != std::errc() ||
      end != port_text.data() + port_text.size() || port == 0 || port > 65'535) {
    return std::nullopt;
  }
  // "[1.2.3.4]:53" is not how an IPv4 address is written; "1::2:53" is IPv6.
  if (text.front() == '[' && !address->v6) return std::nullopt;
  if (text.front() != '[' && address->v6) return std::nullopt;
  return IpPort{*address, static_cast<uint16_t>(port)};
}

namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

}  // namespace

// RFC 1123 labels, lowercase as Kubernetes requires of a cluster domain and of
// service hosts.
std::optional<std::string> check_dns_name(std::string_view name) {
  const bool valid = sni::is_lowercase_host(name);
  if (valid) return std::nullopt;
  return "not a valid DNS name: " + detail::in_quotes(name) +
         " (lowercase letters, digits and '-', in dot-separated labels of 1..63 characters)";
}

// A Kubernetes label value, as topology.istio.io/network is one. Empty is
// allowed: an unnamed network.
std::optional<std::string> check_network_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  const bool valid = name.size() <= 63 && is_alnum(name.front()) && is_alnum(name.back()) &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return is_alnum(c) || c == '-' || c == '_' || c == '.';
                     });
  if (valid) return std::nullopt;
  return "not a valid network name: " + detail::in_quotes(name) +
         " (a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.', starting and "
         "ending with a letter or digit)";
}

}  // namespace meshgate::config
