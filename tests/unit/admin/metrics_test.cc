#include "admin/metrics.h"

#include <gtest/gtest.h>

namespace meshgate::admin {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

MetricsInput sample_input() {
  MetricsInput in;
  gateway::StatsSnapshot& passthrough = in.listeners[index_of(gateway::ListenerKind::kPassthrough)];
  passthrough.accepted = 7;
  passthrough.active = 2;
  passthrough.hellos_parsed = 4;
  passthrough.closed[static_cast<std::size_t>(gateway::CloseReason::kNotTls)] = 1;
  passthrough.closed[static_cast<std::size_t>(gateway::CloseReason::kUnknownService)] = 3;
  in.listeners[index_of(gateway::ListenerKind::kIstiod)].connect_failures = 5;
  in.routes["outbound|8000|v1|httpbin.bar.svc.cluster.local"] = {4, 1, 100, 2000};
  in.snapshot_version = 12;
  in.config_reloads_failed = 1;
  in.ready = true;
  in.http["metrics"].requests = 3;
  return in;
}

TEST(Metrics, ConnectionsPerListenerAndReason) {
  const std::string text = render_metrics(sample_input());
  EXPECT_TRUE(has_line(text, "# TYPE meshgate_connections_accepted_total counter"));
  EXPECT_TRUE(has_line(text, "meshgate_connections_accepted_total{listener=\"passthrough\"} 7"));
  EXPECT_TRUE(has_line(text, "meshgate_connections_active{listener=\"passthrough\"} 2"));
  EXPECT_TRUE(has_line(
      text,
      "meshgate_connections_closed_total{listener=\"passthrough\",reason=\"unknown_service\"} 3"));
  EXPECT_TRUE(has_line(
      text, "meshgate_connections_closed_total{listener=\"webhook\",reason=\"drain_timeout\"} 0"));
  EXPECT_TRUE(has_line(text, "meshgate_upstream_connect_failures_total{listener=\"istiod\"} 5"));
}

TEST(Metrics, ClientHelloOutcomes) {
  const std::string text = render_metrics(sample_input());
  EXPECT_TRUE(has_line(text, "meshgate_client_hellos_total{result=\"ok\"} 4"));
  EXPECT_TRUE(has_line(text, "meshgate_client_hellos_total{result=\"not_tls\"} 1"));
  EXPECT_TRUE(has_line(text, "meshgate_client_hellos_total{result=\"timeout\"} 0"));
}

TEST(Metrics, PerRouteCountersAndBytes) {
  const std::string text = render_metrics(sample_input());
  const std::string route = "route=\"outbound|8000|v1|httpbin.bar.svc.cluster.local\"";
  EXPECT_TRUE(has_line(text, "meshgate_route_connections_total{" + route + "} 4"));
  EXPECT_TRUE(has_line(text, "meshgate_route_connections_active{" + route + "} 1"));
  EXPECT_TRUE(has_line(text, "meshgate_route_connections_closed_total{" + route + "} 3"));
  EXPECT_TRUE(
      has_line(text, "meshgate_route_bytes_total{" + route + ",direction=\"from_upstream\"} 2000"));
}

TEST(Metrics, ControlPlaneAndHistogram) {
  const std::string text = render_metrics(sample_input());
  EXPECT_TRUE(has_line(text, "meshgate_registry_snapshot_version 12"));
  EXPECT_TRUE(has_line(text, "meshgate_config_reloads_total{result=\"failed\"} 1"));
  EXPECT_TRUE(has_line(text, "meshgate_ready 1"));
  EXPECT_TRUE(has_line(text, "meshgate_http_requests_total{server=\"metrics\"} 3"));
  EXPECT_TRUE(has_line(text, "# TYPE meshgate_upstream_connect_duration_seconds histogram"));
  EXPECT_TRUE(has_line(
      text,
      "meshgate_upstream_connect_duration_seconds_bucket{listener=\"passthrough\",le=\"+Inf\"} 0"));
}

TEST(Metrics, EveryFamilyHasHelpAndTypeOnce) {
  const std::string text = render_metrics(sample_input());
  std::size_t types = 0;
  for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at) {
    const std::size_t end = text.find(' ', at + 7);
    const std::string name = text.substr(at + 7, end - at - 7);
    EXPECT_EQ(text.find("# TYPE " + name + " ", at + 1), std::string::npos) << name;
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
    ++types;
  }
  EXPECT_GT(types, 20u);
}

}  // namespace
}  // namespace meshgate::admin
