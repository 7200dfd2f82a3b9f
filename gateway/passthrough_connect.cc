// PassthroughSession's way to an endpoint: pick one, connect within
// timeouts.connect, replay what the client sent and, when that is a whole
// ClientHello, wait timeouts.upstream_first_byte for the endpoint's first
// byte back. A TLS server answers a ClientHello at once: one that accepts the
// connection and then says nothing (a stopped process, a full accept queue
// behind a live port) fails the attempt like a refused connect, feeds
// outlier ejection, and the next endpoint gets the same hello. Nothing has
// reached the client yet, so the retry is invisible to it. What the client
// sends meanwhile is passed on and kept with the hello (up to
// limits.max_client_hello_bytes in all) for the next endpoint, so a protocol
// whose server waits for more than the hello cannot stall on the wait.
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include "gateway/keepalive.h"
#include "gateway/passthrough_session.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

constexpr std::size_t kMaxConnectAttempts = 16;

// The process, not the endpoint, is out of resources: trying another
// endpoint cannot help, and the endpoint must not be blamed.
bool local_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory;
}

error_code last_error() {
  return error_code(errno, asio::error::get_system_category());
}

// Waits until `first` or `second` has something to read (or its wait
// failed, e.g. the socket was closed), cancels the other wait, and completes
// with (error, 0 for first or 1 for second).
template <class Handler>
struct EitherWait {
  explicit EitherWait(Handler h) : handler(std::move(h)) {}
  Handler handler;
  bool done = false;
};

template <class Token>
auto async_wait_either(asio::ip::tcp::socket& first, asio::ip::tcp::socket& second, Token&& token) {
  auto initiation = [](auto handler, asio::ip::tcp::socket* a, asio::ip::tcp::socket* b) {
    auto state = std::make_shared<EitherWait<decltype(handler)>>(std::move(handler));
    const auto on = [state](int which, asio::ip::tcp::socket* other) {
      return [state, which, other](const error_code& ec) {
        if (state->done) return;  // the other one came first
        state->done = true;
        error_code ignored;
        other->cancel(ignored);
        std::move(state->handler)(ec, which);
      };
    };
    a->async_wait(asio::socket_base::wait_read, on(0, b));
    b->async_wait(asio::socket_base::wait_read, on(1, a));
  };
  return asio::async_initiate<Token, void(error_code, int)>(initiation, token, &first, &second);
}

}  // namespace

asio::awaitable<PassthroughSession::Step> PassthroughSession::connect_upstream(
    const Cluster& cluster) {
  std::array<std::size_t, kMaxConnectAttempts> tried{};
  const std::size_t attempts =
      std::min<std::size_t>(config_->passthrough.connect_attempts, kMaxConnectAttempts);
  for (std::size_t n = 0; n < attempts; ++n) {
    const Clock::time_point begun = Clock::now();
    const auto index =
        ctx_.balancer.pick(cluster, routes_->version, {tried.data(), n}, &ctx_.outliers, begun);
    if (!index) break;
    tried[n] = *index;
    const asio::ip::tcp::endpoint& target = cluster.endpoints[*index].address;
    stats_.connect_attempts.add();
    error_code error;
    const Attempt attempt = co_await try_endpoint(
        target, begun, cluster.policy.connect_timeout.value_or(config_->timeouts.connect), error);
    switch (attempt) {
      case Attempt::kReady:
        on_connected(target);
        co_return std::nullopt;
      case Attempt::kStopped:
        co_return CloseReason::kShutdown;
      case Attempt::kNoDescriptors:
        co_return CloseReason::kNoDescriptors;
      case Attempt::kFailed:
        on_connect_failure(cluster, target, error);
        break;
    }
  }
  co_return CloseReason::kConnectFailed;
}

asio::awaitable<PassthroughSession::Attempt> PassthroughSession::try_endpoint(
    const asio::ip::tcp::endpoint& target, Clock::time_point begun, Clock::duration timeout,
    error_code& error) {
  phase_ = Phase::kConnect;
  upstream_ = asio::ip::tcp::socket(client_.get_executor());
  set_deadline(begun + timeout);
  error = co_await connect_to(target);
  if (!error) error = co_await send_rest_of_hello();
  if (stopped_) co_return Attempt::kStopped;
  // The deadline may have closed the socket just as the connect completed.
  if (!error && !upstream_.is_open()) error = asio::error::timed_out;
  if (error) co_return local_exhaustion(error) ? Attempt::kNoDescriptors : Attempt::kFailed;
  stats_.connect_latency.observe(Clock::now() - begun);
  const Attempt answered = co_await first_byte_arrived(error);
  if (stopped_) co_return Attempt::kStopped;
  if (answered == Attempt::kFailed && error == asio::error::timed_out) {
    stats_.first_byte_timeouts.add();
  }
  co_return answered;
}

