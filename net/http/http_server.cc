#include "net/http/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <limits>
#include <mutex>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/connection_table.h"

namespace meshgate::net::http {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// After a response that closes, read and drop what the client still sends for
// a short while so that closing with unread data does not reset the response.
constexpr std::size_t kLingerBytes = 64 * 1024;
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::chrono::milliseconds kAcceptBackoff{100};

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// What one request/response exchange leaves the connection to do next.
enum class Next { keep_alive, close, linger_close };

std::string describe(const tcp::endpoint& at) {
  return at.address().to_string() + ":" + std::to_string(at.port());
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

bool is_parse_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// Header values must not smuggle line breaks or other control characters.
bool is_clean_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && u != '\t') || u == 0x7f;
  });
}

void add_common_fields(Response& res, std::string_view content_type) {
  res.set(bhttp::field::server, "meshgate");
  res.set(bhttp::field::content_type, beast::string_view(content_type.data(), content_type.size()));
}

Response error_response(bhttp::status status, std::string_view text) {
  Response res{status, 11};
  add_common_fields(res, "text/plain; charset=utf-8");
  res.body() = std::string(text) + "\n";
  res.content_length(res.body().size());
  res.keep_alive(false);
  return res;
}

struct Counters {
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> bad_requests{0};
  std::atomic<uint64_t> timeouts{0};
  std::atomic<uint64_t> evicted{0};
  std::atomic<uint64_t> client_cap{0};
};

// Per-client caps count IPv4 addresses and IPv6 /64s.
base::PrefixKey client_of(const tcp::endpoint& peer) {
  const asio::ip::address address = peer.address();
  if (address.is_v4()) return base::prefix_key(address.to_v4().to_bytes(), 32, 64);
  return base::prefix_key(address.to_v6().to_bytes(), 32, 64);
}

void bump(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

uint64_t load(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, std::string name, HttpHandler handler, HttpServerLimits limits)
      : io_(io),
        name_(std::move(name)),
        handler_(std::move(handler)),
        limits_(limits),
        table_(limits.max_connections, limits.max_connections_per_client) {}

  tcp::endpoint listen(const tcp::endpoint& at);
  void stop();
  void set_limits(const HttpServerLimits& limits);
  tcp::endpoint local_endpoint() const;
  HttpServerStats stats() const;

 private:
  // One accepted connection. Its serve coroutine is the only owner; live_
  // only points at it so that stop() or an eviction can close it.
  struct Connection {
    Connection(std::shared_ptr<Impl> owner_in, uint64_t id_in, tcp::socket socket,
               std::size_t buffer_limit)
        : owner(std::move(owner_in)), id(id_in), stream(std::move(socket)), buffer(buffer_limit) {
      owner->live_.emplace(id, this);
    }
    ~Connection() {
      owner->table_.remove(id);
      owner->live_.erase(id);
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Wakes the serve coroutine, which ends; a request already buffered is not served.
    void close() {
      stopped = true;
      stream.close();
    }

    std::shared_ptr<Impl> owner;
    const uint64_t id;
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    bool stopped = false;
  };

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self,
                                           std::shared_ptr<tcp::acceptor> acceptor);
  static asio::awaitable<void> serve(std::unique_ptr<Connection> conn);
  void on_accept(tcp::socket socket, const tcp::endpoint& peer);
  void make_room(const base::PrefixKey& client);
  asio::awaitable<Next> serve_one(Connection& conn, bool first);
  asio::awaitable<bool> wait_for_request(Connection& conn);
  asio::awaitable<Next> reject(Connection& conn, const error_code& ec, bool header_done);
  asio::awaitable<Next> write(Connection& conn, Response res, Next after);
  asio::awaitable<void> linger_close(Connection& conn);
  Response answer(const Request& req);
  HttpResponse call_handler(const HttpRequest& req);

  asio::io_context& io_;
  const std::string name_;
  const HttpHandler handler_;
  HttpServerLimits limits_;
  std::shared_ptr<tcp::acceptor> acceptor_;
  mutable std::mutex bound_mutex_;  // local_endpoint() is read from other threads
  tcp::endpoint bound_;
  base::ConnectionTable table_;  // open connections, stalest first
  std::unordered_map<uint64_t, Connection*> live_;
  uint64_t next_id_ = 0;
  Counters counters_;
};

