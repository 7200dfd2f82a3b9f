// `meshgate global-entries`: the other side of the older multi-network
// scheme (Istio's "replicated control planes"). A remote cluster or VM
// network reaches this gateway's services as <name>.<namespace>.global; for
// each one it needs a ServiceEntry (location MESH_INTERNAL, the name's VIP as
// address, this gateway's address as the only endpoint with every port mapped
// to 15443) and, where it does not use the gateway's DNS, hosts lines.
//
// The VIPs come from the same zone index the DNS server answers from (as in
// `meshgate dns-hosts`), so the ServiceEntries and the DNS always agree.
//
// Only services get entries: a registry alias that is not a service's own
// .global name carries no ports, so it is listed as a comment and skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "discovery/snapshot.h"

namespace meshgate::onboarding {

inline constexpr uint16_t kDefaultGlobalGatewayPort = 15443;

enum class GlobalEntriesFormat { kYaml, kHosts };

struct GlobalEntriesOptions {
  std::string config_file;  // "" : the embedded default
  std::string
      gateway_address;  // this gateway as the remote side reaches it: IP literal or DNS name
  uint16_t gateway_port = kDefaultGlobalGatewayPort;
  // metadata.namespace of every ServiceEntry; "" writes none, so
  // `kubectl apply -n <client namespace>` decides, as Istio's guide did.
  std::string ns;
  std::string network;  // endpoints' `network`; "" writes none
  GlobalEntriesFormat format = GlobalEntriesFormat::kYaml;
};

// The ServiceEntries (format yaml: one document per service, each after a
// `---`, ordered by host name) or the hosts lines (format hosts: the same
// names, "<address> <name>" as `meshgate dns-hosts` writes them). Both start
// with comments naming the generator and the registry snapshot version, and
// list each name skipped and why. `options.gateway_address` must have passed
// parse_global_entries_args.
std::string global_entries_text(const config::Config& config, const discovery::Snapshot& snapshot,
                                const GlobalEntriesOptions& options);

// Istio's protocol for a port name, as Istio derives it: the part before the
// first '-' (grpc-web whole), case-insensitive; an unknown or empty name is TCP.
std::string_view protocol_for_port_name(std::string_view name);

// Reads the arguments after "global-entries". Nullopt with `error` set on a
// usage error (unknown flag, missing value, missing --gateway-address, bad
// port, address, namespace, network or format).
std::optional<GlobalEntriesOptions> parse_global_entries_args(std::span<const char* const> args,
                                                              std::string& error);

const char* global_entries_usage();

// Loads the config (embedded default when none) and its registry files once,
// writes the text to `out`; problems to `err`. Returns the exit code.
int print_global_entries(const GlobalEntriesOptions& options, std::ostream& out, std::ostream& err);

}  // namespace meshgate::onboarding
