#include "net/http/http_server.h"

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <gtest/gtest.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace meshgate::net::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kBound{3000};
using Response = bhttp::response<bhttp::string_body>;

// Runs the single-threaded io_context (server and clients alike) until `done`
// holds or `bound` passes.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds bound = kBound) {
  const auto deadline = Clock::now() + bound;
  while (!done() && Clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  return done();
}

tcp::endpoint loopback_any() {
  return {asio::ip::address_v4::loopback(), 0};
}

// A test client on the same io_context as the server; every operation is
// bounded and, when it times out, cancelled before its buffers go away.
class Client {
 public:
  Client(asio::io_context& io, tcp::endpoint at) : io_(io), socket_(io), at_(at) {}

  error_code connect() {
    const error_code ec = await([&](auto handler) { socket_.async_connect(at_, handler); });
    connected_ = !ec;
    return ec;
  }

  // Connects from `source` (an address in 127.0.0.0/8) instead of 127.0.0.1.
  void bind(const char* source) {
    socket_.open(tcp::v4());
    socket_.bind({asio::ip::make_address(source), 0});
  }

  bool send(const std::string& data) {
    return !await([&](auto handler) { asio::async_write(socket_, asio::buffer(data), handler); });
  }

  std::optional<Response> read_response(bool head = false) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);
    const error_code ec =
        await([&](auto handler) { bhttp::async_read(socket_, buffer_, parser, handler); });
    if (ec) return std::nullopt;
    return parser.release();
  }

  // Connects, sends one request and reads its response.
  std::optional<Response> get(const std::string& target, const std::string& extra = "") {
    if (!connected_ && connect()) return std::nullopt;
    if (!send("GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra + "\r\n"))
      return std::nullopt;
    return read_response();
  }

  // Reads (and keeps) whatever arrives until the server closes. True if it did
  // within `bound`.
  bool wait_closed(std::chrono::milliseconds bound = kBound) {
    const auto deadline = Clock::now() + bound;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left <= 0ms) return false;
      std::array<char, 4096> chunk;
      std::size_t got = 0;
      const error_code ec = await(
          [&](auto handler) {
            socket_.async_read_some(asio::buffer(chunk),
                                    [&got, handler](error_code e, std::size_t n) {
                                      got = n;
                                      handler(e);
                                    });
          },
          left);
      raw_.append(chunk.data(), got);
      if (ec == asio::error::eof || ec == asio::error::connection_reset) return true;
      if (ec) return false;
    }
  }

  const std::string& raw() const { return raw_; }
  tcp::socket& socket() { return socket_; }

 private:
  template <class Start>
  error_code await(Start start, std::chrono::milliseconds bound = kBound) {
    auto result = std::make_shared<std::optional<error_code>>();
    start([result](error_code ec, auto&&...) { *result = ec; });
    const auto finished = [&] { return result->has_value(); };
    if (run_until(io_, finished, bound)) return **result;
    error_code ignored;
    socket_.cancel(ignored);
    if (!run_until(io_, finished, 1000ms)) socket_.close(ignored);
    run_until(io_, finished, 1000ms);
    return asio::error::timed_out;
  }

  asio::io_context& io_;
  tcp::socket socket_;
  tcp::endpoint at_;
  beast::flat_buffer buffer_;
  std::string raw_;
  bool connected_ = false;
};

