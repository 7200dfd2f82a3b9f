// The whole meshgate process, minus main(): the registry and its file
// sources, the TCP gateway (15443, 15012, 15017), the istiod upstreams, the
// health, metrics and admin servers, the access log, and the lifecycle:
// drain on SIGTERM, reload on SIGHUP or a changed config file. Everything but
// the workers runs on one control thread, inside run().
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "admin/access_log.h"
#include "admin/admin.h"
#include "admin/metrics.h"
#include "app/file_poller.h"
#include "base/asio.h"
#include "config/config.h"
#include "discovery/file_source.h"
#include "discovery/kubernetes/kube_source.h"
#include "discovery/registry.h"
#include "discovery/xds/xds_source.h"
#include "dns-global/dns_server.h"
#include "dns-global/vip_allocator.h"
#include "dns-global/zone.h"
#include "gateway/gateway.h"
#include "gateway/loop_thread.h"
#include "gateway/routing/istiod_upstreams.h"
#include "net/http/http_server.h"

namespace meshgate::app {

enum class HttpPort { kHealth, kMetrics, kAdmin };

// What the health, metrics and admin servers take from the config.
net::http::HttpServerLimits http_limits(const config::Http& http);

struct DrainResult {
  uint64_t open_at_close = 0;  // connections open when the listeners closed
  uint64_t cut = 0;            // still open at the drain timeout, closed as drain_timeout
};

class App {
 public:
  // `config_path` empty: the embedded default; a reload then re-reads only
  // the registry files.
  App(gateway::ConfigPtr config, std::string config_path);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Binds every listener and starts the workers. Throws std::system_error or
  // std::runtime_error with a message a person can act on.
  void start();
  // SIGTERM and SIGINT drain (a second one stops at once), SIGHUP reloads.
  void handle_signals();
  // Runs the control loop on the calling thread until the process stops.
  void run();

  // Thread-safe: each is carried out on the control thread.
  void drain();     // readiness 503 now; stop accepting after drain_delay; wait; exit
  void reload();    // re-read the config file (and the registry files)
  void stop_now();  // close everything at once (reason shutdown)

  // After start(); thread-safe.
  asio::ip::tcp::endpoint endpoint(gateway::ListenerKind kind) const {
    return gateway_->endpoint(kind);
  }
  asio::ip::tcp::endpoint endpoint(HttpPort port) const;
  admin::Readiness readiness() const;
  // The DNS server, when dns.enabled; null otherwise. Control thread or
  // after start() while no reload runs (tests).
  const dns::DnsServer* dns_server() const { return dns_.get(); }
  const gateway::Gateway& gateway() const { return *gateway_; }
  // After run() returned.
  DrainResult drain_result() const { return drain_result_; }

 private:
  bool routes_caught_up() const;
  void add_file_source(const config::FileSource& file);
  // app_kubernetes.cc
  void create_kubernetes();  // throws when the API server cannot be addressed
  void start_kubernetes();
  void stop_kubernetes();
  void reconfigure_kubernetes(const config::Config& previous);
  // app_xds.cc
  void create_xds();  // throws when the node's identity is incomplete
  void start_xds();
  void stop_xds();
  void reconfigure_xds(const config::Config& previous);
  // app_dns.cc
  void start_dns();
  void publish_zone();
  // After a reload: rebuilds the zone, and restarts the server when its
  // listeners or settings changed. False if the new server could not bind
  // (the old settings are restored, or DNS stays off if even that fails).
  bool reconfigure_dns(const config::Config& previous);
  void start_http();
  void stop_http();
  admin::MetricsInput gather_metrics() const;
  admin::AdminView admin_view() const;
  void begin_drain();
  void close_listeners();
  asio::awaitable<void> wait_for_connections(std::chrono::steady_clock::time_point deadline);
  void finish(gateway::CloseReason reason);
  void reload_now(const char* trigger);
  void apply(gateway::ConfigPtr next);
  // Returns `next` with every listener that could not be bound set back to
  // its old address; `failed` tells whether any was.
  gateway::ConfigPtr rebind_http(gateway::ConfigPtr next, bool& failed);
  void reconcile_file_sources(const config::Config& next);
  asio::awaitable<void> watch_config_file();

  const std::string config_path_;
  gateway::ConfigPtr config_;  // control thread
  asio::io_context control_{1};
  discovery::Registry registry_;
  admin::AccessLogPtr access_log_;
  // Logs replaced by a reload, destroyed at exit on this thread: a log's
  // destructor flushes, which must never happen on a worker.
  std::vector<admin::AccessLogPtr> retired_logs_;
  std::unique_ptr<gateway::Gateway> gateway_;
  std::shared_ptr<gateway::IstiodUpstreams> istiod_;
  std::vector<std::unique_ptr<discovery::FileSource>> sources_;
  std::vector<std::unique_ptr<FilePoller>> pollers_;
  // Replaced by a reload; a stopped poller may still have a wake-up queued.
  std::vector<std::unique_ptr<discovery::FileSource>> retired_sources_;
  std::vector<std::unique_ptr<FilePoller>> retired_pollers_;
  std::unique_ptr<discovery::kube::KubernetesSource> kube_;  // null: not enabled
  std::unique_ptr<discovery::xds::XdsSource> xds_;           // null: not enabled
  std::unique_ptr<dns::VipAllocator> vips_;                  // from config_->dns.vip_ranges
  std::unique_ptr<dns::DnsServer> dns_;                      // null: dns.enabled is false
  dns::ZoneIndexPtr zone_;  // the last zone dns_ was given; null: none with vips_ yet
  // The health server runs on a thread of its own: nothing the control
  // thread does (a large registry, a zone rebuild) may delay a probe.
  gateway::LoopThread health_loop_{"health"};
  std::unique_ptr<net::http::HttpServer> health_;  // on health_loop_
  std::unique_ptr<net::http::HttpServer> metrics_;
  std::unique_ptr<net::http::HttpServer> admin_;
  asio::steady_timer drain_timer_{control_};
  asio::steady_timer config_timer_{control_};
  asio::signal_set signals_{control_};
  std::string config_content_;  // as last read, to notice a change
  std::atomic<bool> started_{false};
  std::atomic<bool> draining_{false};
  // Ready once stays ready until the drain: a reload that adds a broken
  // registry file must not take a serving gateway out of its load balancer.
  mutable std::atomic<bool> was_ready_{false};
  bool finished_ = false;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
  DrainResult drain_result_;
};

}  // namespace meshgate::app
