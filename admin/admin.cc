#include "admin/admin.h"

#include <algorithm>
#include <string_view>

#include "admin/admin_json.h"
#include "sni/istio_name.h"

namespace meshgate::admin {
namespace {

constexpr const char* kJson = "application/json";

bool readable(const net::http::HttpRequest& request) {
  return request.method == "GET" || request.method == "HEAD";
}

net::http::HttpResponse text(unsigned status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

net::http::HttpResponse json(const nlohmann::json& value) {
  // Registry strings may hold invalid UTF-8: replace it rather than throw.
  return {200, kJson, value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"};
}

// "outbound|8000|v1|httpbin.bar.svc.cluster.local" -> its Istio SNI.
std::string sni_of(const std::string& cluster_name) {
  std::vector<std::string_view> parts;
  std::string_view rest = cluster_name;
  for (std::size_t bar; (bar = rest.find('|')) != std::string_view::npos;) {
    parts.push_back(rest.substr(0, bar));
    rest.remove_prefix(bar + 1);
  }
  parts.push_back(rest);
  uint16_t port = 0;
  if (parts.size() != 4 || parts[0] != "outbound") return "";
  for (char c : parts[1])
    port = static_cast<uint16_t>(port * 10 + (c - '0'));
  return sni::format_outbound(port, parts[2], parts[3]);
}

// Only for a cluster that lost endpoints to the target guard.
void add_refused(nlohmann::json& entry, const gateway::Cluster& cluster) {
  nlohmann::json refused = nlohmann::json::object();
  for (gateway::TargetRefusal reason :
       {gateway::TargetRefusal::kLoopback, gateway::TargetRefusal::kSelf}) {
    const uint32_t n = cluster.refused[static_cast<std::size_t>(reason)];
    if (n > 0) refused[to_string(reason)] = n;
  }
  if (!refused.empty()) entry["refused_endpoints"] = std::move(refused);
}

nlohmann::json endpoints_json(const gateway::Cluster& cluster, const AdminView& view) {
  nlohmann::json out = nlohmann::json::array();
  for (const gateway::UpstreamEndpoint& endpoint : cluster.endpoints) {
    const auto ejected = std::find_if(view.ejected.begin(), view.ejected.end(),
                                      [&](const auto& e) { return e.address == endpoint.address; });
    nlohmann::json entry{{"address", endpoint.address.address().to_string()},
                         {"port", endpoint.address.port()},
                         {"weight", endpoint.weight},
                         {"health", ejected == view.ejected.end() ? "healthy" : "ejected"}};
    if (ejected != view.ejected.end()) {
      entry["ejected_for_ms"] =
          std::chrono::duration_cast<std::chrono::milliseconds>(ejected->until - view.now).count();
      entry["times_ejected"] = ejected->times_ejected;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

const char* to_string(Readiness readiness) {
  switch (readiness) {
    case Readiness::kStarting:
      return "starting";
    case Readiness::kReady:
      return "ready";
    case Readiness::kDraining:
      return "draining";
  }
  return "unknown";
}

net::http::HttpResponse health_response(const net::http::HttpRequest& request,
                                        Readiness readiness) {
  const std::string_view path = target_path(request.target);
  if (path != "/healthz/ready" && path != "/healthz/live") return text(404, "not found");
  if (!readable(request)) return text(405, "method not allowed");
  if (path == "/healthz/live") return text(200, "live");
  return text(readiness == Readiness::kReady ? 200 : 503, to_string(readiness));
}

nlohmann::json clusters_json(const AdminView& view) {
  nlohmann::json clusters = nlohmann::json::array();
  if (view.routes && view.routes->table) {
    for (const gateway::Cluster* listed : view.routes->table->clusters()) {
      const gateway::Cluster& cluster = *listed;
      nlohmann::json entry{{"name", cluster.name},
                           {"listener", to_string(gateway::ListenerKind::kPassthrough)},
                           {"sni", sni_of(cluster.name)},
                           {"endpoints", endpoints_json(cluster, view)}};
      add_refused(entry, cluster);
      clusters.push_back(std::move(entry));
    }
  }
  for (gateway::ListenerKind kind :
       {gateway::ListenerKind::kIstiod, gateway::ListenerKind::kWebhook}) {
    if (!view.routes || !view.routes->upstream(kind)) continue;
    const gateway::Cluster& cluster = *view.routes->upstream(kind);
    nlohmann::json entry{{"name", cluster.name},
                         {"listener", to_string(kind)},
                         {"sni", nullptr},
                         {"endpoints", endpoints_json(cluster, view)}};
    add_refused(entry, cluster);
    clusters.push_back(std::move(entry));
  }
  return {{"routes_version", view.routes ? view.routes->version : 0}, {"clusters", clusters}};
}

net::http::HttpResponse admin_response(const net::http::HttpRequest& request,
                                       const AdminView& view) {
  const std::string_view path = target_path(request.target);
  if (!readable(request)) return text(405, "method not allowed");
  if (path == "/config_dump") {
    nlohmann::json dump{{"config", dump_config(*view.config)}, {"snapshot", nullptr}};
    if (view.snapshot) dump["snapshot"] = dump_snapshot(*view.snapshot);
    if (view.xds) dump["xds"] = dump_xds(*view.xds);
    return json(dump);
  }
  if (path == "/clusters") return json(clusters_json(view));
  if (path == "/ready") {
    return text(view.readiness == Readiness::kReady ? 200 : 503, to_string(view.readiness));
  }
  if (path == "/") {
    return text(200,
                "/config_dump  effective config and registry snapshot (JSON)\n"
                "/clusters     routes with their endpoints and health (JSON)\n"
                "/ready        readiness: ready, starting or draining");
  }
  return text(404, "not found");
}

}  // namespace meshgate::admin