HttpServerLimits small_limits() {
  HttpServerLimits limits;
  limits.max_header_bytes = 1024;
  limits.max_body_bytes = 1024;
  limits.request_timeout = 2000ms;
  limits.idle_timeout = 2000ms;
  limits.max_connections = 8;
  return limits;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(HttpServerLimits limits = small_limits()) {
    server_ = std::make_unique<HttpServer>(
        io_, "test", [this](const HttpRequest& req) { return handle(req); }, limits);
    at_ = server_->listen(loopback_any());
  }

  HttpResponse handle(const HttpRequest& req) {
    seen_.push_back(req);
    if (req.target == "/throw") throw std::runtime_error("handler bug");
    if (req.target == "/missing") return {404, "text/plain", "no such page\n"};
    // Far more than loopback socket buffers hold: a client that does not read
    // leaves the write pending.
    if (req.target == "/huge") return {200, "text/plain", std::string(32u << 20, 'x')};
    return {200, "text/x-test", "hello " + req.target + "\n"};
  }

  Client client() { return Client(io_, at_); }
  Client client(tcp::endpoint at) { return Client(io_, at); }
  bool run_until(const std::function<bool()>& done) { return http::run_until(io_, done); }

  asio::io_context io_;  // declared first: outlives the server
  std::unique_ptr<HttpServer> server_;
  tcp::endpoint at_;
  std::vector<HttpRequest> seen_;
};

TEST_F(HttpServerTest, GetReturnsHandlerBodyStatusAndHeaders) {
  start();
  Client c = client();
  auto res = c.get("/hello?x=1");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 200u);
  EXPECT_EQ(res->body(), "hello /hello?x=1\n");
  EXPECT_EQ((*res)[bhttp::field::content_type], "text/x-test");
  EXPECT_EQ((*res)[bhttp::field::content_length], std::to_string(res->body().size()));
  EXPECT_EQ((*res)[bhttp::field::server], "meshgate");
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "GET");
  EXPECT_EQ(seen_[0].target, "/hello?x=1");

  auto missing = c.get("/missing");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->result_int(), 404u);
  EXPECT_EQ(missing->body(), "no such page\n");
  EXPECT_EQ(server_->stats().requests, 2u);
  EXPECT_EQ(server_->stats().connections, 1u);
}

TEST_F(HttpServerTest, HeadHasGetHeadersAndNoBody) {
  start();
  Client c = client();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("HEAD /page HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
  ASSERT_TRUE(c.wait_closed());
  const std::string expected_length = std::to_string(std::string("hello /page\n").size());
  EXPECT_NE(c.raw().find("Content-Length: " + expected_length + "\r\n"), std::string::npos);
  EXPECT_NE(c.raw().find("Server: meshgate\r\n"), std::string::npos);
  ASSERT_GE(c.raw().size(), 4u);
  EXPECT_EQ(c.raw().substr(c.raw().size() - 4), "\r\n\r\n");  // nothing after the header
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].method, "HEAD");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  Client c = client();
  ASSERT_TRUE(c.get("/one"));
  auto second = c.get("/two");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->body(), "hello /two\n");
  // Pipelined: two requests in one write, two responses in order.
  ASSERT_TRUE(c.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->body(), "hello /a\n");
  EXPECT_EQ(b->body(), "hello /b\n");
  EXPECT_EQ(server_->stats().connections, 1u);
  EXPECT_EQ(server_->stats().requests, 4u);
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  start();
  Client c = client();
  auto res = c.get("/bye", "Connection: close\r\n");
  ASSERT_TRUE(res);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.wait_closed());

  Client old = client();  // HTTP/1.0 closes unless asked otherwise
  ASSERT_FALSE(old.connect());
  ASSERT_TRUE(old.send("GET /old HTTP/1.0\r\n\r\n"));
  ASSERT_TRUE(old.wait_closed());
  EXPECT_NE(old.raw().find("hello /old"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeaderGets431AndClose) {
  start();
  Client c = client();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 431u);
  EXPECT_FALSE(res->keep_alive());
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server_->stats().bad_requests, 1u);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(HttpServerTest, OversizedBodyGets413AndClose) {
  start();
  Client fits = client();
  ASSERT_FALSE(fits.connect());
  ASSERT_TRUE(fits.send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" +
                        std::string(1000, 'b')));
  auto ok = fits.read_response();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->result_int(), 200u);

  Client c = client();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" +
                     std::string(5000, 'b')));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 413u);
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server_->stats().bad_requests, 1u);
  EXPECT_EQ(server_->stats().requests, 1u);
}

