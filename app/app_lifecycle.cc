// App: drain on SIGTERM, and reload of the config file.
#include <spdlog/spdlog.h>

#include <system_error>

#include "app/app.h"
#include "base/read_file.h"
#include "config/loader.h"
#include "config/overrides.h"

namespace meshgate::app {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kDrainPoll{50};

}  // namespace

void App::begin_drain() {
  if (draining_ || finished_) return;
  draining_ = true;
  spdlog::info("drain: readiness fails from now; listeners close in {} ms",
               config_->timeouts.drain_delay.count());
  drain_timer_.expires_after(config_->timeouts.drain_delay);
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) close_listeners();
  });
}

void App::close_listeners() {
  if (finished_) return;
  gateway_->stop_accepting();
  drain_result_.open_at_close = gateway_->open_connections();
  spdlog::info("drain: listeners closed; {} connection(s) open get {} ms to finish",
               drain_result_.open_at_close, config_->timeouts.drain.count());
  asio::co_spawn(control_, wait_for_connections(Clock::now() + config_->timeouts.drain),
                 [](std::exception_ptr error) {
                   if (error) spdlog::critical("drain: wait ended by an exception");
                 });
}

asio::awaitable<void> App::wait_for_connections(Clock::time_point deadline) {
  // The workers own the connections; the count is all this thread needs.
  while (!finished_ && gateway_->open_connections() > 0 && Clock::now() < deadline) {
    drain_timer_.expires_at(std::min(deadline, Clock::now() + kDrainPoll));
    boost::system::error_code ec;
    co_await drain_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  finish(gateway::CloseReason::kDrainTimeout);
}

void App::finish(gateway::CloseReason reason) {
  if (finished_) return;
  finished_ = true;
  drain_result_.cut = gateway_->open_connections();
  gateway_->stop(reason);
  if (drain_result_.open_at_close > 0 || drain_result_.cut > 0) {
    spdlog::info(
        "drain: {} connection(s) finished, {} cut at the drain timeout",
        drain_result_.open_at_close - std::min(drain_result_.open_at_close, drain_result_.cut),
        drain_result_.cut);
  }
  istiod_->stop();
  stop_kubernetes();
  stop_xds();
  if (dns_) dns_->stop();
  for (auto& poller : pollers_)
    poller->stop();
  boost::system::error_code ec;
  signals_.cancel(ec);
  config_timer_.cancel();
  drain_timer_.cancel();
  health_loop_.call([this] { health_->stop(); });
  metrics_->stop();
  admin_->stop();
  if (access_log_) access_log_->flush();
  control_.stop();
}

void App::reload_now(const char* trigger) {
  if (finished_ || draining_) return;
  for (auto& source : sources_)
    source->reload();
  if (config_path_.empty()) {
    spdlog::info("reload ({}): embedded default config; registry files re-read", trigger);
    return;
  }
  config_content_ = base::read_bounded_file(config_path_, config::kMaxConfigBytes).content;
  config::LoadResult loaded = config::load_effective_config(config_path_);
  if (loaded.config) {
    try {
      apply(std::move(loaded.config));
    } catch (const std::exception& e) {  // cannot happen short of memory exhaustion
      ++reloads_failed_;
      spdlog::error("reload ({}): failed part way: {}", trigger, e.what());
    }
    return;
  }
  {
    ++reloads_failed_;
    for (const auto& error : loaded.errors)
      spdlog::error("reload ({}): {}", trigger, base::format_error(config_path_, error));
    spdlog::error("reload ({}): rejected; the running config stays", trigger);
  }
}

void App::apply(gateway::ConfigPtr next) {
  admin::AccessLogPtr log = access_log_;
  try {
    if (next->access_log != config_->access_log) {
      log = admin::AccessLog::open(next->access_log);
    }
    gateway_->reconfigure(next, log);
  } catch (const std::exception& e) {
    ++reloads_failed_;
    spdlog::error("reload: rejected, the running config stays: {}", e.what());
    return;
  }
  if (log != access_log_) retired_logs_.push_back(std::exchange(access_log_, std::move(log)));
  bool http_failed = false;
  next = rebind_http(std::move(next), http_failed);
  reconcile_file_sources(*next);
  gateway::ConfigPtr previous = std::exchange(config_, std::move(next));
  istiod_->configure(config_);
  reconfigure_kubernetes(*previous);
  reconfigure_xds(*previous);
  if (!reconfigure_dns(*previous)) http_failed = true;
  if (http_failed) {
    ++reloads_failed_;
    spdlog::error("reload: applied except the listeners above, which keep their old address");
    return;
  }
  ++reloads_ok_;
  spdlog::info("reload: config applied");
}

gateway::ConfigPtr App::rebind_http(gateway::ConfigPtr next, bool& failed) {
  auto adjusted = std::make_shared<config::Config>(*next);
  struct Server {
    net::http::HttpServer* server;
    config::Listener config::Listeners::*member;
    const char* name;
  };
  const std::array<Server, 3> servers{{
      {health_.get(), &config::Listeners::health, "health"},
      {metrics_.get(), &config::Listeners::metrics, "metrics"},
      {admin_.get(), &config::Listeners::admin, "admin"},
  }};
  const net::http::HttpServerLimits limits = http_limits(next->http);
  for (const auto& [server, member, name] : servers) {
    // Each server on its own thread: the health server has one of its own.
    const auto on_its_thread = [&, server = server](auto fn) {
      return server == health_.get() ? health_loop_.call(fn) : fn();
    };
    on_its_thread([&, server = server] { server->set_limits(limits); });
    const config::Listener& wanted = next->listeners.*member;
    if (wanted == config_->listeners.*member) continue;
    if (gateway::already_bound(wanted, server->local_endpoint())) continue;
    try {
      const asio::ip::tcp::endpoint at = gateway::listener_endpoint(wanted, name);
      on_its_thread([&, server = server] { return server->listen(at); });
    } catch (const std::exception& e) {
      // On the same port, Linux refuses a new address while the old one listens.
      spdlog::error("reload: {}; that server keeps its old address", e.what());
      adjusted->listeners.*member = config_->listeners.*member;
      failed = true;
    }
  }
  return adjusted;
}

void App::reconcile_file_sources(const config::Config& next) {
  if (next.discovery == config_->discovery) return;
  for (auto& poller : pollers_)
    poller->stop();
  // Stopped pollers may still have a wake-up queued: keep them until exit.
  retired_pollers_.insert(retired_pollers_.end(), std::make_move_iterator(pollers_.begin()),
                          std::make_move_iterator(pollers_.end()));
  pollers_.clear();
  for (auto& source : sources_) {
    const bool kept = std::any_of(next.discovery.files.begin(), next.discovery.files.end(),
                                  [&](const auto& file) { return file.path == source->path(); });
    if (!kept) registry_.remove_source(source->name());
  }
  retired_sources_.insert(retired_sources_.end(), std::make_move_iterator(sources_.begin()),
                          std::make_move_iterator(sources_.end()));
  sources_.clear();
  for (const config::FileSource& file : next.discovery.files)
    add_file_source(file);
  for (auto& poller : pollers_)
    poller->start();
}

asio::awaitable<void> App::watch_config_file() {
  while (!finished_) {
    config_timer_.expires_after(config_->reload.poll_interval.count() > 0
                                    ? config_->reload.poll_interval
                                    : std::chrono::milliseconds(1000));
    boost::system::error_code ec;
    co_await config_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (finished_) co_return;
    if (draining_ || config_->reload.poll_interval.count() == 0) continue;
    const base::FileRead read = base::read_bounded_file(config_path_, config::kMaxConfigBytes);
    if (read.status != base::FileRead::Status::kOk || read.content == config_content_) continue;
    reload_now("config file changed");
  }
}

}  // namespace meshgate::app
