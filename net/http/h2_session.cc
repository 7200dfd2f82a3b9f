#include "net/http/h2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace meshgate::net::http {
namespace {

// RFC 9113 §6.5.2 sizes a header list as the sum of name + value + 32.
constexpr size_t kHeaderFieldOverhead = 32;
// Bounds the GOAWAY debug text copied into error().
constexpr size_t kMaxDebugText = 200;

std::string reset_reason(uint32_t code) {
  return std::string("stream reset: ") + nghttp2_http2_strerror(code);
}

std::string lib_reason(int code) {
  return std::string("http2: ") + nghttp2_strerror(code);
}

// ":status" must be exactly three digits in 100..599; nghttp2 lets e.g. "099"
// and "600" through.
int parse_status(std::string_view value) {
  if (value.size() != 3) return -1;
  int status = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
    status = status * 10 + (c - '0');
  }
  return (status >= 100 && status <= 599) ? status : -1;
}

const uint8_t* bytes(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  // NGHTTP2_NV_FLAG_NONE: nghttp2 copies both strings at submit time.
  return nghttp2_nv{const_cast<uint8_t*>(bytes(name)), const_cast<uint8_t*>(bytes(value)),
                    name.size(), value.size(), NGHTTP2_NV_FLAG_NONE};
}

// Fields HTTP/2 forbids in a request (RFC 9113 §8.2.2) and pseudo-headers
// that only submit_get() itself may set: a peer would reset the stream.
bool allowed_field_name(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kForbidden = {
      "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host"};
  if (name.empty() || name.front() == ':') return false;
  if (std::find(kForbidden.begin(), kForbidden.end(), name) != kForbidden.end()) return false;
  return nghttp2_check_header_name(bytes(name), name.size()) != 0;
}

bool valid_request(std::string_view authority, std::string_view path,
                   const H2Session::Headers& headers) {
  if (authority.empty() || nghttp2_check_authority(bytes(authority), authority.size()) == 0) {
    return false;
  }
  if (path.empty() || path.front() != '/' || nghttp2_check_path(bytes(path), path.size()) == 0) {
    return false;
  }
  return std::all_of(headers.begin(), headers.end(), [](const auto& field) {
    return allowed_field_name(field.first) &&
           nghttp2_check_header_value_rfc9113(bytes(field.second), field.second.size()) != 0;
  });
}

}  // namespace

struct H2Session::Impl {
  struct Stream {
    // Shared so a callback in progress keeps its sink alive even if the sink
    // cancels its own stream (erasing this entry) from inside the call.
    std::shared_ptr<ResponseSink> sink;
    size_t header_bytes = 0;       // all header blocks of the response so far
    int block_status = 0;          // :status of the header block being read
    bool status_reported = false;  // on_status called: later blocks are trailers
    bool remote_ended = false;     // END_STREAM received from the server
  };

  nghttp2_session* session = nullptr;
  std::unordered_map<int32_t, Stream> streams;  // exactly the sinks still owed on_close
  std::string out;
  std::string error;
  bool dead = false;
  bool goaway = false;
  bool in_nghttp2 = false;  // inside mem_recv/mem_send: their callbacks may run
  uint64_t pings_acked = 0;

  ~Impl() {
    streams.clear();  // nghttp2_session_del must not reach a sink
    dead = true;
    if (session != nullptr) nghttp2_session_del(session);
  }

