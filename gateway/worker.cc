#include "gateway/worker.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <system_error>
#include <vector>

#include "gateway/keepalive.h"
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

asio::ip::tcp::acceptor open_acceptor(asio::io_context& io, const asio::ip::tcp::endpoint& at,
                                      const config::TcpKeepalive& keepalive) {
  asio::ip::tcp::acceptor acceptor(io);
  error_code ec;
  acceptor.open(at.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw cannot_listen(ec, at);
  set_listener_keepalive(acceptor, keepalive);
  return acceptor;
}

void set_listener_keepalive(asio::ip::tcp::acceptor& acceptor,
                            const config::TcpKeepalive& keepalive) {
  set_tcp_keepalive(acceptor.native_handle(), keepalive);
}

Worker::Worker(ConfigPtr config, Admission& admission) : ctx_(std::move(config), admission) {
  // splice(2) into a socket whose peer has gone raises SIGPIPE (it has no
  // MSG_NOSIGNAL); the relay handles EPIPE itself, so the signal must not
  // end the process. Process-wide and idempotent.
  std::signal(SIGPIPE, SIG_IGN);
}

Worker::~Worker() {
  if (thread_.joinable()) {
    stop();
    join();
  }
}

void Worker::adopt(ListenerKind kind, asio::ip::tcp::acceptor acceptor) {
  asio::post(io_, [this, kind, acceptor = std::move(acceptor)]() mutable {
    if (stopping_) return;
    Slot& slot = slots_[index_of(kind)];
    error_code ec;
    slot.acceptor.close(ec);  // its accept loop wakes with operation_aborted and ends
    slot.backoff.cancel();
    slot.acceptor = std::move(acceptor);
    const uint64_t generation = ++slot.generation;
    asio::co_spawn(io_, accept_loop(kind, generation), [kind](std::exception_ptr error) {
      if (error) spdlog::critical("{}: accept loop ended by an exception", to_string(kind));
    });
  });
}

void Worker::start() {
  thread_ = std::thread([this] {
    // A handler that throws (only memory exhaustion can) must not end the
    // process: log it and keep serving.
    for (;;) {
      try {
        io_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("worker: {}", e.what());
      }
    }
  });
}

void Worker::set_routes(RoutesPtr routes) {
  asio::post(io_, [this, routes = std::move(routes)]() mutable {
    const uint64_t version = routes->table ? routes->table->version() : 0;
    ctx_.routes = std::move(routes);
    applied_snapshot_.store(version, std::memory_order_release);
  });
}

void Worker::set_config(ConfigPtr config, AccessSinkPtr log) {
  asio::post(io_, [this, config = std::move(config), log = std::move(log)]() mutable {
    if (config->tcp_keepalive != ctx_.config->tcp_keepalive) {
      for (Slot& slot : slots_) {
        if (slot.acceptor.is_open()) set_listener_keepalive(slot.acceptor, config->tcp_keepalive);
      }
    }
    ctx_.balancer.set_policy(config->passthrough.load_balancing);
    ctx_.outliers.set_settings(config->outlier);
    ctx_.pipes.set_pipe_bytes(config->limits.buffer_bytes);
    ctx_.config = std::move(config);
    ctx_.access_log = std::move(log);
  });
}

void Worker::stop_accepting() {
  asio::post(io_, [this] { close_acceptors(); });
}

void Worker::stop(CloseReason reason) {
  asio::post(io_, [this, reason] { shut_down(reason); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::close_acceptors() {
  for (Slot& slot : slots_) {
    error_code ec;
    slot.acceptor.close(ec);
    slot.backoff.cancel();
    ++slot.generation;
  }
}

void Worker::shut_down(CloseReason reason) {
  if (stopping_) return;
  stopping_ = true;
  close_acceptors();
  // stop() removes a session from the set, so walk a copy.
  const std::vector<PassthroughSession*> live(ctx_.sessions.begin(), ctx_.sessions.end());
  for (PassthroughSession* session : live)
    session->stop(reason);
}

asio::awaitable<void> Worker::accept_loop(ListenerKind kind, uint64_t generation) {
  Slot& slot = slots_[index_of(kind)];
  const auto current = [&] { return !stopping_ && slot.generation == generation; };
  uint64_t failing_since_ok = 0;
  while (current()) {
    asio::ip::tcp::socket socket(io_);
    asio::ip::tcp::endpoint peer;
    error_code ec;
    co_await slot.acceptor.async_accept(socket, peer,
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (!current()) break;
    if (!ec) {
      if (failing_since_ok > 0) spdlog::info("{}: accepting again", to_string(kind));
      failing_since_ok = 0;
      accept(kind, std::move(socket), peer);
      continue;
    }
    // Warn once per run of failures, not every 100 ms while it lasts.
    if (failing_since_ok++ == 0) {
      spdlog::warn("{}: accept failed: {}; pausing {} ms between tries", to_string(kind),
                   ec.message(), kAcceptBackoff.count());
    }
    ctx_.stats_for(kind).accept_errors.add();
    slot.backoff.expires_after(kAcceptBackoff);
    co_await slot.backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void Worker::accept(ListenerKind kind, asio::ip::tcp::socket socket,
                    const asio::ip::tcp::endpoint& peer) {
  CloseReason refusal = CloseReason::kOverCapacity;
  AdmissionTicket ticket = ctx_.admission.admit(peer.address(), &refusal);
  if (!ticket.valid()) return refuse(kind, std::move(socket), peer, refusal);
  // Only memory exhaustion can throw here; it must neither end the accept
  // loop (leaving this worker's backlog unserved) nor leak the slot (the
  // ticket gives it back).
  try {
    std::make_shared<PassthroughSession>(std::move(socket), peer, ctx_, kind, std::move(ticket))
        ->start();
  } catch (const std::exception& e) {
    spdlog::error("{}: cannot start a session: {}", to_string(kind), e.what());
    ctx_.stats_for(kind).closed_by(CloseReason::kInternalError).add();
  }
}

// Closed at once, counted, logged (rate-limited) and given its access-log line.
void Worker::refuse(ListenerKind kind, asio::ip::tcp::socket socket,
                    const asio::ip::tcp::endpoint& peer, CloseReason reason) {
  PassthroughStats& stats = ctx_.stats_for(kind);
  stats.accepted.add();
  stats.closed_by(reason).add();
  error_code ec;
  socket.close(ec);
  refusals_.note(kind, reason, RefusalLog::Clock::now());
  if (!ctx_.access_log) return;
  AccessRecord record;
  record.start = std::chrono::system_clock::now();
  record.client = peer;
  record.listener = to_string(kind);
  record.reason = to_string(reason);
  ctx_.access_log->write(record);
}

}  // namespace meshgate::gateway
