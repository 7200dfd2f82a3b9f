// GrpcEndpoint and grpc_query against each other over real loopback sockets.
#include "dns-global/grpc_endpoint.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace meshgate::dns {
namespace {

using Bytes = std::vector<uint8_t>;

constexpr auto kWaitBound = std::chrono::seconds(5);

// A DNS query header (id, RD, one question) and the question "a.global A IN".
Bytes make_query(uint16_t id) {
  Bytes q = {static_cast<uint8_t>(id >> 8),
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
  const Bytes question = {1, 'a', 6, 'g', 'l', 'o', 'b', 'a', 'l', 0, 0, 1, 0, 1};
  q.insert(q.end(), question.begin(), question.end());
  return q;
}

// The "answer": the query with QR set.
Bytes as_answer(Bytes msg) {
  msg[2] |= 0x80;
  return msg;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string target(const GrpcEndpoint& endpoint) {
  return "127.0.0.1:" + std::to_string(endpoint.port());
}

GrpcEndpoint::Handler echo_handler() {
  return [](Bytes query, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) {
    reply(as_answer(std::move(query)));
  };
}

// Replies the handler kept for later, with a bounded wait for them to arrive.
class HeldReplies {
 public:
  GrpcEndpoint::Handler handler() {
    return [this](Bytes query, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) {
      std::lock_guard<std::mutex> lock(mutex_);
      queries_.push_back(std::move(query));
      replies_.push_back(std::move(reply));
      changed_.notify_all();
    };
  }
  bool wait_for(size_t count) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kWaitBound, [&] { return replies_.size() >= count; });
  }
  GrpcEndpoint::Reply reply(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    return replies_.at(i);
  }
  Bytes query(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    return queries_.at(i);
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Bytes> queries_;
  std::vector<GrpcEndpoint::Reply> replies_;
};

TEST(GrpcEndpointTest, AnswersAndSeesThePeer) {
  std::mutex mutex;
  std::optional<base::IpAddress> seen_peer;
  GrpcEndpoint endpoint(
      "127.0.0.1", 0,
      [&](Bytes query, std::optional<base::IpAddress> peer, GrpcEndpoint::Reply reply) {
        {
          std::lock_guard<std::mutex> lock(mutex);
          seen_peer = peer;
        }
        reply(as_answer(std::move(query)));
      });
  ASSERT_NE(endpoint.port(), 0);

  std::string error;
  const auto answer = grpc_query(target(endpoint), make_query(0x1234), &error);
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, as_answer(make_query(0x1234)));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(seen_peer, base::parse_ip("127.0.0.1"));
}

TEST(GrpcEndpointTest, ReplyFromAnotherThreadLater) {
  std::mutex mutex;
  std::vector<std::thread> workers;
  GrpcEndpoint endpoint(
      "127.0.0.1", 0, [&](Bytes query, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) {
        std::lock_guard<std::mutex> lock(mutex);
        workers.emplace_back(
            [query = std::move(query), reply]() mutable { reply(as_answer(std::move(query))); });
      });
  std::string error;
  const auto answer = grpc_query(target(endpoint), make_query(7), &error);
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto& worker : workers)
      worker.join();
    EXPECT_EQ(workers.size(), 1u);
  }
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, as_answer(make_query(7)));
}

TEST(GrpcEndpointTest, EmptyReplyFailsTheCall) {
  GrpcEndpoint endpoint(
      "127.0.0.1", 0,
      [](Bytes, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) { reply({}); });
  std::string error;
  EXPECT_FALSE(grpc_query(target(endpoint), make_query(1), &error));
  EXPECT_TRUE(contains(error, "INVALID_ARGUMENT")) << error;
  EXPECT_TRUE(contains(error, "malformed DNS message")) << error;
}

TEST(GrpcEndpointTest, MessagesOutOfSizeNeverReachTheHandler) {
  std::atomic<int> calls{0};
  GrpcEndpoint endpoint(
      "127.0.0.1", 0, [&](Bytes query, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) {
        ++calls;
        reply(std::move(query));
      });
  std::string error;
  EXPECT_FALSE(grpc_query(target(endpoint), Bytes(5, 0), &error));
  EXPECT_TRUE(contains(error, "INVALID_ARGUMENT")) << error;
  error.clear();
  EXPECT_FALSE(grpc_query(target(endpoint), Bytes(65536, 0), &error));
  EXPECT_TRUE(contains(error, "INVALID_ARGUMENT")) << error;
  EXPECT_EQ(calls.load(), 0);

  // The limits themselves pass, both ways.
  EXPECT_TRUE(grpc_query(target(endpoint), Bytes(12, 0), &error)) << error;
  const Bytes largest(65535, 0x5a);
  const auto answer = grpc_query(target(endpoint), largest, &error);
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, largest);
  EXPECT_EQ(calls.load(), 2);
}

