// The /stats/prometheus page: every counter of the gateway, gathered into
// one plain struct off the data path, then written in the Prometheus text
// format. Names follow the Prometheus conventions: meshgate_ prefix, _total
// on counters, seconds and bytes as base units.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "discovery/kubernetes/kube_source.h"
#include "discovery/xds/xds_source.h"
#include "dns-global/stats.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/stats.h"
#include "net/http/http_server.h"

namespace meshgate::admin {

struct MetricsInput {
  std::array<gateway::StatsSnapshot, gateway::kListenerKindCount> listeners;
  std::map<std::string, gateway::RouteStatsSnapshot, std::less<>> routes;
  uint64_t ejected_endpoints = 0;          // now
  uint64_t open_connections = 0;           // all listeners, against limits.max_connections
  uint64_t effective_max_connections = 0;  // min(max_connections, descriptor budget / 2)
  uint64_t descriptor_budget = 0;          // what the data path may hold
  uint64_t descriptors_in_use = 0;         // sockets and splice pipes of the data path
  uint64_t refused_loopback = 0;           // endpoints never dialled, in the current routes
  uint64_t refused_self = 0;
  uint64_t snapshot_version = 0;
  uint64_t registry_publishes = 0;
  uint64_t registry_conflicts = 0;
  uint64_t file_reloads_ok = 0;
  uint64_t file_reloads_failed = 0;
  uint64_t config_reloads_ok = 0;
  uint64_t config_reloads_failed = 0;
  uint64_t istiod_dns_ok = 0;
  uint64_t istiod_dns_failed = 0;
  uint64_t access_log_written = 0;
  uint64_t access_log_dropped = 0;
  bool ready = false;
  bool draining = false;
  std::map<std::string, net::http::HttpServerStats, std::less<>> http;  // by server name
  std::optional<dns::DnsStatsSnapshot> dns;                             // when the DNS server runs
  std::optional<discovery::kube::KubernetesStats> kubernetes;  // when discovery.kubernetes runs
  std::optional<discovery::xds::XdsSourceStats> xds;           // when discovery.xds runs
};

std::string render_metrics(const MetricsInput& input);

}  // namespace meshgate::admin
