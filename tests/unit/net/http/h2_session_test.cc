// Tests of H2Session against a real nghttp2 server in memory; the fixture
// (FakeServer, the pump, Recorder) lives in h2_test_server.h.
#include "net/http/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/unit/net/http/h2_test_server.h"

namespace meshgate::net::http {
namespace {

using h2test::FakeServer;
using h2test::H2SessionTest;
using h2test::Headers;
using h2test::make_nva;
using h2test::pump_until_quiet;
using h2test::Recorder;

TEST_F(H2SessionTest, AnnouncesSettingsAndWindows) {
  nghttp2_session* server = server_.session();
  EXPECT_EQ(nghttp2_session_get_remote_settings(server, NGHTTP2_SETTINGS_ENABLE_PUSH), 0u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(server, NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE),
            static_cast<uint32_t>(H2Session::kStreamWindow));
  EXPECT_EQ(nghttp2_session_get_remote_settings(server, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
            100u);
  EXPECT_EQ(nghttp2_session_get_remote_settings(server, NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE),
            H2Session::kMaxResponseHeaderBytes);
  EXPECT_EQ(nghttp2_session_get_remote_window_size(server), H2Session::kConnectionWindow);
  EXPECT_TRUE(client_.alive());
  EXPECT_TRUE(client_ok_);
  EXPECT_TRUE(server_ok_);
}

TEST_F(H2SessionTest, GetReceivesStatusAndBody) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  ASSERT_GT(id, 0);
  EXPECT_EQ(client_.open_streams(), 1u);
  pump();
  server_.respond(id, "200", {{"content-type", "application/json"}});
  server_.send(id, R"({"kind":"PodList"})");
  server_.finish(id);
  pump();
  EXPECT_EQ(r.statuses, std::vector<int>{200});
  EXPECT_EQ(r.body, R"({"kind":"PodList"})");
  EXPECT_EQ(r.closes, std::vector<std::string>{""});
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_TRUE(client_ok_);
}

TEST_F(H2SessionTest, SendsRequestHeadersWithEndStream) {
  Recorder& r = recorder();
  const int32_t id = get(r, "/api/v1/namespaces/default/services?watch=1");
  pump();
  ASSERT_EQ(server_.streams().count(id), 1u);
  EXPECT_EQ(server_.header(id, ":method"), "GET");
  EXPECT_EQ(server_.header(id, ":scheme"), "https");
  EXPECT_EQ(server_.header(id, ":authority"), "kube.example:6443");
  EXPECT_EQ(server_.header(id, ":path"), "/api/v1/namespaces/default/services?watch=1");
  EXPECT_EQ(server_.header(id, "authorization"), "Bearer t0k3n");
  EXPECT_TRUE(server_.stream(id).request_ended);
}

TEST_F(H2SessionTest, WatchStreamsLinesAndStaysOpen) {
  Recorder& r = recorder();
  const int32_t id = get(r, "/api/v1/pods?watch=1");
  pump();
  server_.respond(id, "200");
  pump();
  EXPECT_EQ(r.statuses, std::vector<int>{200});
  const std::vector<std::string> pieces = {R"({"type":"ADDED"})", "\n{\"type\":\"MOD", "IFIED\"}\n",
                                           R"({"type":"DELETED"})", "\n"};
  std::string expected;
  for (const std::string& piece : pieces) {
    server_.send(id, piece);
    pump();
    expected += piece;
    EXPECT_EQ(r.body, expected);
  }
  EXPECT_EQ(r.data_calls, 5);
  EXPECT_TRUE(r.closes.empty());
  EXPECT_EQ(client_.open_streams(), 1u);
  EXPECT_TRUE(client_.alive());
}

TEST_F(H2SessionTest, ConcurrentStreamsInterleave) {
  Recorder& a = recorder();
  Recorder& b = recorder();
  const int32_t ia = get(a, "/a");
  const int32_t ib = get(b, "/b");
  ASSERT_NE(ia, ib);
  pump();
  server_.respond(ib, "200");
  server_.respond(ia, "200");
  server_.send(ia, "a1");
  server_.send(ib, "b1");
  pump();
  server_.send(ib, "b2");
  server_.finish(ib);
  server_.send(ia, "a2");
  pump();
  EXPECT_EQ(a.body, "a1a2");
  EXPECT_EQ(b.body, "b1b2");
  EXPECT_TRUE(a.closes.empty());
  EXPECT_EQ(b.closes, std::vector<std::string>{""});
  server_.finish(ia);
  pump();
  EXPECT_EQ(a.closes, std::vector<std::string>{""});
  EXPECT_EQ(client_.open_streams(), 0u);
}

TEST_F(H2SessionTest, BodyBeyondDefaultWindow) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  const std::string body((1 << 20) + 1, 'x');
  server_.respond(id, "200");
  server_.send(id, body);
  server_.finish(id);
  pump();
  EXPECT_EQ(r.body.size(), body.size());
  EXPECT_EQ(r.body, body);
  EXPECT_EQ(r.closes, std::vector<std::string>{""});
}

// More than both the stream (4 MiB) and the connection (16 MiB) windows: only
// WINDOW_UPDATEs from the client let it through.
TEST_F(H2SessionTest, BodiesBeyondBothWindowsNeedWindowUpdates) {
  Recorder& a = recorder();
  Recorder& b = recorder();
  const int32_t ia = get(a, "/a");
  const int32_t ib = get(b, "/b");
  pump();
  const std::string body(9 << 20, 'y');
  for (int32_t id : {ia, ib}) {
    server_.respond(id, "200");
    server_.send(id, body);
    server_.finish(id);
  }
  pump();
  EXPECT_EQ(a.body.size(), body.size());
  EXPECT_EQ(b.body.size(), body.size());
  EXPECT_EQ(a.closes, std::vector<std::string>{""});
  EXPECT_EQ(b.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, ForbiddenWithBody) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  server_.respond(id, "403");
  server_.send(id, R"({"kind":"Status","code":403})");
  server_.finish(id);
  pump();
  EXPECT_EQ(r.statuses, std::vector<int>{403});
  EXPECT_EQ(r.body, R"({"kind":"Status","code":403})");
  EXPECT_EQ(r.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, ResponseWithoutBodyAndTrailersIgnored) {
  Recorder& empty = recorder();
  Recorder& trailed = recorder();
  const int32_t ie = get(empty, "/empty");
  const int32_t it = get(trailed, "/trailed");
  pump();
  server_.respond(ie, "204", {}, /*end=*/true);
  server_.respond(it, "200");
  server_.send(it, "body");
  pump();
  const Headers trailer_fields = {{"grpc-status", "0"}};
  std::vector<nghttp2_nv> trailer = make_nva(trailer_fields);
  nghttp2_submit_trailer(server_.session(), it, trailer.data(), trailer.size());
  pump();
  EXPECT_EQ(empty.statuses, std::vector<int>{204});
  EXPECT_EQ(empty.closes, std::vector<std::string>{""});
  EXPECT_EQ(trailed.statuses, std::vector<int>{200});
  EXPECT_EQ(trailed.body, "body");
  EXPECT_EQ(trailed.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, ServerResetClosesWithError) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  server_.respond(id, "200");
  server_.send(id, "partial");
  pump();
  server_.reset(id, NGHTTP2_INTERNAL_ERROR);
  pump();
  EXPECT_EQ(r.body, "partial");
  ASSERT_EQ(r.closes.size(), 1u);
  EXPECT_EQ(r.closes[0].rfind("stream reset: ", 0), 0u) << r.closes[0];
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_TRUE(client_.alive());
}

TEST_F(H2SessionTest, CancelResetsStreamAndSilencesSink) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  server_.respond(id, "200");
  server_.send(id, "one");
  pump();
  client_.cancel(id);
  EXPECT_EQ(client_.open_streams(), 0u);
  server_.send(id, "two");  // already in flight towards a cancelled stream
  pump();
  EXPECT_TRUE(server_.stream(id).got_rst);
  EXPECT_EQ(server_.stream(id).rst_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
  EXPECT_EQ(r.body, "one");
  EXPECT_TRUE(r.closes.empty());
  client_.cancel(id);  // finished ids are ignored
  client_.cancel(999);
  pump();
  EXPECT_TRUE(client_.alive());
}

TEST_F(H2SessionTest, CancelBeforeHeadersAreSent) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  client_.cancel(id);
  pump();
  EXPECT_TRUE(r.closes.empty());
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_TRUE(client_.alive());
  Recorder& next = recorder();
  const int32_t id2 = get(next);
  pump();
  server_.respond(id2, "200", {}, true);
  pump();
  EXPECT_EQ(next.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, GoawayRefusesNewStreamsAndLetsLowerOnesFinish) {
  Recorder& low = recorder();
  Recorder& high = recorder();
  const int32_t il = get(low, "/low");
  const int32_t ih = get(high, "/high");
  ASSERT_LT(il, ih);
  pump();
  server_.respond(il, "200");
  server_.goaway(il);
  pump();
  EXPECT_FALSE(client_.alive());
  ASSERT_EQ(high.closes.size(), 1u);
  EXPECT_EQ(high.closes[0].rfind("stream reset: ", 0), 0u) << high.closes[0];
  Recorder& late = recorder();
  EXPECT_EQ(get(late), -1);
  EXPECT_TRUE(low.closes.empty());
  server_.send(il, "rest");
  server_.finish(il);
  pump();
  EXPECT_EQ(low.body, "rest");
  EXPECT_EQ(low.closes, std::vector<std::string>{""});
  EXPECT_TRUE(late.closes.empty());
  EXPECT_TRUE(client_ok_);
}

// A request queued from a callback, then a GOAWAY in the same read: its
// HEADERS never leave, and the sink still gets exactly one on_close (nghttp2
// refuses the stream; "retry on a new connection").
TEST_F(H2SessionTest, RequestQueuedBeforeGoawayIsClosed) {
  Recorder& first = recorder();
  Recorder& queued = recorder();
  int32_t queued_id = 0;
  const int32_t id = get(first);
  first.extra_on_data = [&](std::string_view) { queued_id = get(queued, "/queued"); };
  pump();
  server_.respond(id, "200");
  server_.send(id, "x");
  std::string read = server_.drain();
  server_.goaway(id);  // nghttp2 would send it first if queued together
  read += server_.drain();
  EXPECT_TRUE(client_.receive(read));
  pump();
  ASSERT_GT(queued_id, id);
  ASSERT_EQ(queued.closes.size(), 1u);
  EXPECT_EQ(queued.closes[0], "stream reset: REFUSED_STREAM");
  EXPECT_EQ(server_.streams().count(queued_id), 0u);
  EXPECT_TRUE(first.closes.empty());
  EXPECT_EQ(client_.open_streams(), 1u);
}

TEST_F(H2SessionTest, GarbageKillsSessionAndClosesStreams) {
  Recorder& a = recorder();
  Recorder& b = recorder();
  get(a, "/a");
  get(b, "/b");
  pump();
  EXPECT_FALSE(client_.receive("this is not HTTP/2 at all, just bytes"));
  EXPECT_FALSE(client_.alive());
  EXPECT_EQ(client_.error().rfind("http2: ", 0), 0u) << client_.error();
  EXPECT_EQ(a.closes, std::vector<std::string>{client_.error()});
  EXPECT_EQ(b.closes, std::vector<std::string>{client_.error()});
  EXPECT_EQ(client_.open_streams(), 0u);
  // The GOAWAY nghttp2 queued still goes out, so the server learns why.
  server_.feed(client_.take_output());
  EXPECT_TRUE(server_.goaway_received);
  Recorder& late = recorder();
  EXPECT_EQ(get(late), -1);
  EXPECT_FALSE(client_.receive(server_.drain()));
  client_.connection_lost("eof");
  EXPECT_TRUE(late.closes.empty());
}

TEST(H2SessionStandaloneTest, GarbageInsteadOfSettings) {
  H2Session client;
  int closes = 0;
  ASSERT_GT(client.submit_get("k:443", "/", {},
                              {nullptr, nullptr,
                               [&](const std::string& e) {
                                 ++closes;
                                 EXPECT_FALSE(e.empty());
                               }}),
            0);
  EXPECT_FALSE(client.take_output().empty());
  EXPECT_FALSE(client.receive("HTTP/1.1 400 Bad Request\r\n\r\n"));
  EXPECT_FALSE(client.error().empty());
  EXPECT_EQ(closes, 1);
}

TEST_F(H2SessionTest, ConnectionLostClosesEveryStreamOnce) {
  Recorder& a = recorder();
  Recorder& b = recorder();
  Recorder& c = recorder();
  get(a, "/a");
  get(b, "/b");
  get(c, "/c");
  pump();
  client_.connection_lost("read: connection reset by peer");
  const std::vector<std::string> expected = {"connection lost: read: connection reset by peer"};
  EXPECT_EQ(a.closes, expected);
  EXPECT_EQ(b.closes, expected);
  EXPECT_EQ(c.closes, expected);
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_FALSE(client_.alive());
  client_.connection_lost("again");
  EXPECT_EQ(a.closes.size(), 1u);
  Recorder& late = recorder();
  EXPECT_EQ(get(late), -1);
  EXPECT_FALSE(client_.receive("x"));
  EXPECT_TRUE(client_.take_output().empty());
  client_.ping();
  client_.cancel(1);
  EXPECT_TRUE(late.closes.empty());
}

TEST_F(H2SessionTest, SubmitFromInsideOnClose) {
  Recorder& first = recorder();
  Recorder& second = recorder();
  int32_t second_id = 0;
  first.extra_on_close = [&](const std::string&) { second_id = get(second, "/again"); };
  const int32_t id = get(first);
  pump();
  server_.respond(id, "200", {}, true);
  pump();
  ASSERT_GT(second_id, id);
  EXPECT_EQ(server_.header(second_id, ":path"), "/again");
  server_.respond(second_id, "200");
  server_.send(second_id, "ok");
  server_.finish(second_id);
  pump();
  EXPECT_EQ(second.body, "ok");
  EXPECT_EQ(second.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, CancelAnotherStreamFromInsideOnData) {
  Recorder& a = recorder();
  Recorder& b = recorder();
  const int32_t ia = get(a, "/a");
  const int32_t ib = get(b, "/b");
  pump();
  server_.respond(ia, "200");
  server_.respond(ib, "200");
  pump();
  bool cancelled = false;
  a.extra_on_data = [&](std::string_view) {
    client_.cancel(ib);
    cancelled = true;
  };
  b.extra_on_data = [&](std::string_view) { EXPECT_FALSE(cancelled); };
  // Both DATA frames arrive in the same read.
  server_.send(ib, "b");
  server_.send(ia, "a");
  server_.send(ib, "b");
  pump();
  EXPECT_TRUE(cancelled);
  EXPECT_TRUE(b.closes.empty());
  EXPECT_TRUE(server_.stream(ib).got_rst);
  EXPECT_EQ(client_.open_streams(), 1u);
  server_.finish(ia);
  pump();
  EXPECT_EQ(a.closes, std::vector<std::string>{""});
}

// The sink (and what it captured) is freed while its own callback runs.
TEST_F(H2SessionTest, CancelOwnStreamFromInsideOnData) {
  auto state = std::make_unique<std::string>();
  int32_t id = 0;
  int data_calls = 0;
  ResponseSink sink{nullptr,
                    [&, holder = std::make_shared<int>(7)](std::string_view data) {
                      ++data_calls;
                      state->append(data);
                      client_.cancel(id);
                      EXPECT_EQ(*holder, 7);  // still alive during the call
                    },
                    [&](const std::string&) { ADD_FAILURE() << "closed after cancel"; }};
  id = client_.submit_get("kube.example", "/", {}, std::move(sink));
  pump();
  server_.respond(id, "200");
  server_.send(id, "first");
  pump();
  server_.send(id, "second");
  pump();
  EXPECT_EQ(data_calls, 1);
  EXPECT_EQ(*state, "first");
  EXPECT_EQ(client_.open_streams(), 0u);
}

TEST_F(H2SessionTest, OversizedResponseHeadersResetTheStream) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  Headers big;
  for (int i = 0; i < 10; ++i) {
    big.emplace_back("x-big-" + std::to_string(i), std::string(8000, static_cast<char>('a' + i)));
  }
  server_.respond(id, "200", big);
  server_.send(id, "never seen");
  pump();
  EXPECT_TRUE(r.statuses.empty());
  EXPECT_TRUE(r.body.empty());
  ASSERT_EQ(r.closes.size(), 1u);
  EXPECT_NE(r.closes[0].find("headers exceed"), std::string::npos) << r.closes[0];
  EXPECT_TRUE(server_.stream(id).got_rst);
  EXPECT_EQ(server_.stream(id).rst_code, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  // The connection itself is fine.
  EXPECT_TRUE(client_.alive());
  Recorder& next = recorder();
  const int32_t id2 = get(next);
  pump();
  server_.respond(id2, "200", {}, true);
  pump();
  EXPECT_EQ(next.closes, std::vector<std::string>{""});
}

TEST_F(H2SessionTest, InvalidStatusResetsTheStream) {
  for (const char* status : {"600", "099", "20x"}) {
    Recorder& r = recorder();
    const int32_t id = get(r);
    pump();
    server_.respond(id, status);
    server_.send(id, "body");
    pump();
    EXPECT_TRUE(r.statuses.empty()) << status;
    EXPECT_TRUE(r.body.empty()) << status;
    ASSERT_EQ(r.closes.size(), 1u) << status;
    EXPECT_FALSE(r.closes[0].empty()) << status;
    EXPECT_EQ(server_.stream(id).rst_code, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  }
  EXPECT_TRUE(client_.alive());
}

TEST_F(H2SessionTest, InformationalHeadersAreSkipped) {
  Recorder& r = recorder();
  const int32_t id = get(r);
  pump();
  server_.informational(id, "100");
  pump();
  EXPECT_TRUE(r.statuses.empty());
  server_.respond(id, "200");
  server_.send(id, "done");
  server_.finish(id);
  pump();
  EXPECT_EQ(r.statuses, std::vector<int>{200});
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.closes, std::vector<std::string>{""});
}

TEST(H2SessionLimitsTest, PeerMaxConcurrentStreams) {
  H2Session client;
  FakeServer server(2);
  auto pump = [&] { pump_until_quiet(client, server); };
  pump();
  int closes = 0;
  auto sink = [&] { return ResponseSink{nullptr, nullptr, [&](const std::string&) { ++closes; }}; };
  const int32_t a = client.submit_get("k", "/a", {}, sink());
  const int32_t b = client.submit_get("k", "/b", {}, sink());
  EXPECT_GT(a, 0);
  EXPECT_GT(b, 0);
  EXPECT_EQ(client.submit_get("k", "/c", {}, sink()), -1);
  pump();
  server.respond(a, "200", {}, true);
  pump();
  EXPECT_EQ(closes, 1);
  EXPECT_GT(client.submit_get("k", "/c", {}, sink()), 0);
  EXPECT_EQ(closes, 1);
}

TEST_F(H2SessionTest, AtMostMaxStreams) {
  for (size_t i = 0; i < H2Session::kMaxStreams; ++i) {
    ASSERT_GT(get(recorder()), 0) << i;
  }
  Recorder& over = recorder();
  EXPECT_EQ(get(over), -1);
  EXPECT_EQ(client_.open_streams(), H2Session::kMaxStreams);
  pump();
  EXPECT_EQ(server_.streams().size(), H2Session::kMaxStreams);
  EXPECT_TRUE(over.closes.empty());
}

TEST_F(H2SessionTest, RejectsInvalidRequestFields) {
  Recorder& r = recorder();
  const ResponseSink sink = r.sink();
  EXPECT_EQ(client_.submit_get("", "/", {}, sink), -1);
  EXPECT_EQ(client_.submit_get("k", "", {}, sink), -1);
  EXPECT_EQ(client_.submit_get("k", "/", {{"Authorization", "x"}}, sink), -1);
  EXPECT_EQ(client_.submit_get("k", "/", {{":path", "/x"}}, sink), -1);
  EXPECT_EQ(client_.submit_get("k", "/", {{"connection", "close"}}, sink), -1);
  EXPECT_EQ(client_.submit_get("k", "/", {{"authorization", "a\r\nb"}}, sink), -1);
  EXPECT_EQ(client_.open_streams(), 0u);
  EXPECT_GT(client_.submit_get("k", "/", {{"accept", "application/json"}}, sink), 0);
}

TEST_F(H2SessionTest, PingIsAcked) {
  EXPECT_EQ(client_.pings_acked(), 0u);
  client_.ping();
  pump();
  EXPECT_EQ(client_.pings_acked(), 1u);
}

TEST(H2SessionLifetimeTest, DestructorCallsNoSink) {
  int calls = 0;
  {
    H2Session client;
    client.submit_get("k", "/", {},
                      {[&](int) { ++calls; }, [&](std::string_view) { ++calls; },
                       [&](const std::string&) { ++calls; }});
    EXPECT_FALSE(client.take_output().empty());
  }
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace meshgate::net::http