TEST_F(HttpServerTest, GarbageGets400AndClose) {
  start();
  Client c = client();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("\x01\x02 not http at all\r\n\r\n"));
  auto res = c.read_response();
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 400u);
  EXPECT_EQ((*res)[bhttp::field::server], "meshgate");
  EXPECT_TRUE(c.wait_closed());
  EXPECT_EQ(server_->stats().bad_requests, 1u);
}

TEST_F(HttpServerTest, HandlerExceptionGets500AndConnectionSurvives) {
  start();
  Client c = client();
  auto res = c.get("/throw");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->result_int(), 500u);
  auto next = c.get("/after");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->result_int(), 200u);
}

TEST_F(HttpServerTest, TricklingClientIsClosedAtRequestTimeout) {
  HttpServerLimits limits = small_limits();
  limits.request_timeout = 200ms;
  limits.idle_timeout = 10'000ms;
  start(limits);
  Client c = client();
  const auto began = Clock::now();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\n"));
  // One header line every 50 ms: each read makes progress, but the request as
  // a whole never completes, so only a whole-request deadline closes it.
  bool closed = false;
  while (!closed && Clock::now() - began < kBound) {
    closed = c.wait_closed(50ms);
    error_code ec;
    if (!closed) asio::write(c.socket(), asio::buffer(std::string("X-Slow: 1\r\n")), ec);
  }
  const auto took = Clock::now() - began;
  EXPECT_TRUE(closed);
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 2000ms);
  EXPECT_TRUE(run_until([&] { return server_->stats().timeouts == 1; }));
  EXPECT_TRUE(seen_.empty());
}

TEST_F(HttpServerTest, IdleKeepAliveIsClosedAtIdleTimeout) {
  HttpServerLimits limits = small_limits();
  limits.idle_timeout = 200ms;
  start(limits);
  Client c = client();
  ASSERT_TRUE(c.get("/"));
  const auto began = Clock::now();
  EXPECT_TRUE(c.wait_closed());
  const auto took = Clock::now() - began;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 1500ms);  // the request timeout (2 s) did not do it
  EXPECT_EQ(server_->stats().timeouts, 1u);
  EXPECT_EQ(server_->stats().requests, 1u);
}

