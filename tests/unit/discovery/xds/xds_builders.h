// Envoy resources shaped as istiod sends them to an east-west gateway, for
// the xds tests. The shapes follow Istio's pilot/pkg/networking/core/
// (gateway.go builtAutoPassthroughFilterChains and buildGatewayListener,
// cluster.go buildOutboundSniDnatClusters) and pilot/pkg/xds/endpoints/
// endpoint_builder.go.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"

namespace meshgate::discovery::xds::testing {

// The ALPNs istiod requires on an AUTO_PASSTHROUGH chain (listener.go allIstioMtlsALPNs).
inline const std::vector<std::string> kIstioAlpns = {
    "istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"};

inline envoy::config::listener::v3::Filter tcp_proxy_filter(std::string_view cluster) {
  envoy::extensions::filters::network::tcp_proxy::v3::TcpProxy proxy;
  proxy.set_stat_prefix(std::string(cluster));
  proxy.set_cluster(std::string(cluster));
  envoy::config::listener::v3::Filter filter;
  filter.set_name("envoy.filters.network.tcp_proxy");
  filter.mutable_typed_config()->PackFrom(proxy);
  return filter;
}

inline envoy::config::listener::v3::Filter named_filter(std::string_view name) {
  envoy::config::listener::v3::Filter filter;
  filter.set_name(std::string(name));
  return filter;
}

// One AUTO_PASSTHROUGH chain: SNI = cluster name, Istio ALPNs, istio.stats then tcp_proxy.
inline envoy::config::listener::v3::FilterChain passthrough_chain(std::string_view sni) {
  envoy::config::listener::v3::FilterChain chain;
  chain.mutable_filter_chain_match()->add_server_names(std::string(sni));
  for (const std::string& alpn : kIstioAlpns)
    chain.mutable_filter_chain_match()->add_application_protocols(alpn);
  *chain.add_filters() = named_filter("istio.stats");
  *chain.add_filters() = tcp_proxy_filter(sni);
  return chain;
}

inline envoy::config::listener::v3::Listener listener(
    uint16_t port, const std::vector<envoy::config::listener::v3::FilterChain>& chains) {
  envoy::config::listener::v3::Listener out;
  out.set_name("0.0.0.0_" + std::to_string(port));
  out.mutable_address()->mutable_socket_address()->set_address("0.0.0.0");
  out.mutable_address()->mutable_socket_address()->set_port_value(port);
  out.add_listener_filters()->set_name("envoy.filters.listener.tls_inspector");
  for (const auto& chain : chains)
    *out.add_filter_chains() = chain;
  return out;
}

inline envoy::config::cluster::v3::Cluster eds_cluster(std::string_view name) {
  envoy::config::cluster::v3::Cluster out;
  out.set_name(std::string(name));
  out.set_type(envoy::config::cluster::v3::Cluster::EDS);
  out.mutable_eds_cluster_config()->set_service_name(std::string(name));
  out.mutable_connect_timeout()->set_seconds(10);
  out.set_lb_policy(envoy::config::cluster::v3::Cluster::LEAST_REQUEST);
  return out;
}

// An endpoint as istiod builds one: healthy, weight 1, tlsMode istio when mTLS-capable.
inline void add_endpoint(envoy::config::endpoint::v3::LocalityLbEndpoints& locality,
                         std::string_view ip, uint32_t port, bool mtls = true) {
  auto* lb = locality.add_lb_endpoints();
  auto* socket = lb->mutable_endpoint()->mutable_address()->mutable_socket_address();
  socket->set_address(std::string(ip));
  socket->set_port_value(port);
  lb->set_health_status(envoy::config::core::v3::HEALTHY);
  lb->mutable_load_balancing_weight()->set_value(1);
  if (mtls) {
    (*(*lb->mutable_metadata()->mutable_filter_metadata())["envoy.transport_socket_match"]
          .mutable_fields())["tlsMode"]
        .set_string_value("istio");
  }
}

inline envoy::config::endpoint::v3::ClusterLoadAssignment assignment(
    std::string_view cluster, const std::vector<std::pair<std::string, uint32_t>>& endpoints) {
  envoy::config::endpoint::v3::ClusterLoadAssignment out;
  out.set_cluster_name(std::string(cluster));
  auto* locality = out.add_endpoints();
  locality->mutable_locality()->set_region("r1");
  for (const auto& [ip, port] : endpoints)
    add_endpoint(*locality, ip, port);
  return out;
}

template <typename Message>
envoy::service::discovery::v3::DiscoveryResponse response(std::string_view type_url,
                                                          std::string_view version,
                                                          std::string_view nonce,
                                                          const std::vector<Message>& resources) {
  envoy::service::discovery::v3::DiscoveryResponse out;
  out.set_type_url(std::string(type_url));
  out.set_version_info(std::string(version));
  out.set_nonce(std::string(nonce));
  for (const Message& resource : resources)
    out.add_resources()->PackFrom(resource);
  return out;
}

}  // namespace meshgate::discovery::xds::testing
