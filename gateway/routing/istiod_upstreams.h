// Keeps the upstream cluster of each istiod port (15012 -> istiod.xds,
// 15017 -> istiod.webhook) current, on the control thread: from the registry
// when a service there matches the configured host and port, else from DNS,
// resolved again every istiod.dns_refresh. A failed resolution keeps the last
// good answer. Each change is handed to the RoutePublisher.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "base/asio.h"
#include "config/config.h"
#include "discovery/snapshot.h"
#include "gateway/routing/routes.h"

namespace meshgate::gateway {

struct IstiodUpstreamStats {
  uint64_t dns_resolutions = 0;  // successful lookups
  uint64_t dns_failures = 0;     // failed lookups (the last good answer kept)
};

class IstiodUpstreams {
 public:
  IstiodUpstreams(asio::io_context& control, RoutePublisher& publisher);
  ~IstiodUpstreams();
  IstiodUpstreams(const IstiodUpstreams&) = delete;
  IstiodUpstreams& operator=(const IstiodUpstreams&) = delete;

  // Control thread only. Applies a (new) config: host, port, refresh, network.
  void configure(const ConfigPtr& config);
  // Control thread only.
  void set_snapshot(discovery::SnapshotPtr snapshot);
  void stop();

  IstiodUpstreamStats stats() const { return stats_; }  // control thread

 private:
  struct Target;

  void refresh(Target& target);
  void publish(Target& target, ClusterPtr cluster);
  asio::awaitable<void> resolve_loop(Target& target, uint64_t generation);

  asio::io_context& control_;
  RoutePublisher& publisher_;
  ConfigPtr config_;
  discovery::SnapshotPtr snapshot_;
  std::array<std::unique_ptr<Target>, 2> targets_;
  IstiodUpstreamStats stats_;
  bool stopped_ = false;
};

}  // namespace meshgate::gateway
