// istiod's decisions as meshgate's service model: the routes istiod gave
// this gateway (XdsState) become a discovery::SourceState, so routing, the
// .global DNS zone and the admin pages follow them unchanged.
//
// - A served chain's server name of the form outbound_.PORT_.SUBSET_.HOST is
//   a route: host HOST, port PORT, subset SUBSET, to the chain's clusters'
//   endpoints.
// - A served chain that matches any name (expose-istiod's on 15012 and
//   15017) routes to its clusters, each named outbound|PORT|SUBSET|HOST as
//   istiod names them: the service HOST, port PORT.
// - Of a cluster's endpoints only those istiod marks dialable (health
//   UNKNOWN or HEALTHY) in its best priority that has any are taken; their
//   tlsMode decides mTLS capability; their network is this gateway's (istiod
//   already sent only what the gateway's network view may reach).
// What the model cannot say is counted in TranslateStats, not guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "discovery/model.h"
#include "discovery/xds/ads_state.h"

namespace meshgate::discovery::xds {

struct TranslateStats {
  uint64_t routes = 0;               // (host, port, subset) routes made
  uint64_t unserved_chains = 0;      // chains meshgate does not serve
  uint64_t foreign_names = 0;        // server names not of the outbound_ form (wildcards too)
  uint64_t unknown_clusters = 0;     // named by a chain but not sent by CDS
  uint64_t unnamed_clusters = 0;     // a catch-all chain's cluster not named outbound|P|S|H
  uint64_t unresolved_clusters = 0;  // DNS or other types, not resolved here
  uint64_t weighted_routes = 0;  // weighted_clusters: every cluster's endpoints, each at its weight
};

struct Translated {
  SourceState state;
  TranslateStats stats;
};

Translated translate(const XdsState& state);

// "outbound|15012||istiod.istio-system.svc.cluster.local" -> port, subset, host.
struct ClusterKey {
  uint16_t port = 0;
  std::string subset;
  std::string host;
};
std::optional<ClusterKey> parse_cluster_name(std::string_view name);

}  // namespace meshgate::discovery::xds