tcp::endpoint HttpServer::Impl::listen(const tcp::endpoint& at) {
  auto acceptor = std::make_shared<tcp::acceptor>(io_);
  error_code ec;
  acceptor->open(at.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(at, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  tcp::endpoint bound;
  if (!ec) bound = acceptor->local_endpoint(ec);
  if (ec) throw std::system_error(ec, "cannot listen on " + describe(at));

  if (acceptor_) {
    error_code ignored;
    acceptor_->close(ignored);  // its accept loop wakes with operation_aborted and ends
  }
  acceptor_ = acceptor;
  {
    std::lock_guard lock(bound_mutex_);
    bound_ = bound;
  }
  asio::co_spawn(io_, accept_loop(shared_from_this(), std::move(acceptor)),
                 [name = name_](std::exception_ptr error) {
                   if (error)
                     spdlog::critical("{}: accept loop ended by an exception: {}", name,
                                      describe(std::move(error)));
                 });
  spdlog::info("{}: HTTP listening on {}", name_, describe(bound));
  return bound;
}

void HttpServer::Impl::stop() {
  if (acceptor_) {
    error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
    std::lock_guard lock(bound_mutex_);
    bound_ = {};
  }
  // Closing only wakes the coroutines later, so the map does not change here;
  // walk a copy anyway.
  std::vector<Connection*> live;
  for (const auto& [id, conn] : live_)
    live.push_back(conn);
  for (Connection* conn : live)
    conn->close();
}

void HttpServer::Impl::set_limits(const HttpServerLimits& limits) {
  limits_ = limits;
  table_.set_limits(limits.max_connections, limits.max_connections_per_client);
}

tcp::endpoint HttpServer::Impl::local_endpoint() const {
  std::lock_guard lock(bound_mutex_);
  return bound_;
}

HttpServerStats HttpServer::Impl::stats() const {
  HttpServerStats s;
  s.connections = load(counters_.connections);
  s.requests = load(counters_.requests);
  s.bad_requests = load(counters_.bad_requests);
  s.timeouts = load(counters_.timeouts);
  s.evicted = load(counters_.evicted);
  s.client_cap = load(counters_.client_cap);
  return s;
}

asio::awaitable<void> HttpServer::Impl::accept_loop(std::shared_ptr<Impl> self,
                                                    std::shared_ptr<tcp::acceptor> acceptor) {
  asio::steady_timer backoff(self->io_);
  while (acceptor->is_open()) {
    tcp::socket socket(self->io_);
    tcp::endpoint peer;
    error_code ec;
    co_await acceptor->async_accept(socket, peer, asio::redirect_error(asio::use_awaitable, ec));
    if (!acceptor->is_open() || ec == asio::error::operation_aborted) break;
    if (!ec) {
      self->on_accept(std::move(socket), peer);
      continue;
    }
    // Out of descriptors and the like: wait a little rather than spin.
    spdlog::warn("{}: accept failed: {}", self->name_, ec.message());
    backoff.expires_after(kAcceptBackoff);
    co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void HttpServer::Impl::on_accept(tcp::socket socket, const tcp::endpoint& peer) {
  const base::PrefixKey client = client_of(peer);
  make_room(client);
  bump(counters_.connections);
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);  // small responses go out at once
  const std::size_t buffer_limit =
      std::min(limits_.max_header_bytes, std::numeric_limits<std::size_t>::max() - kReadChunk) +
      kReadChunk;
  // Registered now, not when the coroutine first runs, so the counts are exact.
  auto conn =
      std::make_unique<Connection>(shared_from_this(), ++next_id_, std::move(socket), buffer_limit);
  table_.add(conn->id, client);
  asio::co_spawn(io_, serve(std::move(conn)), [name = name_](std::exception_ptr error) {
    if (error)
      spdlog::error("{}: HTTP connection ended by an exception: {}", name,
                    describe(std::move(error)));
  });
}

// Closes whoever must give up a slot for one more connection from `client`.
void HttpServer::Impl::make_room(const base::PrefixKey& client) {
  for (;;) {
    const base::ConnectionTable::Room room = table_.make_room(client);
    if (room.evict == 0) return;
    const bool client_cap = room.why == base::ConnectionTable::Eviction::kClientCap;
    bump(client_cap ? counters_.client_cap : counters_.evicted);
    spdlog::debug("{}: closing the stalest connection{} to make room", name_,
                  client_cap ? " of a client at its cap" : "");
    if (const auto found = live_.find(room.evict); found != live_.end()) found->second->close();
  }
}

asio::awaitable<void> HttpServer::Impl::serve(std::unique_ptr<Connection> conn) {
  Impl& self = *conn->owner;
  Next next = Next::keep_alive;
  for (bool first = true; next == Next::keep_alive; first = false) {
    next = co_await self.serve_one(*conn, first);
  }
  if (next == Next::linger_close) co_await self.linger_close(*conn);
  conn->stream.close();
}

// On a kept-alive connection, waits up to idle_timeout for the first byte of
// the next request (unless one is already buffered). False: close now.
asio::awaitable<bool> HttpServer::Impl::wait_for_request(Connection& conn) {
  if (conn.buffer.size() > 0) co_return true;
  conn.stream.expires_after(limits_.idle_timeout);
  error_code ec;
  const std::size_t n = co_await conn.stream.async_read_some(
      conn.buffer.prepare(kReadChunk), asio::redirect_error(asio::use_awaitable, ec));
  conn.buffer.commit(n);
  if (ec == beast::error::timeout) {
    bump(counters_.timeouts);
    spdlog::debug("{}: idle keep-alive connection timed out", name_);
  }
  co_return !ec;
}

asio::awaitable<Next> HttpServer::Impl::serve_one(Connection& conn, bool first) {
  // A fresh connection has request_timeout from accept to the end of its first
  // request; later requests get it from their first byte.
  if (first) {
    conn.stream.expires_after(limits_.request_timeout);
  } else {
    if (!co_await wait_for_request(conn)) co_return Next::close;
    conn.stream.expires_after(limits_.request_timeout);
  }
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(limits_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(static_cast<std::uint64_t>(limits_.max_body_bytes));
  error_code ec;
  co_await bhttp::async_read(conn.stream, conn.buffer, parser,
                             asio::redirect_error(asio::use_awaitable, ec));
  if (conn.stopped) co_return Next::close;
  if (ec) co_return co_await reject(conn, ec, parser.is_header_done());
  const Request& req = parser.get();
  Response res = answer(req);
  const Next after = req.keep_alive() ? Next::keep_alive : Next::linger_close;
  co_return co_await write(conn, std::move(res), after);
}

// A read that failed: a timeout or a vanished peer closes; a bad request gets
// its 4xx first.
asio::awaitable<Next> HttpServer::Impl::reject(Connection& conn, const error_code& ec,
                                               bool header_done) {
  if (ec == beast::error::timeout) {
    bump(counters_.timeouts);
    spdlog::debug("{}: request not complete within {} ms", name_, limits_.request_timeout.count());
    co_return Next::close;
  }
  if (ec == bhttp::error::end_of_stream || !is_parse_error(ec)) co_return Next::close;
  bump(counters_.bad_requests);
  spdlog::debug("{}: bad request: {}", name_, ec.message());
  const bool header_too_large =
      ec == bhttp::error::header_limit || (ec == bhttp::error::buffer_overflow && !header_done);
  if (header_too_large) {
    co_return co_await write(
        conn,
        error_response(bhttp::status::request_header_fields_too_large, "request header too large"),
        Next::linger_close);
  }
  const bool body_too_large = ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow;
  if (body_too_large) {
    co_return co_await write(
        conn, error_response(bhttp::status::payload_too_large, "request body too large"),
        Next::linger_close);
  }
  co_return co_await write(conn, error_response(bhttp::status::bad_request, "bad request"),
                           Next::linger_close);
}

asio::awaitable<Next> HttpServer::Impl::write(Connection& conn, Response res, Next after) {
  // A client that never reads must not hold the connection: bound the write too.
  conn.stream.expires_after(limits_.request_timeout);
  error_code ec;
  co_await bhttp::async_write(conn.stream, res, asio::redirect_error(asio::use_awaitable, ec));
  if (ec == beast::error::timeout) {
    bump(counters_.timeouts);
    spdlog::debug("{}: response not taken within {} ms", name_, limits_.request_timeout.count());
  }
  if (ec) co_return Next::close;
  table_.touch(conn.id);  // it finished something: the last to be evicted
  co_return after;
}

asio::awaitable<void> HttpServer::Impl::linger_close(Connection& conn) {
  error_code ec;
  conn.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  conn.stream.expires_after(std::min(limits_.request_timeout, kLingerTime));
  std::array<char, 4096> sink;
  std::size_t drained = 0;
  while (!ec && drained < kLingerBytes) {
    drained += co_await conn.stream.async_read_some(asio::buffer(sink),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  }
}

Response HttpServer::Impl::answer(const Request& req) {
  HttpRequest request{std::string(req.method_string()), std::string(req.target())};
  HttpResponse out = call_handler(request);
  bump(counters_.requests);
  if (out.status < 200 || out.status > 599) {
    spdlog::error("{}: handler returned status {} for {}", name_, out.status, request.target);
    out = HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
  }
  if (!is_clean_header_value(out.content_type)) {
    spdlog::error("{}: handler returned a bad Content-Type for {}", name_, request.target);
    out.content_type = "application/octet-stream";
  }
  Response res{static_cast<bhttp::status>(out.status), req.version()};
  add_common_fields(res, out.content_type);
  res.keep_alive(req.keep_alive());
  // 204 and 304 carry no body, and no length that could be taken for one.
  if (out.status == 204 || out.status == 304) return res;
  res.content_length(out.body.size());
  // HEAD: the same header as GET, no body.
  if (req.method() != bhttp::verb::head) res.body() = std::move(out.body);
  return res;
}

HttpResponse HttpServer::Impl::call_handler(const HttpRequest& req) {
  try {
    return handler_(req);
  } catch (const std::exception& e) {
    spdlog::error("{}: handler threw for {} {}: {}", name_, req.method, req.target, e.what());
  } catch (...) {
    spdlog::error("{}: handler threw for {} {}", name_, req.method, req.target);
  }
  return HttpResponse{500, "text/plain; charset=utf-8", "internal error\n"};
}

HttpServer::HttpServer(asio::io_context& io, std::string name, HttpHandler handler,
                       HttpServerLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(name), std::move(handler), limits)) {}

HttpServer::~HttpServer() {
  impl_->stop();
}

tcp::endpoint HttpServer::listen(const tcp::endpoint& at) {
  return impl_->listen(at);
}

void HttpServer::stop() {
  impl_->stop();
}

void HttpServer::set_limits(const HttpServerLimits& limits) {
  impl_->set_limits(limits);
}

tcp::endpoint HttpServer::local_endpoint() const {
  return impl_->local_endpoint();
}

HttpServerStats HttpServer::stats() const {
  return impl_->stats();
}

}  // namespace meshgate::net::http