  static Impl* self(void* user_data) { return static_cast<Impl*>(user_data); }

  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : &it->second;
  }

  // Removes the stream before calling its sink, which may re-enter.
  void close_stream(int32_t id, const std::string& reason) {
    auto it = streams.find(id);
    if (it == streams.end()) return;
    std::shared_ptr<ResponseSink> sink = std::move(it->second.sink);
    streams.erase(it);
    if (sink->on_close) sink->on_close(reason);
  }

  // The response is unacceptable: reset the stream and end the sink now.
  void fail_stream(int32_t id, const std::string& reason) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_PROTOCOL_ERROR);
    close_stream(id, reason);
  }

  // The connection is finished: every open sink is closed, once, by id.
  void fail_all(const std::string& reason) {
    dead = true;
    if (error.empty()) error = reason;
    std::unordered_map<int32_t, Stream> doomed;
    doomed.swap(streams);
    std::vector<int32_t> ids;
    ids.reserve(doomed.size());
    for (const auto& entry : doomed)
      ids.push_back(entry.first);
    std::sort(ids.begin(), ids.end());
    for (int32_t id : ids) {
      std::shared_ptr<ResponseSink> sink = std::move(doomed[id].sink);
      if (sink->on_close) sink->on_close(reason);
    }
  }

  size_t max_streams() const {
    const uint32_t peer =
        nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    return std::min<size_t>(kMaxStreams, peer);
  }

  // Moves everything nghttp2 has queued into `out`.
  void flush() {
    in_nghttp2 = true;
    while (!dead) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n < 0) {
        in_nghttp2 = false;
        fail_all(lib_reason(static_cast<int>(n)));
        return;
      }
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    in_nghttp2 = false;
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (Stream* stream = self(user_data)->find(frame->hd.stream_id)) stream->block_status = 0;
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    Impl* impl = self(user_data);
    const int32_t id = frame->hd.stream_id;
    Stream* stream = frame->hd.type == NGHTTP2_HEADERS ? impl->find(id) : nullptr;
    if (stream == nullptr) return 0;
    stream->header_bytes += namelen + valuelen + kHeaderFieldOverhead;
    if (stream->header_bytes > kMaxResponseHeaderBytes) {
      impl->fail_stream(
          id, "response headers exceed " + std::to_string(kMaxResponseHeaderBytes) + " bytes");
      return 0;
    }
    const std::string_view field(reinterpret_cast<const char*>(name), namelen);
    if (field == ":status") {
      const int status = parse_status({reinterpret_cast<const char*>(value), valuelen});
      if (status < 0) {
        impl->fail_stream(id, "invalid :status in response");
        return 0;
      }
      stream->block_status = status;
    }
    return 0;
  }

  // A complete header block: the first one with a final status is the
  // response head; 1xx blocks before it and trailers after it are skipped.
  void on_headers_frame(const nghttp2_frame* frame) {
    Stream* stream = find(frame->hd.stream_id);
    if (stream == nullptr) return;
    if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) stream->remote_ended = true;
    if (stream->status_reported || stream->block_status < 200) return;
    stream->status_reported = true;
    const int status = stream->block_status;
    const std::shared_ptr<ResponseSink> sink = stream->sink;
    // `stream` may be gone once the sink runs; do not touch it after.
    if (sink->on_status) sink->on_status(status);
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Impl* impl = self(user_data);
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        impl->on_headers_frame(frame);
        break;
      case NGHTTP2_DATA:
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
          if (Stream* stream = impl->find(frame->hd.stream_id)) stream->remote_ended = true;
        }
        break;
      case NGHTTP2_GOAWAY:
        // nghttp2 itself closes the streams above last_stream_id.
        impl->goaway = true;
        break;
      case NGHTTP2_PING:
        if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0) ++impl->pings_acked;
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                           void* user_data) {
    Stream* stream = self(user_data)->find(id);
    if (stream == nullptr) return 0;  // cancelled or failed: drop the bytes
    const std::shared_ptr<ResponseSink> sink = stream->sink;
    if (sink->on_data) sink->on_data({reinterpret_cast<const char*>(data), len});
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t code, void* user_data) {
    Impl* impl = self(user_data);
    const Stream* stream = impl->find(id);
    if (stream == nullptr) return 0;
    std::string reason;
    if (code != NGHTTP2_NO_ERROR || !stream->remote_ended) {
      reason = reset_reason(code);
    } else if (!stream->status_reported) {
      reason = "response ended without a final status";
    }
    impl->close_stream(id, reason);
    return 0;
  }

  // A request HEADERS that never left: nghttp2 closes the stream only if it
  // had already opened it.
  static int on_frame_not_send(nghttp2_session* session, const nghttp2_frame* frame, int lib_error,
                               void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    if (nghttp2_session_find_stream(session, frame->hd.stream_id) != nullptr) return 0;
    self(user_data)->close_stream(frame->hd.stream_id,
                                  std::string("request not sent: ") + nghttp2_strerror(lib_error));
    return 0;
  }

  // We never submit GOAWAY: one going out is nghttp2 ending the connection
  // over a protocol error it found in the input (mem_recv still succeeds).
  static int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type != NGHTTP2_GOAWAY) return 0;
    const nghttp2_goaway& goaway = frame->goaway;
    std::string reason = std::string("http2: ") + nghttp2_http2_strerror(goaway.error_code);
    if (goaway.opaque_data_len > 0) {
      reason += ": ";
      reason.append(reinterpret_cast<const char*>(goaway.opaque_data),
                    std::min(goaway.opaque_data_len, kMaxDebugText));
    }
    self(user_data)->fail_all(reason);
    return 0;
  }

  bool init();
};

