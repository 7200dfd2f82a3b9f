#include "app/app.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <system_error>

#include "base/read_file.h"
#include "config/loader.h"

namespace meshgate::app {
namespace {

void spawn(asio::io_context& io, asio::awaitable<void> task, const char* what) {
  asio::co_spawn(io, std::move(task), [what](std::exception_ptr error) {
    if (error) spdlog::critical("{} ended by an exception", what);
  });
}

}  // namespace

App::App(gateway::ConfigPtr config, std::string config_path)
    : config_path_(std::move(config_path)), config_(std::move(config)) {
  access_log_ = admin::AccessLog::open(config_->access_log);
  for (const config::FileSource& file : config_->discovery.files)
    add_file_source(file);
  create_kubernetes();
  create_xds();
  gateway_ = std::make_unique<gateway::Gateway>(config_, registry_, access_log_);
  istiod_ = std::make_shared<gateway::IstiodUpstreams>(control_, gateway_->publisher());
  std::weak_ptr<gateway::IstiodUpstreams> istiod = istiod_;
  registry_.subscribe([this, istiod](const discovery::SnapshotPtr& snapshot) {
    asio::post(control_, [this, istiod, snapshot] {
      if (auto upstreams = istiod.lock()) upstreams->set_snapshot(snapshot);
      if (!finished_) publish_zone();
    });
  });
  if (!config_path_.empty()) {
    config_content_ = base::read_bounded_file(config_path_, config::kMaxConfigBytes).content;
  }
}

App::~App() {
  stop_kubernetes();
  stop_xds();
  if (gateway_) gateway_->stop();
  if (dns_) dns_->stop();
  stop_http();
}

void App::add_file_source(const config::FileSource& file) {
  auto& source =
      sources_.emplace_back(std::make_unique<discovery::FileSource>(file.path, registry_));
  // A bad file is logged by the source; it serves nothing until fixed.
  source->reload();
  pollers_.push_back(std::make_unique<FilePoller>(control_, *source, file.poll_interval));
}

void App::start() {
  gateway_->start();
  start_dns();
  start_http();
  istiod_->set_snapshot(registry_.snapshot());
  istiod_->configure(config_);
  for (auto& poller : pollers_)
    poller->start();
  start_kubernetes();
  start_xds();
  if (!config_path_.empty()) spawn(control_, watch_config_file(), "config watch");
  started_ = true;
}

net::http::HttpServerLimits http_limits(const config::Http& http) {
  net::http::HttpServerLimits limits;
  limits.request_timeout = http.request_timeout;
  limits.idle_timeout = http.idle_timeout;
  limits.max_connections = http.max_connections;
  limits.max_connections_per_client = http.max_connections_per_client;
  return limits;
}

void App::start_http() {
  const net::http::HttpServerLimits limits = http_limits(config_->http);
  // readiness() reads only atomics and the registry: safe on the health thread.
  health_ = std::make_unique<net::http::HttpServer>(
      health_loop_.io(), "health",
      [this](const net::http::HttpRequest& request) {
        return admin::health_response(request, readiness());
      },
      limits);
  metrics_ = std::make_unique<net::http::HttpServer>(
      control_, "metrics",
      [this](const net::http::HttpRequest& request) {
        if (admin::target_path(request.target) != "/stats/prometheus") {
          return net::http::HttpResponse{404, "text/plain; charset=utf-8", "not found\n"};
        }
        return net::http::HttpResponse{200, base::kPrometheusContentType,
                                       admin::render_metrics(gather_metrics())};
      },
      limits);
  admin_ = std::make_unique<net::http::HttpServer>(
      control_, "admin",
      [this](const net::http::HttpRequest& request) {
        return admin::admin_response(request, admin_view());
      },
      limits);
  const asio::ip::tcp::endpoint health_at =
      gateway::listener_endpoint(config_->listeners.health, "health");
  health_loop_.call([&] { return health_->listen(health_at); });

  metrics_->listen(gateway::listener_endpoint(config_->listeners.metrics, "metrics"));
  admin_->listen(gateway::listener_endpoint(config_->listeners.admin, "admin"));
  spdlog::info("health, metrics, admin: listening on {}, {}, {}", health_->local_endpoint().port(),
               metrics_->local_endpoint().port(), admin_->local_endpoint().port());
}

void App::stop_http() {
  if (health_) health_loop_.call([this] { health_->stop(); });
  health_loop_.stop();
  if (metrics_) metrics_->stop();
  if (admin_) admin_->stop();
}

void App::handle_signals() {
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}", signal);
    if (signal == SIGHUP) {
      reload_now("SIGHUP");
    } else if (draining_) {
      spdlog::info("second signal while draining: stopping now");
      stop_now();
      return;
    } else {
      begin_drain();
    }
    handle_signals();  // wait for the next one
  });
}

void App::run() {
  // Nothing posted here should throw; if something does, log it and go on
  // rather than end the process with its connections.
  for (;;) {
    try {
      control_.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("control thread: {}", e.what());
    }
  }
}

void App::drain() {
  asio::post(control_, [this] { begin_drain(); });
}

void App::reload() {
  asio::post(control_, [this] { reload_now("request"); });
}

void App::stop_now() {
  asio::post(control_, [this] {
    drain_timer_.cancel();
    draining_ = true;
    finish(gateway::CloseReason::kShutdown);
  });
}

asio::ip::tcp::endpoint App::endpoint(HttpPort port) const {
  switch (port) {
    case HttpPort::kHealth:
      return health_->local_endpoint();
    case HttpPort::kMetrics:
      return metrics_->local_endpoint();
    case HttpPort::kAdmin:
      break;
  }
  return admin_->local_endpoint();
}

// Every source has listed once and every worker routes with the snapshot that
// made: a connection accepted the moment readiness turns 200 finds its route.
// (synced() turns true just before the registry publishes that snapshot.)
bool App::routes_caught_up() const {
  return registry_.synced() && gateway_->applied_snapshot() >= registry_.snapshot()->version();
}

admin::Readiness App::readiness() const {
  if (draining_) return admin::Readiness::kDraining;
  if (!started_) return admin::Readiness::kStarting;
  if (!was_ready_ && !routes_caught_up()) return admin::Readiness::kStarting;
  was_ready_ = true;
  return admin::Readiness::kReady;
}

}  // namespace meshgate::app
