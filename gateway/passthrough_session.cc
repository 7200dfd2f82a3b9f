#include "gateway/passthrough_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include "sni/istio_name.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

constexpr std::size_t kMaxConnectAttempts = 16;
// SO_LINGER with a zero timeout: close() sends RST instead of FIN.
const asio::socket_base::linger kAbortiveClose(true, 0);

// The process, not the endpoint, is out of resources: trying another
// endpoint cannot help, and the endpoint must not be blamed.
bool local_exhaustion(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory;
}

CloseReason reason_for(sni::ParseStatus status) {
  switch (status) {
    case sni::ParseStatus::kNotTls:
      return CloseReason::kNotTls;
    case sni::ParseStatus::kTooLarge:
      return CloseReason::kHelloTooLarge;
    default:
      return CloseReason::kHelloMalformed;
  }
}

error_code last_error() {
  return error_code(errno, asio::error::get_system_category());
}

bool has_istio_alpn(const sni::ClientHello& hello) {
  for (const std::string& protocol : hello.alpn) {
    if (sni::is_istio_alpn(protocol)) return true;
  }
  return false;
}

}  // namespace

PassthroughSession::PassthroughSession(asio::ip::tcp::socket client,
                                       const asio::ip::tcp::endpoint& peer, WorkerContext& ctx,
                                       ListenerKind kind)
    : ctx_(ctx),
      kind_(kind),
      config_(ctx.config),
      stats_(ctx.stats_for(kind)),
      routes_(ctx.routes),
      client_(std::move(client)),
      upstream_(client_.get_executor()),
      timer_(client_.get_executor()),
      hello_(kind == ListenerKind::kPassthrough ? config_->limits.max_client_hello_bytes : 0),
      peer_(peer) {}

void PassthroughSession::start() {
  ctx_.sessions.insert(this);
  stats_.accepted.add();
  stats_.active.add();
  error_code ec;
  client_.set_option(asio::ip::tcp::no_delay(true), ec);
  const Clock::time_point now = Clock::now();
  deadline_ = now + config_->timeouts.client_hello;
  try {
    // First wake-up no later than a connect deadline can fall, so that
    // entering the connect phase moves no timer (one timerfd_settime less
    // per connection); the watchdog then sleeps on to the real deadline.
    arm_watchdog(now + std::min(config_->timeouts.client_hello, config_->timeouts.connect));
    spawn(run());
  } catch (const std::exception& e) {  // coroutine frames could not be allocated
    spdlog::error("{}: cannot start a session: {}", to_string(kind_), e.what());
    stop(CloseReason::kInternalError);
  }
}

void PassthroughSession::spawn(asio::awaitable<void> task) {
  asio::co_spawn(client_.get_executor(), std::move(task),
                 [self = shared_from_this()](std::exception_ptr error) {
                   if (!error) return;
                   // Cannot happen short of memory exhaustion; never lose it silently.
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     spdlog::error("{}: session task failed: {}", to_string(self->kind_), e.what());
                   }
                   self->stop(CloseReason::kInternalError);
                 });
}

void PassthroughSession::stop(CloseReason reason) {
  if (stopped_) return;
  stopped_ = true;
  error_code ec;
  // Pass a reset on as a reset, so the other peer can tell it from a clean end.
  if (reason == CloseReason::kClientReset) upstream_.set_option(kAbortiveClose, ec);
  if (reason == CloseReason::kUpstreamReset) client_.set_option(kAbortiveClose, ec);
  client_.close(ec);
  upstream_.close(ec);
  give_back_pipe(Direction::kFromClient);
  give_back_pipe(Direction::kFromUpstream);
  timer_.cancel();
  account_close(reason);
  write_access_log(reason);
}

void PassthroughSession::account_close(CloseReason reason) {
  ctx_.sessions.erase(this);
  stats_.active.sub();
  stats_.closed_by(reason).add();
  if (route_stats_ != nullptr) route_stats_->active.sub();
  ctx_.limit.release();
  if (upstream_open_) ctx_.balancer.on_close(endpoint_);
  if (reason != CloseReason::kCompleted) {
    spdlog::debug("{}: closed sni='{}' reason={}", to_string(kind_), sni_, to_string(reason));
  }
}