// One connect. A connection that has bytes to replay sends them right after
// connect() instead of first waiting to be told the handshake is done: on a
// nearby endpoint it usually is, and then the wait, its wake-up and the poll
// and getsockopt that confirm it are saved. Until the handshake completes,
// send() answers EAGAIN and the attempt waits as usual; a refused connect
// answers its error either way.
asio::awaitable<error_code> PassthroughSession::connect_to(const asio::ip::tcp::endpoint& target) {
  error_code ec;
  upstream_.open(target.protocol(), ec);
  if (!ec) upstream_.native_non_blocking(true, ec);
  if (!ec) upstream_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (ec) co_return ec;
  // Linux hands an accepted socket the listener's keepalive settings
  // (open_acceptor() sets them); an upstream socket needs its own.
  if (config_->tcp_keepalive.enabled)
    set_tcp_keepalive(upstream_.native_handle(), config_->tcp_keepalive);
  const int fd = upstream_.native_handle();
  if (::connect(fd, target.data(), static_cast<socklen_t>(target.size())) != 0 &&
      errno != EINPROGRESS) {
    co_return last_error();
  }
  hello_sent_ = 0;
  const auto hello = hello_.buffered();
  if (!hello.empty()) {
    const ssize_t n = ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      hello_sent_ = static_cast<std::size_t>(n);
      co_return error_code();
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) co_return last_error();
  }
  co_await upstream_.async_wait(asio::socket_base::wait_write,
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec || !upstream_.is_open()) co_return ec ? ec : asio::error::timed_out;
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) co_return last_error();
  co_return error_code(error, asio::error::get_system_category());
}

// What connect_to() could not send at once, within the connect deadline.
asio::awaitable<error_code> PassthroughSession::send_rest_of_hello() {
  const auto rest = hello_.buffered().subspan(hello_sent_);
  error_code ec;
  if (rest.empty()) co_return ec;
  co_await asio::async_write(upstream_, asio::buffer(rest.data(), rest.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

// kReady once the endpoint has sent something (or closed: the relay passes
// that on); kFailed (timed_out) when the deadline closed it first. Only a
// whole ClientHello is waited on: anything else may rightly get no answer
// until more follows. Client bytes that arrive meanwhile go on to the
// endpoint and are kept for the next one; once no more can be kept, the
// wait ends and the relay takes over without a retry.
asio::awaitable<PassthroughSession::Attempt> PassthroughSession::first_byte_arrived(
    error_code& error) {
  const auto bound = config_->timeouts.upstream_first_byte;
  if (!hello_complete_ || bound.count() == 0) co_return Attempt::kReady;
  phase_ = Phase::kFirstByte;
  set_deadline(Clock::now() + bound);
  for (;;) {
    error_code ec;
    const int which = co_await async_wait_either(upstream_, client_,
                                                 asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return Attempt::kStopped;
    if (!upstream_.is_open()) {
      error = asio::error::timed_out;
      co_return Attempt::kFailed;
    }
    if (which == 0) co_return Attempt::kReady;
    const Passed passed = co_await pass_on_client_bytes(error);
    switch (passed) {
      case Passed::kWaitAgain:
        continue;
      case Passed::kRelayNow:
        co_return Attempt::kReady;
      case Passed::kUpstreamFailed:
        co_return Attempt::kFailed;
      case Passed::kStopped:
        co_return Attempt::kStopped;
    }
  }
}

// Moves what the client sent since the hello on to the endpoint, keeping it
// for a replay.
asio::awaitable<PassthroughSession::Passed> PassthroughSession::pass_on_client_bytes(
    error_code& error) {
  const std::span<uint8_t> area = hello_.write_area();
  if (area.empty()) co_return Passed::kRelayNow;  // no room to keep more: no retry from here
  const ssize_t n = ::recv(client_.native_handle(), area.data(), area.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    co_return Passed::kWaitAgain;
  }
  if (n <= 0) co_return Passed::kRelayNow;  // the client closed or failed: the relay says so
  const std::size_t before = hello_.buffered().size();
  hello_.keep(static_cast<std::size_t>(n));
  const auto fresh = hello_.buffered().subspan(before);
  co_await asio::async_write(upstream_, asio::buffer(fresh.data(), fresh.size()),
                             asio::redirect_error(asio::use_awaitable, error));
  if (stopped_) co_return Passed::kStopped;
  if (!upstream_.is_open()) error = asio::error::timed_out;  // the deadline closed it
  co_return error ? Passed::kUpstreamFailed : Passed::kWaitAgain;
}

void PassthroughSession::on_connected(const asio::ip::tcp::endpoint& target) {
  endpoint_ = target;
  upstream_open_ = true;
  ctx_.balancer.on_open(target);
  ctx_.outliers.on_connect_success(target);
  count_bytes(Direction::kFromClient, hello_.buffered().size());
}

void PassthroughSession::on_connect_failure(const Cluster& cluster,
                                            const asio::ip::tcp::endpoint& target,
                                            const error_code& ec) {
  stats_.connect_failures.add();
  spdlog::debug("{}: connect to {}:{} for {} failed: {}", to_string(kind_),
                target.address().to_string(), target.port(), cluster.name, ec.message());
  std::vector<asio::ip::tcp::endpoint> members;
  members.reserve(cluster.endpoints.size());
  for (const UpstreamEndpoint& endpoint : cluster.endpoints)
    members.push_back(endpoint.address);
  const config::Outlier* settings = cluster.policy.outlier ? &*cluster.policy.outlier : nullptr;
  if (ctx_.outliers.on_connect_failure(target, members, Clock::now(), settings)) {
    stats_.ejections.add();
    spdlog::warn("{}: endpoint {}:{} of {} ejected after consecutive connect failures",
                 to_string(kind_), target.address().to_string(), target.port(), cluster.name);
  }
}

}  // namespace meshgate::gateway
