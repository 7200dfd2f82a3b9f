// The in-memory nghttp2 server and the client/server pump behind the
// H2Session tests; see h2_test_server.h.
#include "tests/unit/net/http/h2_test_server.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace meshgate::net::http::h2test {
namespace {

const uint8_t* bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

std::vector<nghttp2_nv> make_nva(const Headers& headers) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : headers) {
    nva.push_back({const_cast<uint8_t*>(bytes(name)), const_cast<uint8_t*>(bytes(value)),
                   name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  return nva;
}

FakeServer::FakeServer(uint32_t max_concurrent_streams) {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &FakeServer::on_begin);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &FakeServer::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &FakeServer::on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &FakeServer::on_close);
  nghttp2_option* option = nullptr;
  nghttp2_option_new(&option);
  // Lets a test send a header block far above what the client accepts.
  nghttp2_option_set_max_send_header_block_length(option, 1 << 20);
  nghttp2_session_server_new2(&session_, callbacks, this, option);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_concurrent_streams}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
}

std::string FakeServer::header(int32_t id, std::string_view name) {
  for (const auto& [key, value] : streams_[id].headers) {
    if (key == name) return value;
  }
  return "<missing>";
}

void FakeServer::respond(int32_t id, std::string status, Headers extra, bool end) {
  Headers headers = {{":status", std::move(status)}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  std::vector<nghttp2_nv> nva = make_nva(headers);
  nghttp2_data_provider provider{};
  provider.read_callback = &FakeServer::read_body;
  nghttp2_submit_response(session_, id, nva.data(), nva.size(), end ? nullptr : &provider);
}

void FakeServer::informational(int32_t id, std::string status) {
  const Headers headers = {{":status", std::move(status)}};
  std::vector<nghttp2_nv> nva = make_nva(headers);
  nghttp2_submit_headers(session_, NGHTTP2_FLAG_NONE, id, nullptr, nva.data(), nva.size(), nullptr);
}

void FakeServer::send(int32_t id, std::string_view data) {
  streams_[id].pending.append(data);
  nghttp2_session_resume_data(session_, id);
}

void FakeServer::finish(int32_t id) {
  streams_[id].eof = true;
  nghttp2_session_resume_data(session_, id);
}

void FakeServer::reset(int32_t id, uint32_t code) {
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, code);
}

void FakeServer::goaway(int32_t last_stream_id) {
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream_id, NGHTTP2_NO_ERROR, nullptr, 0);
}

bool FakeServer::feed(std::string_view data) {
  return nghttp2_session_mem_recv(session_, bytes(data), data.size()) ==
         static_cast<ssize_t>(data.size());
}

std::string FakeServer::drain() {
  std::string out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n <= 0) return out;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

int FakeServer::on_begin(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  if (frame->hd.type == NGHTTP2_HEADERS) self(user_data).streams_[frame->hd.stream_id];
  return 0;
}

int FakeServer::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                          size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                          void* user_data) {
  self(user_data).streams_[frame->hd.stream_id].headers.emplace_back(
      std::string(reinterpret_cast<const char*>(name), namelen),
      std::string(reinterpret_cast<const char*>(value), valuelen));
  return 0;
}

int FakeServer::on_frame(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  FakeServer& server = self(user_data);
  if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    server.streams_[frame->hd.stream_id].request_ended = true;
  } else if (frame->hd.type == NGHTTP2_RST_STREAM) {
    Stream& stream = server.streams_[frame->hd.stream_id];
    stream.got_rst = true;
    stream.rst_code = frame->rst_stream.error_code;
  } else if (frame->hd.type == NGHTTP2_GOAWAY) {
    server.goaway_received = true;
  }
  return 0;
}

int FakeServer::on_close(nghttp2_session*, int32_t id, uint32_t, void* user_data) {
  self(user_data).streams_[id].closed = true;
  return 0;
}

ssize_t FakeServer::read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                              uint32_t* flags, nghttp2_data_source*, void* user_data) {
  Stream& stream = self(user_data).streams_[id];
  const size_t n = std::min(length, stream.pending.size() - stream.offset);
  std::memcpy(buf, stream.pending.data() + stream.offset, n);
  stream.offset += n;
  if (stream.offset == stream.pending.size()) {
    stream.pending.clear();
    stream.offset = 0;
    if (stream.eof) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

PumpResult pump_until_quiet(H2Session& client, FakeServer& server) {
  PumpResult result;
  for (int round = 0; round < 100000; ++round) {
    const std::string to_server = client.take_output();
    if (!to_server.empty()) result.server_ok = server.feed(to_server) && result.server_ok;
    const std::string to_client = server.drain();
    if (!to_client.empty()) result.client_ok = client.receive(to_client) && result.client_ok;
    if (to_server.empty() && to_client.empty()) {
      result.quiet = true;
      return result;
    }
  }
  return result;
}

ResponseSink Recorder::sink() {
  return ResponseSink{[this](int status) {
                        EXPECT_TRUE(closes.empty()) << "on_status after on_close";
                        statuses.push_back(status);
                      },
                      [this](std::string_view data) {
                        EXPECT_TRUE(closes.empty()) << "on_data after on_close";
                        body.append(data);
                        ++data_calls;
                        if (extra_on_data) extra_on_data(data);
                      },
                      [this](const std::string& error) {
                        closes.push_back(error);
                        if (extra_on_close) extra_on_close(error);
                      }};
}

void H2SessionTest::TearDown() {
  for (const Recorder& recorder : recorders_) {
    EXPECT_LE(recorder.closes.size(), 1u) << "on_close more than once";
    EXPECT_LE(recorder.statuses.size(), 1u) << "on_status more than once";
  }
}

void H2SessionTest::pump() {
  const PumpResult result = pump_until_quiet(client_, server_);
  client_ok_ = result.client_ok && client_ok_;
  server_ok_ = result.server_ok && server_ok_;
  if (!result.quiet) ADD_FAILURE() << "the connection never went quiet";
}

}  // namespace meshgate::net::http::h2test
