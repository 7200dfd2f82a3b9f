#include "gateway/passthrough_session.h"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <cerrno>

#include "sni/istio_name.h"

namespace meshgate::gateway {
namespace {

using boost::system::error_code;

// SO_LINGER with a zero timeout: close() sends RST instead of FIN.
const asio::socket_base::linger kAbortiveClose(true, 0);

// The first read takes at most this much (a ClientHello is usually far less).
constexpr std::size_t kFirstRead = 16 * 1024;

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

bool has_istio_alpn(const sni::ClientHello& hello) {
  for (const std::string& protocol : hello.alpn) {
    if (sni::is_istio_alpn(protocol)) return true;
  }
  return false;
}

}  // namespace

PassthroughSession::PassthroughSession(asio::ip::tcp::socket client,
                                       const asio::ip::tcp::endpoint& peer, WorkerContext& ctx,
                                       ListenerKind kind, AdmissionTicket ticket)
    : ctx_(ctx),
      kind_(kind),
      ticket_(std::move(ticket)),
      config_(ctx.config),
      stats_(ctx.stats_for(kind)),
      routes_(ctx.routes),
      client_(std::move(client)),
      upstream_(client_.get_executor()),
      timer_(client_.get_executor()),
      from_client_(*this, client_, upstream_, {ctx.scratch, ctx.pipes}),
      from_upstream_(*this, upstream_, client_, {ctx.scratch, ctx.pipes}),
      hello_(config_->limits.max_client_hello_bytes),
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
  from_client_.release();
  from_upstream_.release();
  timer_.cancel();
  account_close(reason);
  write_access_log(reason);
}

void PassthroughSession::account_close(CloseReason reason) {
  ctx_.sessions.erase(this);
  stats_.active.sub();
  stats_.closed_by(reason).add();
  if (route_stats_ != nullptr) route_stats_->active.sub();
  ticket_.reset();
  cluster_slot_.release();
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
  // GCC 12 mishandles co_await inside a condition: each result is a statement of its own.
  Step end = co_await read_client_hello();
  const Cluster* cluster = nullptr;
  if (!end) end = route(cluster);
  if (!end) end = co_await connect_upstream(*cluster);
  if (end) co_return stop(*end);

  phase_ = Phase::kRelay;
  set_deadline(Clock::now() + config_->timeouts.idle);
  hello_ = sni::ClientHelloParser(0);  // the hello is replayed: free its buffer
  start_relay();
}

// On 15443 a whole ClientHello, or why not. On the istiod ports the first
// bytes, whatever they are: read whole while they are a ClientHello (so a
// silent endpoint can be retried), relayed as they come otherwise.
asio::awaitable<PassthroughSession::Step> PassthroughSession::read_client_hello() {
  const std::optional<sni::ParseResult> first = co_await read_first_bytes();
  if (stopped_) co_return CloseReason::kShutdown;
  if (!first) co_return CloseReason::kClientClosedEarly;
  sni::ParseResult result = *first;
  while (result.status == sni::ParseStatus::kNeedMore) {
    error_code ec;
    const auto area = hello_.write_area();
    if (area.empty()) break;  // the parser said kTooLarge first; bytes that are no hello: relay
    const std::size_t n = co_await client_.async_read_some(
        asio::buffer(area.data(), area.size()), asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return CloseReason::kShutdown;
    if (ec) co_return CloseReason::kClientClosedEarly;
    result = hello_.commit(n);
  }
  if (result.status == sni::ParseStatus::kDone) {
    hello_complete_ = true;
    stats_.hellos_parsed.add();
    co_return std::nullopt;
  }
  if (kind_ != ListenerKind::kPassthrough) co_return std::nullopt;  // relayed as it is
  spdlog::debug("passthrough: ClientHello rejected: {} ({})", to_string(result.status),
                result.detail);
  co_return reason_for(result.status);
}

// Until its first bytes come, a connection holds no buffer of its own: they
// are read into the worker's scratch buffer (which no wait holds) and only
// then copied into the parser's. Thousands of clients that connect and say
// nothing cost the socket and the session, not 2 KiB more each.
// Nothing when the client closed or failed first (or the session stopped).
asio::awaitable<std::optional<sni::ParseResult>> PassthroughSession::read_first_bytes() {
  std::vector<uint8_t>& scratch = ctx_.scratch;
  const std::size_t size = std::min<std::size_t>(hello_.max_bytes(), kFirstRead);
  for (;;) {
    if (scratch.size() < size) scratch.resize(size);
    const ssize_t n = ::recv(client_.native_handle(), scratch.data(), size, MSG_DONTWAIT);
    if (n > 0) co_return hello_.feed({scratch.data(), static_cast<std::size_t>(n)});
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) co_return std::nullopt;
    error_code ec;
    co_await client_.async_wait(asio::socket_base::wait_read,
                                asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_ || ec) co_return std::nullopt;
  }
}

PassthroughSession::Step PassthroughSession::route(const Cluster*& cluster) {
  if (kind_ == ListenerKind::kPassthrough) {
    if (Step end = route_by_sni(cluster)) return end;
  } else {
    cluster = routes_->upstream(kind_).get();
    if (cluster == nullptr) return CloseReason::kUnknownService;
  }
  cluster_ = cluster;
  route_stats_ = &ctx_.route_stats.get(cluster->name);
  route_stats_->opened.add();
  route_stats_->active.add();
  if (cluster->endpoints.empty()) return CloseReason::kNoEndpoint;
  const ClusterPolicy& policy = cluster->policy;
  if (policy.max_connections && policy.open) {
    cluster_slot_ = ClusterSlot::take(policy.open, *policy.max_connections);
    if (!cluster_slot_) return CloseReason::kClusterOverflow;
  }
  return std::nullopt;
}

PassthroughSession::Step PassthroughSession::route_by_sni(const Cluster*& cluster) {
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
    return lookup.reason == RouteMiss::kNoEndpoint ? CloseReason::kNoEndpoint
                                                   : CloseReason::kUnknownService;
  }
  cluster = lookup.cluster;
  return std::nullopt;
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
    case Phase::kConnect:
    case Phase::kFirstByte: {
      // Abort this attempt only; connect_upstream() moves on to another endpoint.
      deadline_ = Clock::time_point::max();
      error_code ec;
      upstream_.close(ec);
      return;
    }
    case Phase::kRelay:
      return stop(flows_running_ < 2 ? CloseReason::kHalfClosedTimeout : CloseReason::kIdleTimeout);
  }
}

// How long the relay may go without a byte: timeouts.idle, or once one
// direction has finished, timeouts.half_closed when that is shorter.
PassthroughSession::Clock::duration PassthroughSession::idle_bound() const {
  const Clock::duration idle = config_->timeouts.idle;
  const Clock::duration half_closed = config_->timeouts.half_closed;
  if (flows_running_ < 2 && half_closed.count() > 0) return std::min(idle, half_closed);
  return idle;
}

void PassthroughSession::extend_idle_deadline() {
  // Only ever later than the armed deadline: the watchdog wakes at the old
  // one, sees it moved and sleeps again, so no timer is touched per read.
  deadline_ = Clock::now() + idle_bound();
}

void PassthroughSession::set_deadline(Clock::time_point deadline) {
  deadline_ = deadline;
  // Before the watchdog would wake: its handler re-arms for the nearer one.
  if (deadline < armed_) timer_.cancel();
}

}  // namespace meshgate::gateway
