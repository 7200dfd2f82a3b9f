// One worker thread: its own io_context, its own SO_REUSEPORT acceptor on the
// passthrough port, and every session it accepted, for their whole life.
#pragma once

#include <memory>
#include <thread>

#include "config/config.h"
#include "gateway/asio.h"
#include "gateway/worker_context.h"

namespace meshgate::gateway {

// SO_REUSEPORT would let a second meshgate of the same user share a port
// silently; a plain bind of it first makes that an error at start-up.
// Throws std::system_error naming the address when the port is taken.
void ensure_port_free(const asio::ip::tcp::endpoint& at);

class Worker {
 public:
  Worker(std::shared_ptr<const config::Config> config, ConnectionLimit& limit);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds and listens (SO_REUSEPORT, so every worker can bind the same port).
  // Start-up only: throws std::system_error naming the address on failure.
  asio::ip::tcp::endpoint listen(const asio::ip::tcp::endpoint& at);
  // Starts the thread and the accept loop.
  void start();
  // Thread-safe. New connections route with `table` from the next turn of
  // this worker's loop on; open ones keep the table they routed with.
  void set_routes(RouteTablePtr table);
  // Thread-safe. Stops accepting and closes every session (reason shutdown).
  void stop();
  void join();

  const PassthroughStats& stats() const { return ctx_.stats; }

 private:
  asio::awaitable<void> accept_loop();
  void accept(asio::ip::tcp::socket socket);
  void shut_down();

  asio::io_context io_{1};
  asio::ip::tcp::acceptor acceptor_{io_};
  asio::steady_timer backoff_{io_};
  WorkerContext ctx_;
  std::thread thread_;
  bool stopping_ = false;
};

}  // namespace meshgate::gateway
