// Checks over the plain Config structs, without any YAML: the loader runs them
// after reading a document, and they are usable on a Config built in code.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/loader.h"

namespace meshgate::config {

struct IntRange {
  int64_t min;
  int64_t max;
};

inline constexpr IntRange kPortRange{0, 65'535};
inline constexpr IntRange kUpstreamPortRange{1, 65'535};  // an upstream has no port 0
inline constexpr IntRange kWorkersRange{0, 256};
inline constexpr IntRange kConnectAttemptsRange{1, 16};
inline constexpr IntRange kMaxClientHelloBytesRange{512, 1 << 20};
inline constexpr IntRange kMaxConnectionsRange{1, 10'000'000};
inline constexpr IntRange kBufferBytesRange{1024, 16 << 20};
inline constexpr IntRange kConsecutiveFailuresRange{0, 1000};
inline constexpr IntRange kMaxTcpConnectionsRange{1, 65'536};
inline constexpr IntRange kHttpConnectionsRange{1, 65'536};
inline constexpr IntRange kHttpConnectionsPerClientRange{0, 65'536};
inline constexpr IntRange kMaxConnectionsPerClientRange{0, 10'000'000};
inline constexpr IntRange kKeepaliveProbesRange{1, 127};  // TCP_KEEPCNT's own limit
inline constexpr IntRange kDnsAttemptsRange{1, 10};
// dns.rate_limit. Prefixes of length 0 are refused: one bucket for every
// client would let anyone silence the server for everyone. A tracked prefix
// costs about 100 bytes: at most some 100 MiB.
inline constexpr IntRange kResponsesPerSecondRange{0, 1'000'000};
inline constexpr IntRange kRateLimitBurstRange{0, 1'000'000};
inline constexpr IntRange kSlipRange{0, 10};
inline constexpr IntRange kIpv4PrefixRange{1, 32};
inline constexpr IntRange kIpv6PrefixRange{1, 128};
inline constexpr IntRange kMaxTrackedPrefixesRange{16, 1'048'576};

// "out of range (1..16)"; `what` names the value, e.g. "port".
std::string range_message(IntRange range, std::string_view what = "value");

// Each check returns the problem, or nothing when the value is fine.
std::optional<std::string> check_range(int64_t value, IntRange range);
std::optional<std::string> check_ip_address(std::string_view address);
std::optional<std::string> check_network_name(std::string_view name);
// A Kubernetes label value ("" allowed); `what` names it in the message.
std::optional<std::string> check_label_value(std::string_view value, std::string_view what);
std::optional<std::string> check_label_key(std::string_view key);
std::optional<std::string> check_dns_name(std::string_view name);
std::optional<std::string> check_duration(Duration d, bool allow_zero);

// The `dns` section (validate_dns.cc).
base::Errors validate_dns(const Dns& dns);
// discovery.xds, when enabled (validate_xds.cc).
base::Errors validate_xds(const XdsSource& xds);

// Two listeners bound to these addresses on one port would collide: equal
// addresses, or either is a wildcard (0.0.0.0 / ::). False if either is not
// an IP address.
bool addresses_overlap(std::string_view a, std::string_view b);

struct NamedListener {
  std::string_view name;  // key under "listeners"
  Listener Listeners::*member;
};

inline constexpr std::array<NamedListener, 8> kListenerKeys{{
    {"passthrough", &Listeners::passthrough},
    {"istiod", &Listeners::istiod},
    {"webhook", &Listeners::webhook},
    {"dns", &Listeners::dns},
    {"dns_grpc", &Listeners::dns_grpc},
    {"health", &Listeners::health},
    {"metrics", &Listeners::metrics},
    {"admin", &Listeners::admin},
}};

// One error per colliding pair, on the later listener's port.
base::Errors check_listener_ports(const Listeners& listeners);

// Every problem in `config`, each with its key path (line 0).
base::Errors validate_config(const Config& config);

}  // namespace meshgate::config
