// One client connection on 15443, from accept to close: read the ClientHello
// under its timeout, route by SNI, connect an endpoint (trying others on
// failure), replay the ClientHello, then relay both ways with half-close and
// an idle timeout. The session owns both sockets; a worker owns the session
// set and stops them all on shutdown. Nothing here throws.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <vector>

#include "gateway/asio.h"
#include "gateway/close_reason.h"
#include "gateway/route_table.h"
#include "gateway/worker_context.h"
#include "sni/client_hello.h"

namespace meshgate::gateway {

class PassthroughSession : public std::enable_shared_from_this<PassthroughSession> {
 public:
  using Clock = std::chrono::steady_clock;

  // The caller has taken a slot from ctx.limit for this connection.
  PassthroughSession(asio::ip::tcp::socket client, WorkerContext& ctx);
  PassthroughSession(const PassthroughSession&) = delete;
  PassthroughSession& operator=(const PassthroughSession&) = delete;

  void start();
  // Idempotent: records the reason, closes both sockets, releases the slot.
  void stop(CloseReason reason);

 private:
  enum class Phase { kHello, kConnect, kRelay };
  enum class Direction { kFromClient, kFromUpstream };

  asio::awaitable<void> run();
  asio::awaitable<CloseReason> read_client_hello();
  CloseReason route(RouteTablePtr& table, const Cluster*& cluster);
  asio::awaitable<CloseReason> connect_upstream(const Cluster& cluster, uint64_t version);
  asio::awaitable<void> pump(Direction direction);
  asio::awaitable<void> watchdog();
  void on_deadline();
  // Phase changes go through set_deadline(), which re-arms the watchdog when
  // the deadline moves earlier; relay activity only extends it.
  void set_deadline(Clock::time_point deadline);
  void extend_idle_deadline();
  void spawn(asio::awaitable<void> task);
  void account_close(CloseReason reason);

  WorkerContext& ctx_;
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket upstream_;
  asio::steady_timer timer_;
  Clock::time_point deadline_;
  Phase phase_ = Phase::kHello;
  bool stopped_ = false;
  bool upstream_open_ = false;  // counted in the balancer
  int pumps_running_ = 0;
  sni::ClientHelloParser hello_;
  std::string sni_;                   // for logs
  asio::ip::tcp::endpoint endpoint_;  // the upstream, once connected
};

}  // namespace meshgate::gateway
