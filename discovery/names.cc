#include "discovery/names.h"

#include "config/names.h"
#include "sni/istio_name.h"

#include <cstddef>

namespace meshgate::discovery {
namespace {

constexpr size_t kMaxLabel = 63;

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_alnum(char c) {
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// The name part of a label key, and a non-empty label value.
bool is_qualified_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxLabel) return false;
  if (!is_alnum(name.front()) || !is_alnum(name.back())) return false;
  for (char c : name) {
    if (!is_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

}  // namespace

bool is_dns1123_label(std::string_view name) {
  return name.find('.') == std::string_view::npos && sni::is_lowercase_host(name);
}

bool is_dns_name(std::string_view name) {
  return sni::is_lowercase_host(name);
}

bool is_host_pattern(std::string_view host) {
  if (host.starts_with("*.")) host.remove_prefix(2);
  return is_dns_name(host);
}

bool is_ip_literal(std::string_view address) {
  return config::parse_ip(address).has_value();
}

bool is_label_key(std::string_view key) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) return is_qualified_name(key);
  return is_dns_name(key.substr(0, slash)) && is_qualified_name(key.substr(slash + 1));
}

bool is_label_value(std::string_view value) {
  return value.empty() || is_qualified_name(value);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace meshgate::discovery
