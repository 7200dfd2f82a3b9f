// istiod's decisions as meshgate's service model: the routes istiod gave
// this gateway (XdsState) become a discovery::SourceState, so routing, the
// .global DNS zone and the admin pages follow them unchanged.
//
// - On the passthrough listener (the port istiod's AUTO_PASSTHROUGH server
//   is on), a served chain's server name outbound_.PORT_.SUBSET_.HOST is a
//   route: host HOST, port PORT, subset SUBSET, to the chain's clusters'
//   endpoints. A subset's endpoints are those of the port's own route that
//   its cluster also has, so the route without a subset is exactly its own
//   cluster's endpoints.
// - On the istiod listeners (expose-istiod's 15012 and 15017), a served chain
//   that matches any name routes to its clusters, each named
//   outbound|PORT|SUBSET|HOST as istiod names them: the service HOST, port
//   PORT. Chains on other listeners are not routes: meshgate listens on
//   these ports only.
// - A STRICT_DNS or LOGICAL_DNS cluster's endpoints are its host names'
//   addresses from `dns` (dns_names.h).
// - Of a cluster's endpoints only those istiod marks dialable (health
//   UNKNOWN or HEALTHY) in its best priority that has any are taken; their
//   tlsMode decides mTLS capability; their network is this gateway's (istiod
//   already sent only what the gateway's network view may reach). Weighted
//   clusters share the route by their weights, each cluster's share spread
//   over its endpoints by theirs.
// What the model cannot say is counted in TranslateStats, not guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/model.h"
#include "discovery/xds/ads_state.h"
#include "discovery/xds/dns_names.h"

namespace meshgate::discovery::xds {

struct TranslateOptions {
  uint16_t passthrough_port = 15443;                 // istiod's AUTO_PASSTHROUGH listener
  std::vector<uint16_t> istiod_ports{15012, 15017};  // expose-istiod's listeners
  std::string cluster_domain = "cluster.local";
};

struct TranslateStats {
  uint64_t routes = 0;                 // (host, port, subset) routes made
  uint64_t unserved_chains = 0;        // chains meshgate does not serve
  uint64_t foreign_names = 0;          // server names not of the outbound_ form (wildcards too)
  uint64_t unknown_clusters = 0;       // named by a chain but not sent by CDS
  uint64_t unnamed_clusters = 0;       // a catch-all chain's cluster not named outbound|P|S|H
  uint64_t unresolved_clusters = 0;    // types meshgate cannot resolve (ORIGINAL_DST, custom)
  uint64_t dns_unanswered = 0;         // DNS cluster host names not answered yet
  uint64_t weighted_routes = 0;        // routes over weighted_clusters
  uint64_t other_listener_chains = 0;  // chains on listeners meshgate does not serve
  uint64_t subset_outside_route = 0;   // subset endpoints the port's own route does not have
};

struct Translated {
  SourceState state;
  TranslateStats stats;
};

// `dns`: the answers for the state's DNS clusters (dns_names.h); without
// them those clusters have no endpoints.
Translated translate(const XdsState& state, const TranslateOptions& options = {},
                     const DnsAnswers* dns = nullptr);

// "outbound|15012||istiod.istio-system.svc.cluster.local" -> port, subset, host.
struct ClusterKey {
  uint16_t port = 0;
  std::string subset;
  std::string host;
};
std::optional<ClusterKey> parse_cluster_name(std::string_view name);

}  // namespace meshgate::discovery::xds