void PassthroughSession::write_access_log(CloseReason reason) {
  if (!ctx_.access_log) return;
  AccessRecord record;
  record.start = started_wall_;
  record.client = peer_;
  record.listener = to_string(kind_);
  record.sni = sni_;
  if (cluster_ != nullptr) record.route = cluster_->name;
  if (upstream_open_) record.endpoint = endpoint_;
  record.bytes_from_client = bytes_from_client_;
  record.bytes_from_upstream = bytes_from_upstream_;
  record.duration = Clock::now() - started_;
  record.reason = to_string(reason);
  ctx_.access_log->write(record);
}

asio::awaitable<void> PassthroughSession::run() {
  if (kind_ == ListenerKind::kPassthrough) {
    const CloseReason hello = co_await read_client_hello();
    if (stopped_) co_return;
    if (hello != CloseReason::kCompleted) co_return stop(hello);
    stats_.hellos_parsed.add();
  }
  const Cluster* cluster = nullptr;
  CloseReason reason = route(cluster);
  if (reason != CloseReason::kCompleted) co_return stop(reason);

  phase_ = Phase::kConnect;
  reason = co_await connect_upstream(*cluster);
  if (stopped_) co_return;
  if (reason != CloseReason::kCompleted) co_return stop(reason);

  phase_ = Phase::kRelay;
  set_deadline(Clock::now() + config_->timeouts.idle);
  const auto hello = hello_.buffered().subspan(hello_sent_);  // connect may have sent some
  if (!hello.empty()) {
    error_code ec;
    co_await asio::async_write(upstream_, asio::buffer(hello.data(), hello.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    if (ec) co_return stop(CloseReason::kUpstreamReset);
    count_bytes(Direction::kFromClient, hello.size());
  }
  hello_ = sni::ClientHelloParser(0);  // the hello is replayed: free its buffer

  start_relay();
}

asio::awaitable<CloseReason> PassthroughSession::read_client_hello() {
  for (;;) {
    error_code ec;
    const auto area = hello_.write_area();
    if (area.empty()) co_return CloseReason::kHelloTooLarge;  // parser reports it first
    const std::size_t n = co_await client_.async_read_some(
        asio::buffer(area.data(), area.size()), asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return CloseReason::kShutdown;
    if (ec) co_return CloseReason::kClientClosedEarly;
    const sni::ParseResult result = hello_.commit(n);
    if (result.status == sni::ParseStatus::kNeedMore) continue;
    if (result.status == sni::ParseStatus::kDone) co_return CloseReason::kCompleted;
    spdlog::debug("passthrough: ClientHello rejected: {} ({})", to_string(result.status),
                  result.detail);
    co_return reason_for(result.status);
  }
}

CloseReason PassthroughSession::route(const Cluster*& cluster) {
  if (kind_ == ListenerKind::kPassthrough) {
    const CloseReason reason = route_by_sni(cluster);
    if (reason != CloseReason::kCompleted) return reason;
  } else {
    cluster = routes_->upstream(kind_).get();
    if (cluster == nullptr) return CloseReason::kUnknownService;
  }
  cluster_ = cluster;
  route_stats_ = &ctx_.route_stats.get(cluster->name);
  route_stats_->opened.add();
  route_stats_->active.add();
  return cluster->endpoints.empty() ? CloseReason::kNoEndpoint : CloseReason::kCompleted;
}

CloseReason PassthroughSession::route_by_sni(const Cluster*& cluster) {
  const sni::ClientHello& hello = hello_.hello();
  if (!hello.has_server_name) return CloseReason::kNoSni;
  sni_ = hello.server_name;
  const sni::NameParse name = sni::parse_sni(hello.server_name);
  if (!name.ok()) return CloseReason::kBadSni;
  if (config_->passthrough.require_istio_alpn && !has_istio_alpn(hello)) {
    return CloseReason::kAlpnMissing;
  }
  if (!routes_->table) return CloseReason::kUnknownService;
  const RouteLookup lookup = routes_->table->find(name.name);
  if (lookup.cluster == nullptr) {
    spdlog::debug("passthrough: no route for sni='{}': {}", sni_, lookup.detail);
    return lookup.reason;
  }
  cluster = lookup.cluster;
  return CloseReason::kCompleted;
}

asio::awaitable<CloseReason> PassthroughSession::connect_upstream(const Cluster& cluster) {
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
    upstream_ = asio::ip::tcp::socket(client_.get_executor());
    set_deadline(begun + config_->timeouts.connect);
    error_code ec = co_await connect_to(target);
    if (stopped_) co_return CloseReason::kShutdown;
    // The deadline may have closed the socket just as the connect completed.
    if (!ec && !upstream_.is_open()) ec = asio::error::timed_out;
    if (!ec) {
      stats_.connect_latency.observe(Clock::now() - begun);
      endpoint_ = target;
      upstream_open_ = true;
      ctx_.balancer.on_open(target);
      ctx_.outliers.on_connect_success(target);
      if (hello_sent_ > 0) count_bytes(Direction::kFromClient, hello_sent_);
      co_return CloseReason::kCompleted;
    }
    if (local_exhaustion(ec)) co_return CloseReason::kNoDescriptors;
    on_connect_failure(cluster, target, ec);
  }
  co_return CloseReason::kConnectFailed;
}

// One connect attempt. A connection that has a ClientHello to replay sends
// it right after connect() instead of first waiting to be told the
// handshake is done: on a nearby endpoint it usually is, and then the wait,
// its wake-up and the poll and getsockopt that confirm it are saved. Until
// the handshake completes, send() answers EAGAIN and the attempt waits as
// usual; a refused connect answers its error either way.
asio::awaitable<error_code> PassthroughSession::connect_to(const asio::ip::tcp::endpoint& target) {
  error_code ec;
  upstream_.open(target.protocol(), ec);
  if (!ec) upstream_.native_non_blocking(true, ec);
  if (!ec) upstream_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (ec) co_return ec;
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
  if (ctx_.outliers.on_connect_failure(target, members, Clock::now())) {
    stats_.ejections.add();
    spdlog::warn("{}: endpoint {}:{} of {} ejected after consecutive connect failures",
                 to_string(kind_), target.address().to_string(), target.port(), cluster.name);
  }
}

void PassthroughSession::count_bytes(Direction direction, std::size_t n) {
  const bool from_client = direction == Direction::kFromClient;
  (from_client ? stats_.bytes_from_client : stats_.bytes_from_upstream).add(n);
  (from_client ? bytes_from_client_ : bytes_from_upstream_) += n;
  if (route_stats_ != nullptr) {
    (from_client ? route_stats_->bytes_from_client : route_stats_->bytes_from_upstream).add(n);
  }
}

// A timer wait per deadline: the handler re-arms it when the deadline has
// moved later meanwhile (relay activity), so activity touches no timer.
void PassthroughSession::arm_watchdog(Clock::time_point wake) {
  armed_ = wake;
  timer_.expires_at(wake);
  timer_.async_wait([self = shared_from_this()](const error_code&) {
    if (self->stopped_) return;
    if (Clock::now() >= self->deadline_) self->on_deadline();
    if (!self->stopped_) self->arm_watchdog(self->deadline_);
  });
}

void PassthroughSession::on_deadline() {
  switch (phase_) {
    case Phase::kHello:
      return stop(CloseReason::kHelloTimeout);
    case Phase::kConnect: {
      // Abort this attempt only; connect_upstream() moves on to another endpoint.
      deadline_ = Clock::time_point::max();
      error_code ec;
      upstream_.close(ec);
      return;
    }
    case Phase::kRelay:
      return stop(CloseReason::kIdleTimeout);
  }
}

void PassthroughSession::extend_idle_deadline() {
  // Only ever later than the armed deadline: the watchdog wakes at the old
  // one, sees it moved and sleeps again, so no timer is touched per read.
  deadline_ = Clock::now() + config_->timeouts.idle;
}

void PassthroughSession::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // Before the watchdog would wake: its handler re-arms for the nearer one.
  if (deadline < armed_) timer_.cancel();
}

}  // namespace meshgate::gateway
