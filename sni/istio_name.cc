#include "sni/istio_name.h"

#include <algorithm>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshgate::sni {
namespace {

// Istio's BuildDNSSrvSubsetKey: direction + "_." + port + "_." + subset + "_." + host.
// An empty subset therefore shows up as a lone "_" label.
constexpr std::string_view kOutboundDirection = "outbound";
constexpr std::string_view kOutboundPrefix = "outbound_";
constexpr std::size_t kMaxPortDigits = 5;
constexpr uint32_t kMaxPort = 65535;

constexpr std::array<std::string_view, 5> kIstioAlpns = {
    "istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2",
};

// ASCII only: host names are ASCII on the wire, and std::tolower is locale-dependent.
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_alnum(char c) {
  const char l = lower(c);
  return (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9');
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = lower(c);
  return out;
}

// One DNS label: 1..63 of [A-Za-z0-9-], alphanumeric at both ends.
NameError label_error(std::string_view label) {
  if (label.empty()) return NameError::kEmptyLabel;
  if (label.size() > kMaxLabelLength) return NameError::kLabelTooLong;
  if (label.front() == '-' || label.back() == '-') return NameError::kBadCharacter;
  for (char c : label) {
    if (!is_alnum(c) && c != '-') return NameError::kBadCharacter;
  }
  return NameError::kNone;
}

// Decimal 1..65535, digits only, no sign and no leading zero.
std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > kMaxPortDigits || text.front() == '0') return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > kMaxPort) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// Takes one "<text>_." label off the front of `rest` and returns <text>;
// nullopt (leaving `rest` alone) when the next label does not end in '_'.
std::optional<std::string_view> take_tagged_label(std::string_view& rest) {
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || rest[dot - 1] != '_') return std::nullopt;
  const std::string_view text = rest.substr(0, dot - 1);
  rest.remove_prefix(dot + 1);
  return text;
}

NameParse failure(NameError error) {
  NameParse result;
  result.error = error;
  return result;
}

// `sni` starts with "outbound_" (any case) and has had its trailing dot removed.
NameParse parse_outbound(std::string_view sni) {
  std::string_view rest = sni;
  const auto direction = take_tagged_label(rest);
  if (!direction || !iequals(*direction, kOutboundDirection)) {
    return failure(NameError::kBadOutbound);
  }
  const auto port_text = take_tagged_label(rest);
  if (!port_text) return failure(NameError::kBadOutbound);
  const auto subset = take_tagged_label(rest);
  if (!subset) return failure(NameError::kBadOutbound);

  const auto port = parse_port(*port_text);
  if (!port) return failure(NameError::kBadPort);
  if (!subset->empty() && label_error(*subset) != NameError::kNone) {
    return failure(NameError::kBadSubset);
  }
  if (const NameError error = validate_host(rest); error != NameError::kNone) {
    return failure(error);
  }
  NameParse result;
  result.name.outbound = true;
  result.name.port = *port;
  result.name.subset = to_lower(*subset);
  result.name.host = to_lower(rest);
  return result;
}

NameParse parse_plain(std::string_view sni) {
  if (const NameError error = validate_host(sni); error != NameError::kNone) {
    return failure(error);
  }
  NameParse result;
  result.name.host = to_lower(sni);
  return result;
}

}  // namespace

const char* to_string(NameError error) {
  switch (error) {
    case NameError::kNone:
      return "none";
    case NameError::kEmpty:
      return "empty";
    case NameError::kTooLong:
      return "too_long";
    case NameError::kEmptyLabel:
      return "empty_label";
    case NameError::kLabelTooLong:
      return "label_too_long";
    case NameError::kBadCharacter:
      return "bad_character";
    case NameError::kBadPort:
      return "bad_port";
    case NameError::kBadSubset:
      return "bad_subset";
    case NameError::kBadOutbound:
      return "bad_outbound";
  }
  return "unknown";
}

NameParse parse_sni(std::string_view sni) {
  if (!sni.empty() && sni.back() == '.') sni.remove_suffix(1);
  if (sni.size() >= kOutboundPrefix.size() &&
      iequals(sni.substr(0, kOutboundPrefix.size()), kOutboundPrefix)) {
    return parse_outbound(sni);
  }
  return parse_plain(sni);
}

NameError validate_host(std::string_view host) {
  if (host.empty()) return NameError::kEmpty;
  if (host.size() > kMaxHostNameLength) return NameError::kTooLong;
  std::string_view rest = host;
  while (true) {
    const std::size_t dot = rest.find('.');
    if (const NameError error = label_error(rest.substr(0, dot)); error != NameError::kNone) {
      return error;
    }
    if (dot == std::string_view::npos) return NameError::kNone;
    rest.remove_prefix(dot + 1);
  }
}

std::string format_outbound(uint16_t port, std::string_view subset, std::string_view fqdn) {
  // Five characters always hold a uint16_t, so to_chars cannot fail here.
  std::array<char, kMaxPortDigits> digits{};
  const char* end = std::to_chars(digits.data(), digits.data() + digits.size(), port).ptr;
  const std::string_view port_text(digits.data(), static_cast<std::size_t>(end - digits.data()));

  std::string out;
  out.reserve(kOutboundPrefix.size() + port_text.size() + subset.size() + fqdn.size() + 5);
  out.append(kOutboundPrefix).append(".").append(port_text).append("_.");
  out.append(subset).append("_.").append(fqdn);
  return out;
}

std::string rewrite_global(std::string_view host, std::string_view cluster_domain) {
  const std::size_t first_dot = host.find('.');
  if (first_dot == std::string_view::npos || first_dot == 0) return std::string(host);
  const std::string_view after_name = host.substr(first_dot + 1);
  const std::size_t second_dot = after_name.find('.');
  if (second_dot == std::string_view::npos || second_dot == 0) return std::string(host);
  if (after_name.substr(second_dot + 1) != "global") return std::string(host);

  const std::string_view name_and_namespace = host.substr(0, first_dot + 1 + second_dot);
  std::string out;
  out.reserve(name_and_namespace.size() + 5 + cluster_domain.size());
  out.append(name_and_namespace).append(".svc.").append(cluster_domain);
  return out;
}

bool is_istio_alpn(std::string_view protocol) {
  for (const std::string_view known : kIstioAlpns) {
    if (protocol == known) return true;
  }
  return false;
}

bool is_lowercase_host(std::string_view host) {
  return validate_host(host) == NameError::kNone &&
         std::none_of(host.begin(), host.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

}  // namespace meshgate::sni
