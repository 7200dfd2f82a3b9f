// Syntax checks for the names the registry carries: DNS names, Kubernetes
// label keys and values, IP literals. Pure functions, any input accepted.
#pragma once

#include <string>
#include <string_view>

namespace meshgate::discovery {

// RFC 1123 label as Kubernetes uses it: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63.
bool is_dns1123_label(std::string_view name);

// Lower-case DNS name: DNS-1123 labels joined by '.', at most 253 characters.
bool is_dns_name(std::string_view name);

// A DNS name, or "*." followed by a DNS name.
bool is_host_pattern(std::string_view host);

// An IPv4 or IPv6 literal as inet_pton reads it (no zone id, no brackets).
bool is_ip_literal(std::string_view address);

// Kubernetes label key: [prefix/]name, prefix a DNS name of at most 253
// characters, name at most 63 of [A-Za-z0-9._-] starting and ending alphanumeric.
bool is_label_key(std::string_view key);

// Kubernetes label value: empty, or a name as in the key (at most 63).
bool is_label_value(std::string_view value);

// ASCII lower case (host names compare case-insensitively).
std::string to_lower(std::string_view text);

}  // namespace meshgate::discovery
