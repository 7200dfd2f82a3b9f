// One worker thread: its own io_context, its own SO_REUSEPORT acceptor on
// each TCP listener (15443, 15012, 15017), and every session it accepted, for
// their whole life.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "base/asio.h"
#include "config/config.h"
#include "gateway/refusal_log.h"
#include "gateway/routing/listener_kind.h"
#include "gateway/worker_context.h"

namespace meshgate::gateway {

// SO_REUSEPORT would let a second meshgate of the same user share a port
// silently; a plain bind of it first makes that an error at start-up.
// Throws std::system_error naming the address when the port is taken.
void ensure_port_free(const asio::ip::tcp::endpoint& at);

// A listening SO_REUSEPORT acceptor on `io`, for Worker::adopt(). Any thread.
// Throws std::system_error "cannot listen on ADDR:PORT" on failure.
asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const asio::ip::tcp::endpoint& at,
                                      const config::TcpKeepalive& keepalive);

// TCP keepalive on a listening socket: Linux hands its settings to every
// socket it accepts. Best effort.
void set_listener_keepalive(asio::ip::tcp::acceptor& acceptor,
                            const config::TcpKeepalive& keepalive);

class Worker {
 public:
  Worker(ConfigPtr config, Admission& admission);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  asio::io_context& io() { return io_; }

  // Thread-safe. Accepts for `kind` on `acceptor` (from open_acceptor() on
  // io()) from the next turn of the loop on, closing the one it replaces;
  // sessions accepted before are untouched.
  void adopt(ListenerKind kind, asio::ip::tcp::acceptor acceptor);
  // Starts the thread.
  void start();
  // Thread-safe. New connections route with `routes` from the next turn of
  // this worker's loop on; open ones keep what they routed with.
  void set_routes(RoutesPtr routes);
  // Thread-safe. The registry snapshot version of the routes this worker's
  // loop has taken up (readiness waits for every worker to have the first).
  uint64_t applied_snapshot() const { return applied_snapshot_.load(std::memory_order_acquire); }
  // Thread-safe. New sessions use `config` and `log`; open ones keep theirs.
  void set_config(ConfigPtr config, AccessSinkPtr log);
  // Thread-safe. Closes every acceptor; open sessions go on (drain).
  void stop_accepting();
  // Thread-safe. Stops accepting and closes every session with `reason`.
  void stop(CloseReason reason = CloseReason::kShutdown);
  void join();

  const PassthroughStats& stats(ListenerKind kind) const { return ctx_.stats[index_of(kind)]; }
  const RouteStatsTable& route_stats() const { return ctx_.route_stats; }
  const OutlierDetector& outliers() const { return ctx_.outliers; }

 private:
  struct Slot {
    explicit Slot(asio::io_context& io) : acceptor(io), backoff(io) {}
    asio::ip::tcp::acceptor acceptor;
    asio::steady_timer backoff;
    uint64_t generation = 0;  // bumped on every adopt; ends older accept loops
  };

  asio::awaitable<void> accept_loop(ListenerKind kind, uint64_t generation);
  void accept(ListenerKind kind, asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer);
  void refuse(ListenerKind kind, asio::ip::tcp::socket socket, const asio::ip::tcp::endpoint& peer,
              CloseReason reason);
  void close_acceptors();
  void shut_down(CloseReason reason);

  asio::io_context io_{1};
  std::array<Slot, kListenerKindCount> slots_{Slot(io_), Slot(io_), Slot(io_)};
  WorkerContext ctx_;
  RefusalLog refusals_;
  std::thread thread_;
  bool stopping_ = false;
  std::atomic<uint64_t> applied_snapshot_{0};
};

}  // namespace meshgate::gateway
