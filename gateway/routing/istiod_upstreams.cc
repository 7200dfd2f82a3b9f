#include "gateway/routing/istiod_upstreams.h"

#include <spdlog/spdlog.h>

namespace meshgate::gateway {

struct IstiodUpstreams::Target {
  Target(asio::io_context& io, ListenerKind listener) : kind(listener), timer(io), resolver(io) {}

  const ListenerKind kind;
  config::Upstream upstream;
  asio::steady_timer timer;
  asio::ip::tcp::resolver resolver;
  uint64_t generation = 0;  // a new one ends the running resolve loop
  bool resolving = false;   // a resolve loop runs for `generation`
  bool warned = false;      // the current failure run was logged
  ClusterPtr published;
};

IstiodUpstreams::IstiodUpstreams(asio::io_context& control, RoutePublisher& publisher)
    : control_(control), publisher_(publisher) {
  targets_[0] = std::make_unique<Target>(control, ListenerKind::kIstiod);
  targets_[1] = std::make_unique<Target>(control, ListenerKind::kWebhook);
}

IstiodUpstreams::~IstiodUpstreams() {
  stop();
}

void IstiodUpstreams::configure(const ConfigPtr& config) {
  config_ = config;
  targets_[0]->upstream = config->istiod.xds;
  targets_[1]->upstream = config->istiod.webhook;
  for (auto& target : targets_) {
    ++target->generation;  // a new loop starts with the new settings if DNS is needed
    target->resolving = false;
    target->timer.cancel();
    target->resolver.cancel();
    refresh(*target);
  }
}

void IstiodUpstreams::set_snapshot(discovery::SnapshotPtr snapshot) {
  snapshot_ = std::move(snapshot);
  if (!config_) return;
  for (auto& target : targets_)
    refresh(*target);
}

void IstiodUpstreams::stop() {
  stopped_ = true;
  for (auto& target : targets_) {
    ++target->generation;
    target->timer.cancel();
    target->resolver.cancel();
  }
}

void IstiodUpstreams::refresh(Target& target) {
  if (stopped_) return;
  std::optional<Cluster> found;
  if (snapshot_) {
    found = upstream_from_registry(*snapshot_, target.upstream, config_->network,
                                   config_->cluster_domain);
  }
  if (found) {
    if (target.resolving) {  // the registry has it now: stop asking DNS
      ++target.generation;
      target.resolving = false;
      target.timer.cancel();
      target.resolver.cancel();
    }
    publish(target, std::make_shared<const Cluster>(std::move(*found)));
    return;
  }
  if (target.resolving) return;
  target.resolving = true;
  asio::co_spawn(control_, resolve_loop(target, target.generation),
                 [kind = target.kind](std::exception_ptr error) {
                   if (error) spdlog::error("{}: DNS loop ended by an exception", to_string(kind));
                 });
}

void IstiodUpstreams::publish(Target& target, ClusterPtr cluster) {
  if (target.published && cluster && target.published->name == cluster->name &&
      target.published->endpoints == cluster->endpoints) {
    return;
  }
  spdlog::info("{}: upstream {} has {} endpoint(s)", to_string(target.kind),
               cluster ? cluster->name : "-", cluster ? cluster->endpoints.size() : 0);
  target.published = cluster;
  publisher_.set_upstream(target.kind, std::move(cluster));
}

asio::awaitable<void> IstiodUpstreams::resolve_loop(Target& target, uint64_t generation) {
  const auto current = [&] { return !stopped_ && target.generation == generation; };
  while (current()) {
    boost::system::error_code ec;
    const auto results = co_await target.resolver.async_resolve(
        target.upstream.host, std::to_string(target.upstream.port),
        asio::redirect_error(asio::use_awaitable, ec));
    if (!current()) co_return;
    if (!ec && !results.empty()) {
      ++stats_.dns_resolutions;
      target.warned = false;
      std::vector<asio::ip::tcp::endpoint> addresses;
      for (const auto& entry : results)
        addresses.push_back(entry.endpoint());
      publish(target,
              std::make_shared<const Cluster>(upstream_from_addresses(target.upstream, addresses)));
    } else {
      ++stats_.dns_failures;
      if (!std::exchange(target.warned, true)) {
        spdlog::warn("{}: cannot resolve {}: {}; keeping the last answer", to_string(target.kind),
                     target.upstream.host, ec ? ec.message() : "no addresses");
      }
    }
    target.timer.expires_after(config_->istiod.dns_refresh);
    co_await target.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace meshgate::gateway
