#include "admin/metrics.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "base/prometheus.h"
#include "discovery/kubernetes/kube_metrics.h"
#include "discovery/xds/xds_metrics.h"

namespace meshgate::admin {
namespace {

using Type = base::PrometheusWriter::Type;

// A ClientHello outcome and the close reason that counts it.
struct HelloOutcome {
  std::string_view result;
  gateway::CloseReason reason;
};

constexpr std::array<HelloOutcome, 5> kHelloFailures{{
    {"not_tls", gateway::CloseReason::kNotTls},
    {"malformed", gateway::CloseReason::kHelloMalformed},
    {"too_large", gateway::CloseReason::kHelloTooLarge},
    {"timeout", gateway::CloseReason::kHelloTimeout},
    {"client_closed", gateway::CloseReason::kClientClosedEarly},
}};

// One sample per listener of a per-listener counter or gauge.
template <typename Get>
void per_listener(base::PrometheusWriter& out, std::string_view name, Type type,
                  std::string_view help, const MetricsInput& input, Get get) {
  out.family(name, type, help);
  for (gateway::ListenerKind kind : gateway::kAllListenerKinds)
    out.sample(name, {{"listener", to_string(kind)}}, get(input.listeners[index_of(kind)]));
}

void write_connections(base::PrometheusWriter& out, const MetricsInput& in) {
  per_listener(out, "meshgate_connections_accepted_total", Type::kCounter,
               "Connections accepted, by listener.", in,
               [](const gateway::StatsSnapshot& s) { return s.accepted; });
  per_listener(out, "meshgate_connections_active", Type::kGauge, "Connections open now.", in,
               [](const gateway::StatsSnapshot& s) { return s.active; });
  out.family("meshgate_connections_closed_total", Type::kCounter,
             "Connections closed, by listener and reason (completed, or why it was dropped).");
  for (gateway::ListenerKind kind : gateway::kAllListenerKinds) {
    for (gateway::CloseReason reason : gateway::all_close_reasons()) {
      out.sample("meshgate_connections_closed_total",
                 {{"listener", to_string(kind)}, {"reason", to_string(reason)}},
                 in.listeners[index_of(kind)].closed_by(reason));
    }
  }
  per_listener(out, "meshgate_accept_errors_total", Type::kCounter,
               "accept() failures (e.g. out of descriptors); accepting pauses 100 ms.", in,
               [](const gateway::StatsSnapshot& s) { return s.accept_errors; });
  per_listener(out, "meshgate_bytes_received_total", Type::kCounter,
               "Bytes read from clients and relayed upstream.", in,
               [](const gateway::StatsSnapshot& s) { return s.bytes_from_client; });
  per_listener(out, "meshgate_bytes_sent_total", Type::kCounter,
               "Bytes read from upstreams and relayed to clients.", in,
               [](const gateway::StatsSnapshot& s) { return s.bytes_from_upstream; });
  out.family("meshgate_open_connections", Type::kGauge,
             "Connections open on all listeners, against limits.max_connections.");
  out.sample("meshgate_open_connections", {}, in.open_connections);
  out.family("meshgate_max_connections", Type::kGauge,
             "Connections admitted at most: limits.max_connections, or fewer when the "
             "descriptor budget holds fewer (two descriptors each).");
  out.sample("meshgate_max_connections", {}, in.effective_max_connections);
  out.family("meshgate_data_path_descriptors", Type::kGauge,
             "Descriptors the data path may hold (RLIMIT_NOFILE less the reserve for "
             "everything else) and holds now (sockets and splice pipes).");
  out.sample("meshgate_data_path_descriptors", {{"state", "budget"}}, in.descriptor_budget);
  out.sample("meshgate_data_path_descriptors", {{"state", "in_use"}}, in.descriptors_in_use);
}

void write_client_hellos(base::PrometheusWriter& out, const MetricsInput& in) {
  const gateway::StatsSnapshot& passthrough =
      in.listeners[index_of(gateway::ListenerKind::kPassthrough)];
  out.family("meshgate_client_hellos_total", Type::kCounter,
             "ClientHellos read on the passthrough listener, by outcome.");
  out.sample("meshgate_client_hellos_total", {{"result", "ok"}}, passthrough.hellos_parsed);
  for (const HelloOutcome& outcome : kHelloFailures) {
    out.sample("meshgate_client_hellos_total", {{"result", outcome.result}},
               passthrough.closed_by(outcome.reason));
  }
}

void write_upstreams(base::PrometheusWriter& out, const MetricsInput& in) {
  per_listener(out, "meshgate_upstream_connect_attempts_total", Type::kCounter,
               "Upstream connects started.", in,
               [](const gateway::StatsSnapshot& s) { return s.connect_attempts; });
  per_listener(out, "meshgate_upstream_connect_failures_total", Type::kCounter,
               "Upstream connects that failed or timed out.", in,
               [](const gateway::StatsSnapshot& s) { return s.connect_failures; });
  per_listener(out, "meshgate_upstream_first_byte_timeouts_total", Type::kCounter,
               "Upstream connects that got no byte back within timeouts.upstream_first_byte after "
               "the ClientHello (counted as connect failures too).",
               in, [](const gateway::StatsSnapshot& s) { return s.first_byte_timeouts; });
  out.family("meshgate_upstream_connect_duration_seconds", Type::kHistogram,
             "Time to connect an upstream, successful connects only.");
  for (gateway::ListenerKind kind : gateway::kAllListenerKinds) {
    const std::array<base::Label, 1> labels{{{"listener", to_string(kind)}}};
    out.histogram("meshgate_upstream_connect_duration_seconds", labels,
                  in.listeners[index_of(kind)].connect_latency);
  }
  per_listener(out, "meshgate_splice_fallbacks_total", Type::kCounter,
               "Relay directions that copied because no splice pipe could be made.", in,
               [](const gateway::StatsSnapshot& s) { return s.splice_fallbacks; });
  out.family("meshgate_relay_mode_switches_total", Type::kCounter,
             "passthrough.splice auto: relay directions that turned to splicing (to=splice) "
             "or back to copying (to=copy).");
  for (gateway::ListenerKind kind : gateway::kAllListenerKinds) {
    const gateway::StatsSnapshot& s = in.listeners[index_of(kind)];
    out.sample("meshgate_relay_mode_switches_total",
               {{"listener", to_string(kind)}, {"to", "splice"}}, s.turned_to_splice);
    out.sample("meshgate_relay_mode_switches_total",
               {{"listener", to_string(kind)}, {"to", "copy"}}, s.turned_to_copy);
  }
  per_listener(out, "meshgate_outlier_ejections_total", Type::kCounter,
               "Endpoints ejected after consecutive connect failures.", in,
               [](const gateway::StatsSnapshot& s) { return s.ejections; });
  out.family("meshgate_outlier_ejected_endpoints", Type::kGauge, "Endpoints ejected now.");
  out.sample("meshgate_outlier_ejected_endpoints", {}, in.ejected_endpoints);
  out.family("meshgate_endpoints_refused", Type::kGauge,
             "Endpoints in the current routes that are never dialled: self (one of the "
             "gateway's own listeners) or loopback (loopback, link-local or unspecified, while "
             "passthrough.allow_loopback_endpoints is off).");
  out.sample("meshgate_endpoints_refused", {{"reason", "loopback"}}, in.refused_loopback);
  out.sample("meshgate_endpoints_refused", {{"reason", "self"}}, in.refused_self);
}

void write_routes(base::PrometheusWriter& out, const MetricsInput& in) {
  out.family("meshgate_route_connections_total", Type::kCounter, "Connections routed, by route.");
  for (const auto& [route, stats] : in.routes)
    out.sample("meshgate_route_connections_total", {{"route", route}}, stats.opened);
  out.family("meshgate_route_connections_active", Type::kGauge, "Routed connections open now.");
  for (const auto& [route, stats] : in.routes)
    out.sample("meshgate_route_connections_active", {{"route", route}}, stats.active);
  out.family("meshgate_route_connections_closed_total", Type::kCounter,
             "Routed connections closed, for any reason.");
  for (const auto& [route, stats] : in.routes)
    out.sample("meshgate_route_connections_closed_total", {{"route", route}},
               stats.opened - std::min(stats.opened, stats.active));
  out.family("meshgate_route_bytes_total", Type::kCounter,
             "Bytes relayed, by route and direction.");
  for (const auto& [route, stats] : in.routes) {
    out.sample("meshgate_route_bytes_total", {{"route", route}, {"direction", "from_client"}},
               stats.bytes_from_client);
    out.sample("meshgate_route_bytes_total", {{"route", route}, {"direction", "from_upstream"}},
               stats.bytes_from_upstream);
  }
}

void write_result_pair(base::PrometheusWriter& out, std::string_view name, std::string_view help,
                       uint64_t ok, uint64_t failed) {
  out.family(name, Type::kCounter, help);
  out.sample(name, {{"result", "ok"}}, ok);
  out.sample(name, {{"result", "failed"}}, failed);
}

void write_control(base::PrometheusWriter& out, const MetricsInput& in) {
  out.family("meshgate_registry_snapshot_version", Type::kGauge,
             "Version of the registry snapshot routes are built from.");
  out.sample("meshgate_registry_snapshot_version", {}, in.snapshot_version);
  out.family("meshgate_registry_publishes_total", Type::kCounter, "Registry snapshots published.");
  out.sample("meshgate_registry_publishes_total", {}, in.registry_publishes);
  out.family("meshgate_registry_conflicts_total", Type::kCounter,
             "Services or aliases dropped because an earlier source defined them.");
  out.sample("meshgate_registry_conflicts_total", {}, in.registry_conflicts);
  write_result_pair(out, "meshgate_discovery_file_reloads_total",
                    "Registry file reloads; a failed one keeps the last good state.",
                    in.file_reloads_ok, in.file_reloads_failed);
  write_result_pair(
      out, "meshgate_config_reloads_total",
      "Config reloads (SIGHUP or file change); a failed one keeps the running config.",
      in.config_reloads_ok, in.config_reloads_failed);
  write_result_pair(out, "meshgate_istiod_dns_lookups_total",
                    "DNS lookups of istiod upstreams not found in the registry.", in.istiod_dns_ok,
                    in.istiod_dns_failed);
  out.family("meshgate_access_log_lines_total", Type::kCounter,
             "Access-log lines written, or dropped because the queue was full.");
  out.sample("meshgate_access_log_lines_total", {{"result", "written"}}, in.access_log_written);
  out.sample("meshgate_access_log_lines_total", {{"result", "dropped"}}, in.access_log_dropped);
  out.family("meshgate_ready", Type::kGauge, "1 when /healthz/ready answers 200.");
  out.sample("meshgate_ready", {}, uint64_t{in.ready});
  out.family("meshgate_draining", Type::kGauge, "1 after SIGTERM, while connections drain.");
  out.sample("meshgate_draining", {}, uint64_t{in.draining});
}

void write_http(base::PrometheusWriter& out, const MetricsInput& in) {
  out.family("meshgate_http_requests_total", Type::kCounter,
             "Requests answered by the health, metrics and admin servers.");
  for (const auto& [server, stats] : in.http)
    out.sample("meshgate_http_requests_total", {{"server", server}}, stats.requests);
  out.family("meshgate_http_rejected_total", Type::kCounter,
             "Health, metrics and admin connections closed for bad input, a timeout, or to make "
             "room for a new one (evicted: the server was full; client_cap: its client was).");
  for (const auto& [server, stats] : in.http) {
    const std::array<std::pair<std::string_view, uint64_t>, 4> reasons{{
        {"bad_request", stats.bad_requests},
        {"timeout", stats.timeouts},
        {"evicted", stats.evicted},
        {"client_cap", stats.client_cap},
    }};
    for (const auto& [reason, count] : reasons)
      out.sample("meshgate_http_rejected_total", {{"server", server}, {"reason", reason}}, count);
  }
}

}  // namespace

std::string render_metrics(const MetricsInput& input) {
  base::PrometheusWriter out;
  write_connections(out, input);
  write_client_hellos(out, input);
  write_upstreams(out, input);
  write_routes(out, input);
  write_control(out, input);
  write_http(out, input);
  if (input.dns) dns::write_dns_metrics(*input.dns, out);
  if (input.kubernetes) discovery::kube::write_kubernetes_metrics(*input.kubernetes, out);
  if (input.xds) discovery::xds::write_xds_metrics(*input.xds, out);
  return out.take();
}

}  // namespace meshgate::admin