bool H2Session::Impl::init() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Impl::on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Impl::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Impl::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Impl::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Impl::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, &Impl::on_frame_not_send);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Impl::on_frame_send);
  nghttp2_option* option = nullptr;
  int rv = nghttp2_option_new(&option);
  if (rv == 0) {
    // Until the server's SETTINGS arrive, assume no more than we would open.
    nghttp2_option_set_peer_max_concurrent_streams(option, kMaxStreams);
    rv = nghttp2_session_client_new2(&session, callbacks, this, option);
    nghttp2_option_del(option);
  }
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    session = nullptr;
    return false;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, static_cast<uint32_t>(kMaxStreams)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxResponseHeaderBytes)},
  };
  return nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, std::size(settings)) == 0 &&
         nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow) ==
             0;
}

H2Session::H2Session() : impl_(std::make_unique<Impl>()) {
  if (!impl_->init()) {
    impl_->dead = true;
    impl_->error = "http2: cannot create the session";
  }
}

H2Session::~H2Session() = default;

int32_t H2Session::submit_get(std::string_view authority, std::string_view path,
                              const Headers& headers, ResponseSink sink) {
  Impl& impl = *impl_;
  if (impl.dead || impl.goaway || impl.streams.size() >= impl.max_streams()) return -1;
  if (!valid_request(authority, path, headers)) return -1;
  std::vector<nghttp2_nv> nva;
  nva.reserve(4 + headers.size());
  nva.push_back(make_nv(":method", "GET"));
  nva.push_back(make_nv(":scheme", "https"));
  nva.push_back(make_nv(":authority", authority));
  nva.push_back(make_nv(":path", path));
  for (const auto& [name, value] : headers)
    nva.push_back(make_nv(name, value));
  // No data provider: END_STREAM rides on the HEADERS frame.
  const int32_t id =
      nghttp2_submit_request(impl.session, nullptr, nva.data(), nva.size(), nullptr, nullptr);
  if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
    impl.goaway = true;  // ids used up: like a GOAWAY, only a new connection helps
    return -1;
  }
  if (id <= 0) return -1;
  impl.streams.emplace(id, Impl::Stream{std::make_shared<ResponseSink>(std::move(sink))});
  return id;
}

void H2Session::cancel(int32_t stream_id) {
  Impl& impl = *impl_;
  auto it = impl.streams.find(stream_id);
  if (it == impl.streams.end()) return;
  impl.streams.erase(it);
  if (!impl.dead) {
    nghttp2_submit_rst_stream(impl.session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
  }
}

void H2Session::ping() {
  if (!impl_->dead) nghttp2_submit_ping(impl_->session, NGHTTP2_FLAG_NONE, nullptr);
}

bool H2Session::receive(std::string_view data) {
  Impl& impl = *impl_;
  if (impl.dead) return false;
  if (impl.in_nghttp2) {
    // nghttp2 is not re-entrant; the input cannot be processed in order.
    impl.fail_all("http2: receive() called from a response callback");
    return false;
  }
  impl.in_nghttp2 = true;
  const ssize_t rv = nghttp2_session_mem_recv(impl.session, bytes(data), data.size());
  impl.in_nghttp2 = false;
  if (rv < 0) {
    impl.fail_all(lib_reason(static_cast<int>(rv)));
    return false;
  }
  // Sending now is what reveals a connection error (see on_frame_send).
  impl.flush();
  return !impl.dead;
}

std::string H2Session::take_output() {
  Impl& impl = *impl_;
  if (!impl.dead && !impl.in_nghttp2) impl.flush();
  return std::exchange(impl.out, std::string());
}

void H2Session::connection_lost(const std::string& reason) {
  impl_->fail_all("connection lost: " + reason);
}

bool H2Session::alive() const {
  return !impl_->dead && !impl_->goaway;
}

size_t H2Session::open_streams() const {
  return impl_->streams.size();
}

uint64_t H2Session::pings_acked() const {
  return impl_->pings_acked;
}

const std::string& H2Session::error() const {
  return impl_->error;
}

}  // namespace meshgate::net::http
