// App: what the metrics and admin ports show, gathered on the control thread.
#include "app/app.h"

namespace meshgate::app {

admin::MetricsInput App::gather_metrics() const {
  admin::MetricsInput in;
  for (gateway::ListenerKind kind : gateway::kAllListenerKinds)
    in.listeners[index_of(kind)] = gateway_->stats(kind);
  in.routes = gateway_->route_stats();
  in.ejected_endpoints = gateway_->ejections(std::chrono::steady_clock::now()).size();
  in.open_connections = gateway_->open_connections();
  in.effective_max_connections = gateway_->effective_max_connections();
  in.descriptor_budget = gateway_->descriptor_budget();
  in.descriptors_in_use = gateway_->descriptors_in_use();
  const gateway::RoutesPtr routes = gateway_->routes();
  if (routes->table) {
    in.refused_loopback = routes->table->refused(gateway::TargetRefusal::kLoopback);
    in.refused_self = routes->table->refused(gateway::TargetRefusal::kSelf);
  }
  for (const gateway::ClusterPtr& upstream : routes->upstreams) {
    if (!upstream) continue;
    in.refused_loopback +=
        upstream->refused[static_cast<std::size_t>(gateway::TargetRefusal::kLoopback)];
    in.refused_self += upstream->refused[static_cast<std::size_t>(gateway::TargetRefusal::kSelf)];
  }
  in.snapshot_version = registry_.snapshot()->version();
  const discovery::RegistryStats registry = registry_.stats();
  in.registry_publishes = registry.publishes;
  in.registry_conflicts = registry.conflicts;
  for (const auto& sources : {&sources_, &retired_sources_}) {
    for (const auto& source : *sources) {
      const discovery::FileSourceStats stats = source->stats();
      in.file_reloads_ok += stats.reloads_ok;
      in.file_reloads_failed += stats.reloads_failed;
    }
  }
  in.config_reloads_ok = reloads_ok_;
  in.config_reloads_failed = reloads_failed_;
  const gateway::IstiodUpstreamStats istiod = istiod_->stats();
  in.istiod_dns_ok = istiod.dns_resolutions;
  in.istiod_dns_failed = istiod.dns_failures;
  if (access_log_) {
    in.access_log_written = access_log_->written();
    in.access_log_dropped = access_log_->dropped();
  }
  in.ready = readiness() == admin::Readiness::kReady;
  in.draining = draining_;
  in.http.emplace("health", health_->stats());
  in.http.emplace("metrics", metrics_->stats());
  in.http.emplace("admin", admin_->stats());
  if (dns_) in.dns = dns_->stats();
  if (kube_) in.kubernetes = kube_->stats();
  if (xds_) in.xds = xds_->stats();
  return in;
}

admin::AdminView App::admin_view() const {
  admin::AdminView view;
  view.config = config_;
  view.snapshot = registry_.snapshot();
  if (xds_) view.xds = xds_->stats();
  view.routes = gateway_->routes();
  view.now = std::chrono::steady_clock::now();
  view.ejected = gateway_->ejections(view.now);
  view.readiness = readiness();
  return view;
}

}  // namespace meshgate::app