TEST(GrpcEndpointTest, SecondReplyIsIgnored) {
  GrpcEndpoint endpoint("127.0.0.1", 0,
                        [](Bytes query, std::optional<base::IpAddress>, GrpcEndpoint::Reply reply) {
                          reply(as_answer(query));
                          reply(Bytes(40, 0xff));
                          reply({});
                        });
  std::string error;
  const auto answer = grpc_query(target(endpoint), make_query(9), &error);
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, as_answer(make_query(9)));
}

TEST(GrpcEndpointTest, ThrowingHandlerFailsTheCall) {
  GrpcEndpoint endpoint("127.0.0.1", 0,
                        [](Bytes, std::optional<base::IpAddress>, GrpcEndpoint::Reply) {
                          throw std::runtime_error("boom");
                        });
  std::string error;
  EXPECT_FALSE(grpc_query(target(endpoint), make_query(3), &error));
  EXPECT_TRUE(contains(error, "INTERNAL")) << error;
}

TEST(GrpcEndpointTest, ConcurrentQueriesGetTheirOwnAnswers) {
  GrpcEndpoint endpoint("127.0.0.1", 0, echo_handler());
  constexpr int kThreads = 8;
  constexpr int kQueries = 50;
  std::atomic<int> right{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kQueries; ++i) {
        const Bytes query = make_query(static_cast<uint16_t>(t * 1000 + i));
        const auto answer = grpc_query(target(endpoint), query, &errors[t]);
        if (answer && *answer == as_answer(query)) ++right;
      }
    });
  }
  for (auto& client : clients)
    client.join();
  EXPECT_EQ(right.load(), kThreads * kQueries) << errors[0];
}

TEST(GrpcEndpointTest, ReplyAfterClientDeadlineIsHarmless) {
  HeldReplies held;
  GrpcEndpoint endpoint("127.0.0.1", 0, held.handler());
  std::string error;
  EXPECT_FALSE(grpc_query(target(endpoint), make_query(11), &error, 100));
  EXPECT_TRUE(contains(error, "DEADLINE_EXCEEDED")) << error;
  ASSERT_TRUE(held.wait_for(1));
  held.reply(0)(as_answer(held.query(0)));

  // The endpoint still answers.
  std::thread answerer([&] {
    if (held.wait_for(2)) held.reply(1)(as_answer(held.query(1)));
  });
  const auto answer = grpc_query(target(endpoint), make_query(12), &error);
  answerer.join();
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, as_answer(make_query(12)));
}

TEST(GrpcEndpointTest, StopCancelsPendingCallsAndLateRepliesAreHarmless) {
  HeldReplies held;
  auto endpoint = std::make_unique<GrpcEndpoint>("127.0.0.1", 0, held.handler());
  std::optional<Bytes> answer;
  std::string error;
  std::thread client([&] { answer = grpc_query(target(*endpoint), make_query(21), &error, 4000); });
  const bool arrived = held.wait_for(1);
  endpoint->stop();
  client.join();
  ASSERT_TRUE(arrived);
  EXPECT_FALSE(answer);
  EXPECT_FALSE(error.empty());

  endpoint->stop();  // idempotent
  held.reply(0)(as_answer(held.query(0)));
  endpoint.reset();
  held.reply(0)(as_answer(held.query(0)));  // after destruction too
}

TEST(GrpcEndpointTest, PortInUseThrows) {
  GrpcEndpoint first("127.0.0.1", 0, echo_handler());
  try {
    GrpcEndpoint second("127.0.0.1", first.port(), echo_handler());
    ADD_FAILURE() << "second bind on port " << first.port() << " succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "dns gRPC endpoint: cannot listen on 127.0.0.1:" + std::to_string(first.port()));
  }
  std::string error;
  EXPECT_TRUE(grpc_query(target(first), make_query(5), &error)) << error;
}

TEST(GrpcEndpointTest, NonLiteralAddressThrows) {
  EXPECT_THROW(GrpcEndpoint("256.0.0.1", 0, echo_handler()), std::runtime_error);
  EXPECT_THROW(GrpcEndpoint("localhost", 0, echo_handler()), std::runtime_error);
}

TEST(GrpcEndpointTest, Ipv6Loopback) {
  std::mutex mutex;
  std::optional<base::IpAddress> seen_peer;
  std::unique_ptr<GrpcEndpoint> endpoint;
  try {
    endpoint = std::make_unique<GrpcEndpoint>(
        "::1", 0, [&](Bytes query, std::optional<base::IpAddress> peer, GrpcEndpoint::Reply reply) {
          {
            std::lock_guard<std::mutex> lock(mutex);
            seen_peer = peer;
          }
          reply(as_answer(std::move(query)));
        });
  } catch (const std::runtime_error&) {
    GTEST_SKIP() << "cannot bind ::1";
  }
  std::string error;
  const auto answer =
      grpc_query("[::1]:" + std::to_string(endpoint->port()), make_query(0xabcd), &error);
  ASSERT_TRUE(answer) << error;
  EXPECT_EQ(*answer, as_answer(make_query(0xabcd)));
  std::lock_guard<std::mutex> lock(mutex);
  EXPECT_EQ(seen_peer, base::parse_ip("::1"));
}

}  // namespace
}  // namespace meshgate::dns