TEST_F(HttpServerTest, ClientThatNeverReadsIsClosedAtTheWriteTimeout) {
  HttpServerLimits limits = small_limits();
  limits.request_timeout = 200ms;
  start(limits);
  Client c = client();
  ASSERT_FALSE(c.connect());
  ASSERT_TRUE(c.send("GET /huge HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_TRUE(run_until([&] { return server_->stats().timeouts == 1; }));
  EXPECT_EQ(server_->stats().requests, 1u);
}

TEST_F(HttpServerTest, WhenFullTheStalestConnectionMakesRoom) {
  HttpServerLimits limits = small_limits();
  limits.max_connections = 2;
  limits.max_connections_per_client = 0;
  start(limits);
  Client idle = client();  // holds a slot and never sends
  ASSERT_FALSE(idle.connect());
  Client served = client();
  ASSERT_TRUE(served.get("/served"));
  Client probe = client();
  auto res = probe.get("/probe");  // the server is full: the idle one goes
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello /probe\n");
  EXPECT_TRUE(idle.wait_closed());
  EXPECT_EQ(server_->stats().evicted, 1u);
  EXPECT_TRUE(served.get("/still"));  // no second eviction was needed: it was not the stalest
  EXPECT_EQ(server_->stats().evicted, 1u);
}

TEST_F(HttpServerTest, AClientAtItsCapGivesUpItsOwnStalestConnection) {
  HttpServerLimits limits = small_limits();
  limits.max_connections = 8;
  limits.max_connections_per_client = 2;
  start(limits);
  const auto from = [&](const char* source) {
    auto c = std::make_unique<Client>(io_, at_);
    c->bind(source);
    return c;
  };
  auto other = from("127.0.0.3");  // the stalest of all, but of another client
  ASSERT_FALSE(other->connect());
  auto first = from("127.0.0.2");
  ASSERT_FALSE(first->connect());
  auto second = from("127.0.0.2");
  ASSERT_FALSE(second->connect());
  auto third = from("127.0.0.2");
  ASSERT_TRUE(third->get("/third"));
  EXPECT_TRUE(first->wait_closed());
  EXPECT_EQ(server_->stats().client_cap, 1u);
  EXPECT_EQ(server_->stats().evicted, 0u);
  EXPECT_TRUE(other->get("/other"));
  EXPECT_TRUE(second->get("/second"));
}

TEST_F(HttpServerTest, AnIpv6ClientIsCappedToo) {
  HttpServerLimits limits = small_limits();
  limits.max_connections_per_client = 1;
  server_ = std::make_unique<HttpServer>(
      io_, "test", [this](const HttpRequest& req) { return handle(req); }, limits);
  at_ = server_->listen({asio::ip::address_v6::loopback(), 0});
  Client first = client();
  ASSERT_FALSE(first.connect());
  Client second = client();  // ::1 again (prefix_key_test pins the /64)
  ASSERT_TRUE(second.get("/second"));
  EXPECT_TRUE(first.wait_closed());
  EXPECT_EQ(server_->stats().client_cap, 1u);
}

TEST_F(HttpServerTest, NewLimitsApplyToTheNextConnection) {
  HttpServerLimits limits = small_limits();
  limits.max_connections_per_client = 0;
  start(limits);
  Client a = client();
  ASSERT_FALSE(a.connect());
  Client b = client();
  ASSERT_FALSE(b.connect());
  ASSERT_TRUE(run_until([&] { return server_->stats().connections == 2; }));
  limits.max_connections = 1;
  server_->set_limits(limits);
  Client c = client();
  ASSERT_TRUE(c.get("/c"));  // both older ones make room, stalest first
  EXPECT_TRUE(a.wait_closed());
  EXPECT_TRUE(b.wait_closed());
  EXPECT_EQ(server_->stats().evicted, 2u);
}

TEST_F(HttpServerTest, RebindKeepsOpenConnectionsAndServesTheNewPort) {
  start();
  const tcp::endpoint old_at = at_;
  Client kept = client();
  ASSERT_TRUE(kept.get("/before"));

  const tcp::endpoint new_at = server_->listen(loopback_any());
  EXPECT_NE(new_at.port(), old_at.port());
  EXPECT_EQ(server_->local_endpoint(), new_at);
  auto again = kept.get("/after");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body(), "hello /after\n");

  Client fresh = client(new_at);
  auto res = fresh.get("/new");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body(), "hello /new\n");
  Client to_old = client(old_at);
  EXPECT_EQ(to_old.connect(), asio::error::connection_refused);
}

TEST_F(HttpServerTest, ListenOnTakenPortThrowsAndKeepsServing) {
  start();
  tcp::acceptor taken(io_, loopback_any());
  try {
    server_->listen(taken.local_endpoint());
    ADD_FAILURE() << "listen on a taken port did not throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on"), std::string::npos) << e.what();
  }
  EXPECT_EQ(server_->local_endpoint(), at_);
  EXPECT_TRUE(client().get("/still-here"));
}

TEST_F(HttpServerTest, StopClosesOpenConnectionsAndTheListener) {
  HttpServerLimits limits = small_limits();
  limits.idle_timeout = 10'000ms;  // so only stop() can close it within the bound
  start(limits);
  Client open = client();
  ASSERT_TRUE(open.get("/"));
  server_->stop();
  EXPECT_TRUE(open.wait_closed());
  Client late = client();
  EXPECT_EQ(late.connect(), asio::error::connection_refused);
  server_->stop();  // idempotent
  EXPECT_EQ(server_->local_endpoint().port(), 0);
}

}  // namespace
}  // namespace meshgate::net::http
