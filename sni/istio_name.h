// The names Istio puts in SNI, and the ALPNs its sidecars send. Pure code.
//
//   outbound_.<port>_.<subset>_.<fqdn>   ("_" for the subset means none)
//   <name>.<namespace>.global            (older multi-network names)
//   any plain host name
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meshgate::sni {

inline constexpr std::size_t kMaxHostNameLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

enum class NameError {
  kNone,
  kEmpty,
  kTooLong,       // over 253 characters
  kEmptyLabel,    // "a..b", leading dot
  kLabelTooLong,  // a label over 63 characters
  kBadCharacter,  // outside [a-z0-9-] (case-insensitive), or a label starting/ending in '-'
  kBadPort,       // outbound_ port not 1..65535 or not decimal
  kBadSubset,     // outbound_ subset not a valid DNS label and not "_"
  kBadOutbound,   // starts with "outbound_" but is not outbound_.<port>_.<subset>_.<fqdn>
};

const char* to_string(NameError error);

struct IstioName {
  bool outbound = false;         // came as outbound_.<port>_.<subset>_.<fqdn>
  std::optional<uint16_t> port;  // set iff outbound
  std::string subset;            // empty: no subset
  std::string host;              // lower-cased, without a trailing dot
};

struct NameParse {
  NameError error = NameError::kNone;
  IstioName name;  // meaningful only when error == kNone
  bool ok() const { return error == NameError::kNone; }
};

// Parses an SNI value. A single trailing dot on the host is accepted and dropped.
NameParse parse_sni(std::string_view sni);

// Validates a host name (labels of [a-z0-9-], case-insensitive, no leading or
// trailing '-', lengths as above). Returns kNone when valid.
NameError validate_host(std::string_view host);

// A host name as Kubernetes and Istio write one: validate_host() passes and
// there is no upper-case letter. The one DNS-name check of the project
// (config and discovery use it too).
bool is_lowercase_host(std::string_view host);

// "outbound_.<port>_.<subset>_.<fqdn>"; an empty subset gives a lone "_" label
std::string format_outbound(uint16_t port, std::string_view subset, std::string_view fqdn);

// "<name>.<namespace>.global" -> "<name>.<namespace>.svc.<cluster_domain>";
// any other host is returned unchanged. Expects a lower-cased host.
std::string rewrite_global(std::string_view host, std::string_view cluster_domain);

// True for the ALPNs Istio sidecars send through an east-west gateway:
// istio, istio-peer-exchange, istio-http/1.0, istio-http/1.1, istio-h2.
bool is_istio_alpn(std::string_view protocol);

}  // namespace meshgate::sni
