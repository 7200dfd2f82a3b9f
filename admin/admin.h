// The request handlers of the health (15021) and admin (15000) ports: pure
// functions from a request and a view of the gateway to a response, so they
// are tested without sockets.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "discovery/snapshot.h"
#include "discovery/xds/xds_source.h"
#include "gateway/routing/outlier.h"
#include "gateway/routing/routes.h"
#include "gateway/worker_context.h"
#include "net/http/http_server.h"

namespace meshgate::admin {

enum class Readiness { kStarting, kReady, kDraining };

// The path of a request target, without its query: "/a?b" -> "/a".
std::string_view target_path(std::string_view target);

const char* to_string(Readiness readiness);

// GET|HEAD /healthz/ready: 200 when ready, else 503 naming the state.
// GET|HEAD /healthz/live: 200 while the process serves at all.
net::http::HttpResponse health_response(const net::http::HttpRequest& request, Readiness readiness);

struct AdminView {
  gateway::ConfigPtr config;
  discovery::SnapshotPtr snapshot;
  gateway::RoutesPtr routes;
  std::vector<gateway::EjectedEndpoint> ejected;
  std::chrono::steady_clock::time_point now;
  Readiness readiness = Readiness::kStarting;
  std::optional<discovery::xds::XdsSourceStats> xds;  // when discovery.xds runs
};

// GET|HEAD /config_dump, /clusters, /ready and / (an index).
net::http::HttpResponse admin_response(const net::http::HttpRequest& request,
                                       const AdminView& view);

// Every route: its SNI (for 15443) or listener (for the istiod ports), and
// each endpoint with its weight and health ("healthy" or "ejected").
nlohmann::json clusters_json(const AdminView& view);

}  // namespace meshgate::admin
