#include "gateway/worker.h"

#include <spdlog/spdlog.h>

#include <system_error>
#include <vector>

#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;
using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

// After accept() fails (EMFILE, ENFILE, ENOBUFS...) wait before the next try
// rather than spinning on a descriptor table that is full.
constexpr std::chrono::milliseconds kAcceptBackoff{100};

std::system_error cannot_listen(const error_code& ec, const asio::ip::tcp::endpoint& at) {
  return std::system_error(
      ec, "cannot listen on " + at.address().to_string() + ":" + std::to_string(at.port()));
}

}  // namespace

void ensure_port_free(const asio::ip::tcp::endpoint& at) {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io);
  error_code ec;
  probe.open(at.protocol(), ec);
  // SO_REUSEADDR alone still refuses a port some socket listens on, but not
  // one held only by TIME_WAIT leftovers of a previous run.
  if (!ec) probe.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) probe.bind(at, ec);
  if (ec) throw cannot_listen(ec, at);
}

Worker::Worker(std::shared_ptr<const config::Config> config, ConnectionLimit& limit)
    : ctx_(std::move(config), limit) {}

Worker::~Worker() {
  if (thread_.joinable()) {
    stop();
    join();
  }
}

asio::ip::tcp::endpoint Worker::listen(const asio::ip::tcp::endpoint& at) {
  error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.set_option(ReusePort(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw cannot_listen(ec, at);
  const asio::ip::tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) throw cannot_listen(ec, at);
  return bound;
}

void Worker::start() {
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr error) {
    if (error) spdlog::critical("passthrough: accept loop ended by an exception");
  });
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::set_routes(RouteTablePtr table) {
  asio::post(io_, [this, table = std::move(table)]() mutable { ctx_.routes = std::move(table); });
}

void Worker::stop() {
  asio::post(io_, [this] { shut_down(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::shut_down() {
  if (stopping_) return;
  stopping_ = true;
  error_code ec;
  acceptor_.close(ec);
  backoff_.cancel();
  // stop() removes a session from the set, so walk a copy.
  const std::vector<PassthroughSession*> live(ctx_.sessions.begin(), ctx_.sessions.end());
  for (PassthroughSession* session : live)
    session->stop(CloseReason::kShutdown);
}

asio::awaitable<void> Worker::accept_loop() {
  uint64_t failing_since_ok = 0;
  while (!stopping_) {
    asio::ip::tcp::socket socket(io_);
    error_code ec;
    co_await acceptor_.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
    if (stopping_) break;
    if (!ec) {
      if (failing_since_ok > 0) spdlog::info("passthrough: accepting again");
      failing_since_ok = 0;
      accept(std::move(socket));
      continue;
    }
    // Warn once per run of failures, not every 100 ms while it lasts.
    if (failing_since_ok++ == 0) {
      spdlog::warn("passthrough: accept failed: {}; pausing {} ms between tries", ec.message(),
                   kAcceptBackoff.count());
    }
    ctx_.stats.accept_errors.add();
    backoff_.expires_after(kAcceptBackoff);
    co_await backoff_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Worker::accept(asio::ip::tcp::socket socket) {
  if (!ctx_.limit.try_acquire()) {
    ctx_.stats.accepted.add();
    ctx_.stats.closed_by(CloseReason::kOverCapacity).add();
    error_code ec;
    socket.close(ec);
    return;
  }
  // Only memory exhaustion can throw here; it must neither end the accept
  // loop (leaving this worker's backlog unserved) nor leak the slot.
  try {
    std::make_shared<PassthroughSession>(std::move(socket), ctx_)->start();
  } catch (const std::exception& e) {
    spdlog::error("passthrough: cannot start a session: {}", e.what());
    ctx_.stats.closed_by(CloseReason::kInternalError).add();
    ctx_.limit.release();
  }
}

}  // namespace meshgate::gateway
