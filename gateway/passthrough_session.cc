#include "gateway/passthrough_session.h"

#include <spdlog/spdlog.h>

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

bool has_istio_alpn(const sni::ClientHello& hello) {
  for (const std::string& protocol : hello.alpn) {
    if (sni::is_istio_alpn(protocol)) return true;
  }
  return false;
}

}  // namespace

PassthroughSession::PassthroughSession(asio::ip::tcp::socket client, WorkerContext& ctx)
    : ctx_(ctx),
      client_(std::move(client)),
      upstream_(client_.get_executor()),
      timer_(client_.get_executor()),
      hello_(ctx.config->limits.max_client_hello_bytes) {}

void PassthroughSession::start() {
  ctx_.sessions.insert(this);
  ctx_.stats.accepted.add();
  ctx_.stats.active.add();
  error_code ec;
  client_.set_option(asio::ip::tcp::no_delay(true), ec);
  deadline_ = Clock::now() + ctx_.config->timeouts.client_hello;
  try {
    spawn(watchdog());
    spawn(run());
  } catch (const std::exception& e) {  // coroutine frames could not be allocated
    spdlog::error("passthrough: cannot start a session: {}", e.what());
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
                     spdlog::error("passthrough: session task failed: {}", e.what());
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
  timer_.cancel();
  account_close(reason);
}

void PassthroughSession::account_close(CloseReason reason) {
  ctx_.sessions.erase(this);
  ctx_.stats.active.sub();
  ctx_.stats.closed_by(reason).add();
  ctx_.limit.release();
  if (upstream_open_) ctx_.balancer.on_close(endpoint_);
  if (reason != CloseReason::kCompleted) {
    spdlog::debug("passthrough: closed sni='{}' reason={}", sni_, to_string(reason));
  }
}

asio::awaitable<void> PassthroughSession::run() {
  CloseReason reason = co_await read_client_hello();
  if (stopped_) co_return;
  if (reason != CloseReason::kCompleted) co_return stop(reason);

  RouteTablePtr table;
  const Cluster* cluster = nullptr;
  reason = route(table, cluster);
  if (reason != CloseReason::kCompleted) co_return stop(reason);

  phase_ = Phase::kConnect;
  reason = co_await connect_upstream(*cluster, table->version());
  if (stopped_) co_return;
  if (reason != CloseReason::kCompleted) co_return stop(reason);

  phase_ = Phase::kRelay;
  set_deadline(Clock::now() + ctx_.config->timeouts.idle);
  error_code ec;
  const auto hello = hello_.buffered();
  co_await asio::async_write(upstream_, asio::buffer(hello.data(), hello.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (stopped_) co_return;
  if (ec) co_return stop(CloseReason::kUpstreamReset);
  ctx_.stats.bytes_from_client.add(hello.size());
  hello_ = sni::ClientHelloParser(0);  // the hello is replayed: free its buffer

  pumps_running_ = 2;
  spawn(pump(Direction::kFromClient));
  spawn(pump(Direction::kFromUpstream));
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

CloseReason PassthroughSession::route(RouteTablePtr& table, const Cluster*& cluster) {
  const sni::ClientHello& hello = hello_.hello();
  if (!hello.has_server_name) return CloseReason::kNoSni;
  sni_ = hello.server_name;
  const sni::NameParse name = sni::parse_sni(hello.server_name);
  if (!name.ok()) return CloseReason::kBadSni;
  if (ctx_.config->passthrough.require_istio_alpn && !has_istio_alpn(hello)) {
    return CloseReason::kAlpnMissing;
  }
  table = ctx_.routes;
  if (!table) return CloseReason::kUnknownService;
  const RouteLookup lookup = table->find(name.name);
  if (lookup.cluster == nullptr) {
    spdlog::debug("passthrough: no route for sni='{}': {}", sni_, lookup.detail);
    return lookup.reason;
  }
  cluster = lookup.cluster;
  return CloseReason::kCompleted;
}

asio::awaitable<CloseReason> PassthroughSession::connect_upstream(const Cluster& cluster,
                                                                  uint64_t version) {
  std::array<std::size_t, kMaxConnectAttempts> tried{};
  const std::size_t attempts =
      std::min<std::size_t>(ctx_.config->passthrough.connect_attempts, kMaxConnectAttempts);
  for (std::size_t n = 0; n < attempts; ++n) {
    const auto index = ctx_.balancer.pick(cluster, version, {tried.data(), n});
    if (!index) break;
    tried[n] = *index;
    const asio::ip::tcp::endpoint& target = cluster.endpoints[*index].address;
    ctx_.stats.connect_attempts.add();
    upstream_ = asio::ip::tcp::socket(client_.get_executor());
    set_deadline(Clock::now() + ctx_.config->timeouts.connect);
    error_code ec;
    co_await upstream_.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return CloseReason::kShutdown;
    if (!ec) {
      endpoint_ = target;
      upstream_open_ = true;
      ctx_.balancer.on_open(target);
      upstream_.set_option(asio::ip::tcp::no_delay(true), ec);
      co_return CloseReason::kCompleted;
    }
    if (local_exhaustion(ec)) co_return CloseReason::kNoDescriptors;
    ctx_.stats.connect_failures.add();
    spdlog::debug("passthrough: connect to {} for {} failed: {}", target.address().to_string(),
                  cluster.name, ec.message());
  }
  co_return CloseReason::kConnectFailed;
}

asio::awaitable<void> PassthroughSession::pump(Direction direction) {
  const bool from_client = direction == Direction::kFromClient;
  asio::ip::tcp::socket& from = from_client ? client_ : upstream_;
  asio::ip::tcp::socket& to = from_client ? upstream_ : client_;
  Counter& bytes = from_client ? ctx_.stats.bytes_from_client : ctx_.stats.bytes_from_upstream;
  std::vector<uint8_t> buffer(ctx_.config->limits.buffer_bytes);
  for (;;) {
    error_code ec;
    const std::size_t n = co_await from.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    if (ec == asio::error::eof) break;
    if (ec) co_return stop(from_client ? CloseReason::kClientReset : CloseReason::kUpstreamReset);
    extend_idle_deadline();
    co_await asio::async_write(to, asio::buffer(buffer.data(), n),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    if (ec) co_return stop(from_client ? CloseReason::kUpstreamReset : CloseReason::kClientReset);
    bytes.add(n);
    extend_idle_deadline();
  }
  // Half-close: carry the FIN across; the other direction keeps flowing.
  error_code ec;
  to.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (--pumps_running_ == 0) stop(CloseReason::kCompleted);
}

asio::awaitable<void> PassthroughSession::watchdog() {
  while (!stopped_) {
    timer_.expires_at(deadline_);
    error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) co_return;
    if (Clock::now() >= deadline_) on_deadline();
  }
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
  deadline_ = Clock::now() + ctx_.config->timeouts.idle;
}

void PassthroughSession::set_deadline(Clock::time_point deadline) {
  const bool earlier = deadline < deadline_;
  deadline_ = deadline;
  if (earlier) timer_.cancel();  // the watchdog re-arms for the nearer deadline
}

}  // namespace meshgate::gateway
