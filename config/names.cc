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

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

// The name part of a label key, and a non-empty label value.
bool is_qualified_name(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!is_alnum(name.front()) || !is_alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

}  // namespace

bool is_label_key(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return is_qualified_name(key);
  return sni::is_lowercase_host(key.substr(0, slash)) && is_qualified_name(key.substr(slash + 1));
}

bool is_label_value(std::string_view value) {
  return value.empty() || is_qualified_name(value);
}

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
std::optional<std::string> check_label_value(std::string_view value, std::string_view what) {
  if (is_label_value(value)) return std::nullopt;
  return "not a valid " + std::string(what) + ": " + detail::in_quotes(value) +
         " (a Kubernetes label value: up to 63 letters, digits, '-', '_' or '.', starting and "
         "ending with a letter or digit)";
}

std::optional<std::string> check_label_key(std::string_view key) {
  if (is_label_key(key)) return std::nullopt;
  return "not a valid label key: " + detail::in_quotes(key) +
         " (a name of up to 63 letters, digits, '-', '_' or '.', optionally after a DNS "
         "name prefix and '/')";
}

std::optional<std::string> check_network_name(std::string_view name) {
  return check_label_value(name, "network name");
}

}  // namespace meshgate::config
