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
