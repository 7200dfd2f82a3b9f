// Listeners: each filter chain's match, and whether it ends in a tcp_proxy
// meshgate can serve (a TLS passthrough to one or more clusters).
#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "discovery/xds/decode.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"

namespace meshgate::discovery::xds {
namespace {

namespace listener = envoy::config::listener::v3;
using envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy;

constexpr std::string_view kTcpProxy = "envoy.filters.network.tcp_proxy";
constexpr std::string_view kTcpProxyType =
    "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy";
// Filters that only observe (telemetry): a chain with them still serves.
constexpr std::string_view kObservers[] = {"istio.stats", "istio.metadata_exchange",
                                           "envoy.filters.network.metadata_exchange"};

struct ChainError {
  std::string field;  // under the chain
  std::string message;
};

// Matches on anything but server names, ALPN and TLS are for other kinds of
// chain than a passthrough gateway's.
std::optional<std::string> unsupported_match(const listener::FilterChainMatch& match,
                                             uint16_t port) {
  if (match.prefix_ranges_size() > 0) return "prefix_ranges";
  if (match.source_prefix_ranges_size() > 0) return "source_prefix_ranges";
  if (match.direct_source_prefix_ranges_size() > 0) return "direct_source_prefix_ranges";
  if (match.source_ports_size() > 0) return "source_ports";
  if (match.source_type() != listener::FilterChainMatch::ANY) return "source_type";
  if (match.has_destination_port() && match.destination_port().value() != port) {
    return "destination_port";
  }
  if (!match.transport_protocol().empty() && match.transport_protocol() != "tls") {
    return "transport_protocol " + match.transport_protocol().substr(0, 64);
  }
  return std::nullopt;
}

// The clusters of a tcp_proxy filter; an error when it names none or one badly.
std::optional<ChainError> read_tcp_proxy(const listener::Filter& filter, Chain& chain,
                                         const DecodeLimits& limits) {
  TcpProxy proxy;
  if (filter.typed_config().type_url() != kTcpProxyType ||
      !filter.typed_config().UnpackTo(&proxy)) {
    return ChainError{"filters.typed_config", "not a readable TcpProxy"};
  }
  if (proxy.has_weighted_clusters()) {
    const auto& weighted = proxy.weighted_clusters().clusters();
    if (weighted.empty() || static_cast<size_t>(weighted.size()) > limits.max_weighted_clusters) {
      return ChainError{"weighted_clusters",
                        fmt::format("1 to {} clusters", limits.max_weighted_clusters)};
    }
    for (const auto& cluster : weighted) {
      if (!valid_name(cluster.name(), limits.max_name_bytes)) {
        return ChainError{"weighted_clusters.name", "not a cluster name"};
      }
      if (cluster.weight() > 0) chain.clusters.push_back({cluster.name(), cluster.weight()});
    }
    if (chain.clusters.empty()) return ChainError{"weighted_clusters", "every weight is 0"};
    return std::nullopt;
  }
  if (!valid_name(proxy.cluster(), limits.max_name_bytes)) {
    return ChainError{"cluster", "not a cluster name"};
  }
  chain.clusters.push_back({proxy.cluster(), 1});
  return std::nullopt;
}

// Every filter before the last must only observe; the last must be tcp_proxy.
std::optional<ChainError> read_filters(const listener::FilterChain& proto, Chain& chain,
                                       const DecodeLimits& limits) {
  const int count = proto.filters_size();
  if (count == 0 || proto.filters(count - 1).name() != kTcpProxy) {
    chain.unserved = Unserved::kNoTcpProxy;
    chain.detail = count == 0 ? "no filter" : proto.filters(count - 1).name().substr(0, 128);
    return std::nullopt;
  }
  for (int i = 0; i + 1 < count; ++i) {
    const std::string& name = proto.filters(i).name();
    if (std::find(std::begin(kObservers), std::end(kObservers), name) != std::end(kObservers)) {
      continue;
    }
    chain.unserved = Unserved::kFilterBefore;
    chain.detail = name.substr(0, 128);
    return std::nullopt;
  }
  return read_tcp_proxy(proto.filters(count - 1), chain, limits);
}

// What the chain matches. A name or ALPN meshgate cannot match (upper case,
// over the bounds: Envoy would take it from a user's VirtualService) makes
// the chain unserved rather than refusing the whole listener.
std::optional<std::string> read_match(const listener::FilterChainMatch& match, Chain& chain,
                                      const DecodeLimits& limits) {
  if (static_cast<size_t>(match.server_names_size()) > limits.max_server_names) {
    return fmt::format("more than {} server_names", limits.max_server_names);
  }
  for (const std::string& name : match.server_names()) {
    chain.server_names.push_back(name.substr(0, 253));
    if (!valid_server_name(name)) return "server name " + name.substr(0, 64);
  }
  if (static_cast<size_t>(match.application_protocols_size()) > limits.max_alpn) {
    return fmt::format("more than {} application_protocols", limits.max_alpn);
  }
  for (const std::string& alpn : match.application_protocols()) {
    if (alpn.empty() || alpn.size() > 255) return "application_protocols: not 1..255 bytes";
    chain.alpn.push_back(alpn);
  }
  return std::nullopt;
}

std::optional<ChainError> read_chain(const listener::FilterChain& proto, uint16_t port,
                                     Chain& chain, const DecodeLimits& limits) {
  std::optional<std::string> field = read_match(proto.filter_chain_match(), chain, limits);
  if (!field) field = unsupported_match(proto.filter_chain_match(), port);
  if (field) {
    chain.unserved = Unserved::kMatchUnsupported;
    chain.detail = *field;
    return std::nullopt;
  }
  if (proto.has_transport_socket()) {
    chain.unserved = Unserved::kTlsTermination;
    chain.detail = proto.transport_socket().name().substr(0, 128);
    return std::nullopt;
  }
  return read_filters(proto, chain, limits);
}

// The port of the listener's socket address; 0 when it has none.
std::optional<uint16_t> listener_port(const listener::Listener& proto) {
  if (!proto.address().has_socket_address()) return 0;
  const auto& socket = proto.address().socket_address();
  if (socket.port_specifier_case() != socket.kPortValue || socket.port_value() == 0 ||
      socket.port_value() > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(socket.port_value());
}

}  // namespace

Decoded<Listener> decode_listener(const listener::Listener& proto, const DecodeLimits& limits) {
  const auto fail = [&](std::string field, std::string message) {
    return Decoded<Listener>{
        std::nullopt, {resource_path("listener", proto.name()) + field, 0, std::move(message)}};
  };
  if (!valid_name(proto.name(), limits.max_name_bytes)) return fail("", "not a listener name");
  const std::optional<uint16_t> port = listener_port(proto);
  if (!port) return fail(".address", "a socket address needs a port_value 1..65535");
  const int count = proto.filter_chains_size() + (proto.has_default_filter_chain() ? 1 : 0);
  if (static_cast<size_t>(count) > limits.max_filter_chains) {
    return fail(".filter_chains", fmt::format("more than {}", limits.max_filter_chains));
  }
  Listener out{proto.name(), *port, {}};
  for (int i = 0; i < count; ++i) {
    const bool fallback = i == proto.filter_chains_size();
    const listener::FilterChain& chain =
        fallback ? proto.default_filter_chain() : proto.filter_chains(i);
    const std::string where =
        fallback ? ".default_filter_chain" : fmt::format(".filter_chains[{}]", i);
    Chain& read = out.chains.emplace_back();
    read.name = chain.name().empty() ? where.substr(1) : chain.name().substr(0, 128);
    if (auto error = read_chain(chain, *port, read, limits)) {
      return fail(where + "." + error->field, std::move(error->message));
    }
  }
  return {std::move(out), {}};
}

std::string resource_path(std::string_view kind, std::string_view name) {
  std::string path(kind);
  if (!name.empty()) path += " " + std::string(name.substr(0, 128));
  return path;
}

bool valid_name(std::string_view name, size_t limit) {
  if (name.empty() || name.size() > limit) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return c > ' ' && c <= '~'; });
}

bool valid_server_name(std::string_view name) {
  return valid_name(name, 253) &&
         std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

std::string_view unserved_name(Unserved reason) {
  switch (reason) {
    case Unserved::kTlsTermination:
      return "tls_termination";
    case Unserved::kNoTcpProxy:
      return "no_tcp_proxy";
    case Unserved::kFilterBefore:
      return "filter_before_tcp_proxy";
    case Unserved::kMatchUnsupported:
      return "match_unsupported";
  }
  return "unknown";
}

}  // namespace meshgate::discovery::xds
