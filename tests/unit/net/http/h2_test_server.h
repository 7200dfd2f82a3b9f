// The in-memory peer for the H2Session tests: a real nghttp2 server session
// (FakeServer) that the test drives by hand, pump_until_quiet() to shuttle
// bytes between it and the client with no socket in between, a Recorder that
// captures what a ResponseSink saw, and the H2SessionTest fixture that ties
// them together.
#pragma once

#include <nghttp2/nghttp2.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "net/http/h2_session.h"

namespace meshgate::net::http::h2test {

using Headers = H2Session::Headers;

// Points into `headers`, which must outlive the result.
std::vector<nghttp2_nv> make_nva(const Headers& headers);

// The peer: a real nghttp2 server session, in memory. Requests are recorded;
// the test decides what to answer and when. A response body is a deferred
// data provider fed by send() and ended by finish(), so each send() between
// two pumps goes out as its own DATA frame.
class FakeServer {
 public:
  struct Stream {
    Headers headers;
    bool request_ended = false;  // END_STREAM seen on the request
    bool got_rst = false;
    uint32_t rst_code = 0;
    bool closed = false;
    std::string pending;  // body bytes not yet framed, from `offset`
    size_t offset = 0;
    bool eof = false;
  };

  explicit FakeServer(uint32_t max_concurrent_streams = 100);
  ~FakeServer() { nghttp2_session_del(session_); }
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  nghttp2_session* session() const { return session_; }
  std::map<int32_t, Stream>& streams() { return streams_; }
  Stream& stream(int32_t id) { return streams_[id]; }

  // The request header's value, or "<missing>".
  std::string header(int32_t id, std::string_view name);

  // Response headers; with `end`, END_STREAM rides on them (no body).
  void respond(int32_t id, std::string status, Headers extra = {}, bool end = false);
  void informational(int32_t id, std::string status);
  void send(int32_t id, std::string_view data);
  void finish(int32_t id);
  void reset(int32_t id, uint32_t code);
  void goaway(int32_t last_stream_id);

  // True when nghttp2 consumed every byte.
  bool feed(std::string_view data);
  // Everything the server has queued to send.
  std::string drain();

  bool goaway_received = false;

 private:
  static FakeServer& self(void* user_data) { return *static_cast<FakeServer*>(user_data); }

  static int on_begin(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data);
  static int on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int on_close(nghttp2_session*, int32_t id, uint32_t, void* user_data);
  static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                           uint32_t* flags, nghttp2_data_source*, void* user_data);

  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;
};

struct PumpResult {
  bool client_ok = true;  // the client accepted every read
  bool server_ok = true;  // the server consumed every byte
  bool quiet = false;     // stopped because neither side had anything to say
};

// Shuttles bytes both ways until neither side has anything to say (or a
// bound on rounds runs out, which leaves `quiet` false).
PumpResult pump_until_quiet(H2Session& client, FakeServer& server);

// What one ResponseSink saw; also checks the sink contract as it goes.
struct Recorder {
  std::vector<int> statuses;
  std::string body;
  int data_calls = 0;
  std::vector<std::string> closes;
  std::function<void(std::string_view)> extra_on_data;
  std::function<void(const std::string&)> extra_on_close;

  // Captures `this`: the Recorder must outlive the stream.
  ResponseSink sink();
};

// A client already past the SETTINGS exchange with a FakeServer.
class H2SessionTest : public ::testing::Test {
 protected:
  void SetUp() override { pump(); }
  void TearDown() override;

  // A deque, so references handed out stay valid as more are added.
  Recorder& recorder() { return recorders_.emplace_back(); }

  int32_t get(Recorder& recorder, std::string path = "/api/v1/pods") {
    return client_.submit_get("kube.example:6443", path, {{"authorization", "Bearer t0k3n"}},
                              recorder.sink());
  }

  // pump_until_quiet(), folding the outcome into client_ok_ and server_ok_.
  void pump();

  H2Session client_;
  FakeServer server_;
  std::deque<Recorder> recorders_;
  bool client_ok_ = true;
  bool server_ok_ = true;
};

}  // namespace meshgate::net::http::h2test
