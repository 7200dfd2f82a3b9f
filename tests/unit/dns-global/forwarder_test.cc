// The c-ares forwarder against a fake upstream DNS server on 127.0.0.1 (UDP,
// and TCP on the same port for truncated answers), all on one io_context.
#include "dns-global/forwarder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace meshgate::dns {
namespace {

using namespace std::chrono_literals;
using udp = asio::ip::udp;
using tcp = asio::ip::tcp;
using Bytes = std::vector<uint8_t>;

constexpr std::size_t kHeader = 12;
constexpr std::array<uint8_t, 4> kUdpAddress{10, 1, 2, 3};
constexpr std::array<uint8_t, 4> kTcpAddress{10, 9, 9, 9};

// ---- DNS bytes, by hand ------------------------------------------------------

uint16_t id_of(const Bytes& message) {
  return static_cast<uint16_t>((message.at(0) << 8) | message.at(1));
}

int rcode_of(const Bytes& message) {
  return message.at(3) & 0x0f;
}

// A query for `name` (type A, class IN, RD set).
Bytes make_query(uint16_t id, std::string_view name) {
  Bytes query{static_cast<uint8_t>(id >> 8),
              static_cast<uint8_t>(id & 0xff),
              0x01,
              0x00,
              0,
              1,
              0,
              0,
              0,
              0,
              0,
              0};
  while (!name.empty()) {
    const auto dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    query.push_back(static_cast<uint8_t>(label.size()));
    query.insert(query.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  query.insert(query.end(), {0, 0, 1, 0, 1});
  return query;
}

// Just past the (single) question, or 0 when there is none.
std::size_t question_end(const Bytes& message) {
  std::size_t at = kHeader;
  while (at < message.size()) {
    const uint8_t length = message[at];
    if (length == 0) return at + 5 <= message.size() ? at + 5 : 0;
    if (length > 63) return 0;
    at += 1 + length;
  }
  return 0;
}

Bytes question_of(const Bytes& message) {
  const std::size_t end = question_end(message);
  if (end == 0) return {};
  return Bytes(message.begin() + kHeader, message.begin() + static_cast<std::ptrdiff_t>(end));
}

enum class Mode { kAnswer, kSilent, kRefused, kTruncate, kWrongQuestion };

// The upstream's answer: the query's id and question, QR set, and one A record
// (kUdpAddress over UDP, kTcpAddress over TCP) unless the mode says otherwise.
Bytes make_answer(const Bytes& query, Mode mode, bool over_tcp) {
  const std::size_t end = question_end(query);
  if (end == 0) return {};
  Bytes answer(query.begin(), query.begin() + static_cast<std::ptrdiff_t>(end));
  answer[2] = static_cast<uint8_t>(0x80 | (query[2] & 0x79));  // QR, opcode, RD
  answer[3] = 0x80;                                            // RA
  for (std::size_t i = 6; i < kHeader; ++i)
    answer[i] = 0;
  if (mode == Mode::kRefused) {
    answer[3] |= 5;
    return answer;
  }
  if (mode == Mode::kTruncate && !over_tcp) {
    answer[2] |= 0x02;  // TC
    return answer;
  }
  if (mode == Mode::kWrongQuestion) answer[kHeader + 1] = answer[kHeader + 1] == 'q' ? 'r' : 'q';
  answer[7] = 1;  // ANCOUNT
  const auto& address = over_tcp ? kTcpAddress : kUdpAddress;
  answer.insert(answer.end(), {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
  answer.insert(answer.end(), address.begin(), address.end());
  return answer;
}

// ---- The fake upstream ---------------------------------------------------------

class FakeUpstream {
 public:
  FakeUpstream(asio::io_context& io, Mode mode) : io_(io), udp_(io), acceptor_(io), mode_(mode) {
    for (int attempt = 0; attempt < 20 && !acceptor_.is_open(); ++attempt)
      bind_both();
    if (acceptor_.is_open()) {
      receive();
      accept();
    }
  }

  bool ready() const { return acceptor_.is_open(); }
  std::string upstream() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::vector<Bytes>& udp_queries() const { return udp_queries_; }
  const std::vector<Bytes>& tcp_queries() const { return tcp_queries_; }

 private:
  struct TcpSession {
    explicit TcpSession(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<uint8_t, 2> length{};
    Bytes body;
    Bytes out;
  };

  // A UDP port whose number is also free for TCP on 127.0.0.1.
  void bind_both() {
    const auto loopback = asio::ip::make_address_v4("127.0.0.1");
    udp_ = udp::socket(io_, udp::endpoint(loopback, 0));
    port_ = udp_.local_endpoint().port();
    boost::system::error_code ec;
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(loopback, port_), ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) acceptor_.close();
  }

  void receive() {
    udp_.async_receive_from(asio::buffer(buffer_), from_, [this](auto ec, std::size_t n) {
      if (ec) return;
      Bytes query(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      udp_queries_.push_back(query);
      if (mode_ != Mode::kSilent) {
        const Bytes answer = make_answer(query, mode_, false);
        boost::system::error_code ignored;
        if (!answer.empty()) udp_.send_to(asio::buffer(answer), from_, 0, ignored);
      }
      receive();
    });
  }

  void accept() {
    acceptor_.async_accept([this](auto ec, tcp::socket socket) {
      if (ec) return;
      sessions_.push_back(std::make_unique<TcpSession>(std::move(socket)));
      read_query(*sessions_.back());
      accept();
    });
  }

  // Sessions live as long as the upstream; so do the handlers that use them.
  void read_query(TcpSession& session) {
    asio::async_read(session.socket, asio::buffer(session.length),
                     [this, &session](auto ec, std::size_t) {
                       if (ec) return;
                       session.body.resize((session.length[0] << 8) | session.length[1]);
                       asio::async_read(session.socket, asio::buffer(session.body),
                                        [this, &session](auto ec2, std::size_t) {
                                          if (!ec2) answer(session);
                                        });
                     });
  }

  void answer(TcpSession& session) {
    tcp_queries_.push_back(session.body);
    const Bytes answer = make_answer(session.body, mode_, true);
    session.out = {static_cast<uint8_t>(answer.size() >> 8),
                   static_cast<uint8_t>(answer.size() & 0xff)};
    session.out.insert(session.out.end(), answer.begin(), answer.end());
    asio::async_write(session.socket, asio::buffer(session.out),
                      [this, &session](auto ec, std::size_t) {
                        if (!ec) read_query(session);
                      });
  }

  asio::io_context& io_;
  udp::socket udp_;
  tcp::acceptor acceptor_;
  Mode mode_;
  uint16_t port_ = 0;
  std::array<uint8_t, 4096> buffer_{};
  udp::endpoint from_;
  std::vector<Bytes> udp_queries_;
  std::vector<Bytes> tcp_queries_;
  std::vector<std::unique_ptr<TcpSession>> sessions_;
};

// ---- Fixture -------------------------------------------------------------------

struct Result {
  int calls = 0;
  bool inside_forward = false;  // the callback ran inside forward()
  ForwardStatus status = ForwardStatus::kFailed;
  Bytes response;
};

class ForwarderTest : public ::testing::Test {
 protected:
  template <typename Done>
  bool run_until(Done done, std::chrono::milliseconds limit = 3s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  // Drains what is already queued (callbacks that would run twice, say).
  void settle() {
    io_.restart();
    io_.run_for(20ms);
  }

  static config::DnsForward upstream_config(const FakeUpstream& upstream,
                                            std::chrono::milliseconds timeout = 1000ms,
                                            uint32_t attempts = 2) {
    config::DnsForward forward;
    forward.upstreams = {upstream.upstream()};
    forward.timeout = timeout;
    forward.attempts = attempts;
    return forward;
  }

  void forward(Forwarder& forwarder, const Bytes& query, Result& result) {
    inside_forward_ = true;
    forwarder.forward(query, [this, &result](ForwardStatus status, Bytes response) {
      ++result.calls;
      result.inside_forward = inside_forward_;
      result.status = status;
      result.response = std::move(response);
    });
    inside_forward_ = false;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  bool inside_forward_ = false;
};

TEST_F(ForwarderTest, AnswersWithTheClientsIdRestored) {
  FakeUpstream upstream(io_, Mode::kAnswer);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  const Bytes query = make_query(0xbeef, "www.example.com");
  Result result;
  forward(forwarder, query, result);
  EXPECT_EQ(forwarder.in_flight(), 1u);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  settle();
  EXPECT_EQ(result.calls, 1);
  EXPECT_FALSE(result.inside_forward);
  ASSERT_EQ(result.status, ForwardStatus::kAnswered);
  ASSERT_GE(result.response.size(), kHeader + 4);
  EXPECT_EQ(id_of(result.response), 0xbeef);
  EXPECT_EQ(rcode_of(result.response), 0);
  EXPECT_EQ(question_of(result.response), question_of(query));
  EXPECT_TRUE(std::equal(kUdpAddress.begin(), kUdpAddress.end(), result.response.end() - 4));
  ASSERT_EQ(upstream.udp_queries().size(), 1u);
  const Bytes& seen = upstream.udp_queries()[0];
  EXPECT_EQ(Bytes(seen.begin() + 2, seen.end()), Bytes(query.begin() + 2, query.end()));
  EXPECT_EQ(forwarder.in_flight(), 0u);
}

TEST_F(ForwarderTest, SilentUpstreamFailsAfterTheTimeout) {
  FakeUpstream upstream(io_, Mode::kSilent);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream, 200ms, 1));
  Result result;
  forward(forwarder, make_query(7, "silent.example.com"), result);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  EXPECT_FALSE(result.inside_forward);
  EXPECT_EQ(result.status, ForwardStatus::kFailed);
  EXPECT_TRUE(result.response.empty());
  EXPECT_EQ(upstream.udp_queries().size(), 1u);
  EXPECT_EQ(forwarder.in_flight(), 0u);
}

TEST_F(ForwarderTest, RefusedAnswerPassesThroughAsAnswered) {
  FakeUpstream upstream(io_, Mode::kRefused);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  Result result;
  forward(forwarder, make_query(0x0102, "refused.example.com"), result);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  ASSERT_EQ(result.status, ForwardStatus::kAnswered);
  EXPECT_EQ(id_of(result.response), 0x0102);
  EXPECT_EQ(rcode_of(result.response), 5);
  EXPECT_EQ(upstream.udp_queries().size(), 1u);  // not retried elsewhere
}

TEST_F(ForwarderTest, TruncatedUdpAnswerIsRetriedOverTcp) {
  FakeUpstream upstream(io_, Mode::kTruncate);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  const Bytes query = make_query(0x5151, "big.example.com");
  Result result;
  forward(forwarder, query, result);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  ASSERT_EQ(result.status, ForwardStatus::kAnswered);
  ASSERT_GE(result.response.size(), kHeader + 4);
  EXPECT_EQ(id_of(result.response), 0x5151);
  EXPECT_EQ(result.response[2] & 0x02, 0);  // TC clear
  EXPECT_TRUE(std::equal(kTcpAddress.begin(), kTcpAddress.end(), result.response.end() - 4));
  EXPECT_EQ(upstream.udp_queries().size(), 1u);
  ASSERT_EQ(upstream.tcp_queries().size(), 1u);
  EXPECT_EQ(question_of(upstream.tcp_queries()[0]), question_of(query));
}

TEST_F(ForwarderTest, ManyConcurrentQueriesWithTheSameIdAllGetTheirOwnAnswer) {
  FakeUpstream upstream(io_, Mode::kAnswer);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  constexpr int kQueries = 200;
  std::vector<Bytes> queries;
  std::vector<Result> results(kQueries);
  for (int i = 0; i < kQueries; ++i) {
    queries.push_back(make_query(0x1234, "host" + std::to_string(i) + ".example.org"));
    forward(forwarder, queries.back(), results[i]);
  }
  EXPECT_EQ(forwarder.in_flight(), static_cast<std::size_t>(kQueries));
  ASSERT_TRUE(run_until([&] {
    return std::all_of(results.begin(), results.end(), [](const Result& r) { return r.calls; });
  }));
  settle();
  for (int i = 0; i < kQueries; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[i].calls, 1);
    ASSERT_EQ(results[i].status, ForwardStatus::kAnswered);
    EXPECT_EQ(id_of(results[i].response), 0x1234);
    EXPECT_EQ(question_of(results[i].response), question_of(queries[i]));
  }
  EXPECT_EQ(forwarder.in_flight(), 0u);
  // On the wire every query in flight had an id of its own.
  std::set<uint16_t> wire_ids;
  for (const auto& seen : upstream.udp_queries())
    wire_ids.insert(id_of(seen));
  EXPECT_EQ(wire_ids.size(), static_cast<std::size_t>(kQueries));
}

TEST_F(ForwarderTest, AnswerToAnotherQuestionIsNotAccepted) {
  FakeUpstream upstream(io_, Mode::kWrongQuestion);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream, 200ms, 1));
  Result result;
  forward(forwarder, make_query(9, "spoof.example.com"), result);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  EXPECT_EQ(result.status, ForwardStatus::kFailed);
}

TEST_F(ForwarderTest, UnreachableUpstreamFails) {
  uint16_t closed_port = 0;
  {
    udp::socket probe(io_, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
    closed_port = probe.local_endpoint().port();
  }
  config::DnsForward unreachable;
  unreachable.upstreams = {"127.0.0.1:" + std::to_string(closed_port)};
  unreachable.timeout = 200ms;
  unreachable.attempts = 1;
  Forwarder forwarder(io_, unreachable);
  Result result;
  forward(forwarder, make_query(5, "nobody.example.com"), result);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  EXPECT_FALSE(result.inside_forward);
  EXPECT_EQ(result.status, ForwardStatus::kFailed);
  EXPECT_EQ(forwarder.in_flight(), 0u);
}

TEST_F(ForwarderTest, OverMaxInFlightIsOverload) {
  FakeUpstream upstream(io_, Mode::kSilent);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream), 2);
  std::array<Result, 3> results;
  for (auto& result : results)
    forward(forwarder, make_query(1, "a.example.com"), result);
  EXPECT_EQ(forwarder.in_flight(), 2u);
  EXPECT_EQ(results[2].calls, 0);  // posted, not inline
  ASSERT_TRUE(run_until([&] { return results[2].calls > 0; }));
  EXPECT_FALSE(results[2].inside_forward);
  EXPECT_EQ(results[2].status, ForwardStatus::kOverload);
  EXPECT_EQ(results[0].calls, 0);
  forwarder.stop();
  ASSERT_TRUE(run_until([&] { return results[0].calls > 0 && results[1].calls > 0; }));
  EXPECT_EQ(results[0].status, ForwardStatus::kStopped);
  EXPECT_EQ(results[1].status, ForwardStatus::kStopped);
}

TEST_F(ForwarderTest, StopCallsEveryPendingQueryBackWithStopped) {
  FakeUpstream upstream(io_, Mode::kSilent);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  std::array<Result, 5> results;
  for (auto& result : results)
    forward(forwarder, make_query(2, "b.example.com"), result);
  ASSERT_TRUE(run_until([&] { return upstream.udp_queries().size() == results.size(); }));
  forwarder.stop();
  forwarder.stop();  // idempotent
  EXPECT_EQ(forwarder.in_flight(), 0u);
  ASSERT_TRUE(run_until([&] {
    return std::all_of(results.begin(), results.end(), [](const Result& r) { return r.calls; });
  }));
  settle();
  for (const auto& result : results) {
    EXPECT_EQ(result.calls, 1);
    EXPECT_FALSE(result.inside_forward);
    EXPECT_EQ(result.status, ForwardStatus::kStopped);
  }
  Result late;
  forward(forwarder, make_query(3, "c.example.com"), late);
  ASSERT_TRUE(run_until([&] { return late.calls > 0; }));
  EXPECT_FALSE(late.inside_forward);
  EXPECT_EQ(late.status, ForwardStatus::kStopped);
}

TEST_F(ForwarderTest, DestructorStopsPendingQueries) {
  FakeUpstream upstream(io_, Mode::kSilent);
  ASSERT_TRUE(upstream.ready());
  Result result;
  {
    Forwarder forwarder(io_, upstream_config(upstream));
    forward(forwarder, make_query(4, "d.example.com"), result);
  }
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  settle();
  EXPECT_EQ(result.calls, 1);
  EXPECT_EQ(result.status, ForwardStatus::kStopped);
}

TEST_F(ForwarderTest, ShortQueryFailsWithoutBeingSent) {
  FakeUpstream upstream(io_, Mode::kAnswer);
  ASSERT_TRUE(upstream.ready());
  Forwarder forwarder(io_, upstream_config(upstream));
  Result result;
  forward(forwarder, Bytes(kHeader - 1, 0), result);
  EXPECT_EQ(result.calls, 0);
  ASSERT_TRUE(run_until([&] { return result.calls > 0; }));
  EXPECT_FALSE(result.inside_forward);
  EXPECT_EQ(result.status, ForwardStatus::kFailed);
  EXPECT_EQ(forwarder.in_flight(), 0u);
  EXPECT_TRUE(upstream.udp_queries().empty());
}

TEST_F(ForwarderTest, BadUpstreamsThrow) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536", "1.2.3.4:x53",
                          "1.2.3.4:53:53", "[::1", "[::1]53", "[::1]:", "[1.2.3.4]:53",
                          "dns.example.com", "dns.example.com:53", "fe80::1%eth0", "::g"}) {
    SCOPED_TRACE(bad);
    config::DnsForward forward;
    forward.upstreams = {"127.0.0.1", bad};
    try {
      Forwarder forwarder(io_, forward);
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& error) {
      EXPECT_EQ(std::string_view(error.what()).substr(0, 22), "dns.forward.upstreams:");
    }
  }
}

TEST_F(ForwarderTest, GoodUpstreamsAreListedWithTheirPorts) {
  config::DnsForward forward;
  forward.upstreams = {"127.0.0.1", "127.0.0.1:5353", "[::1]:5354", "::1", "[::1]"};
  Forwarder forwarder(io_, forward);
  EXPECT_EQ(forwarder.servers(), (std::vector<std::string>{"127.0.0.1:53", "127.0.0.1:5353",
                                                           "[::1]:5354", "[::1]:53", "[::1]:53"}));
}

TEST_F(ForwarderTest, NoUpstreamsUsesTheSystemResolvers) {
  Forwarder forwarder(io_, config::DnsForward{});
  EXPECT_FALSE(forwarder.servers().empty());
}

TEST(ForwardStatusTest, Names) {
  EXPECT_STREQ(to_string(ForwardStatus::kAnswered), "answered");
  EXPECT_STREQ(to_string(ForwardStatus::kFailed), "failed");
  EXPECT_STREQ(to_string(ForwardStatus::kOverload), "overload");
  EXPECT_STREQ(to_string(ForwardStatus::kStopped), "stopped");
}

}  // namespace
}  // namespace meshgate::dns
