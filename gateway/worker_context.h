// What every session on one worker thread shares: the config new sessions
// start with, the current routes (a plain pointer: only this thread reads or
// replaces it), that worker's load balancer, outlier detector and counters,
// the access log, and the set of live sessions the worker closes on shutdown.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "gateway/access_record.h"
#include "gateway/admission.h"
#include "gateway/pipe_pool.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/routing/load_balancer.h"
#include "gateway/routing/outlier.h"
#include "gateway/routing/routes.h"
#include "gateway/stats.h"

namespace meshgate::gateway {

class PassthroughSession;

struct WorkerContext {
  WorkerContext(ConfigPtr cfg, Admission& shared_admission)
      : config(std::move(cfg)),
        admission(shared_admission),
        balancer(config->passthrough.load_balancing),
        outliers(config->outlier),
        pipes(config->limits.buffer_bytes, kSparePipes, &shared_admission) {}

  // Empty pipes a worker keeps for the next relay to borrow.
  static constexpr std::size_t kSparePipes = 64;

  ConfigPtr config;          // replaced on this thread by a reload; sessions keep theirs
  AccessSinkPtr access_log;  // null: none
  RoutesPtr routes = std::make_shared<const Routes>();
  Admission& admission;  // shared by every worker
  LoadBalancer balancer;
  OutlierDetector outliers;
  std::array<PassthroughStats, kListenerKindCount> stats;
  RouteStatsTable route_stats;
  std::unordered_set<PassthroughSession*> sessions;  // live sessions, this thread only
  // Where every relay on this thread reads into: used only between two
  // waits, never held across one, so one buffer serves every connection.
  std::vector<uint8_t> scratch;
  // What every splicing relay on this thread borrows its pipes from.
  PipePool pipes;

  PassthroughStats& stats_for(ListenerKind kind) { return stats[index_of(kind)]; }
};

}  // namespace meshgate::gateway
