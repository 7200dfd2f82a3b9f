// Addresses, DNS names and network names.
#include "config/names.h"

#include "sni/istio_name.h"

#include <arpa/inet.h>

#include <algorithm>
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
