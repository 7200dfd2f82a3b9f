#include "discovery/names.h"

#include "base/ip.h"
#include "config/names.h"
#include "sni/istio_name.h"

namespace meshgate::discovery {

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
  return base::parse_ip(address).has_value();
}

bool is_label_key(std::string_view key) {
  return config::is_label_key(key);
}

bool is_label_value(std::string_view value) {
  return config::is_label_value(value);
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace meshgate::discovery
