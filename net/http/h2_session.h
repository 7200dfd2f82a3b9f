// The client side of one HTTP/2 connection (RFC 9113), with nghttp2, free of
// I/O: bytes read from the socket go in through receive(), bytes to write come
// out of take_output(). Many requests share one session as concurrent
// streams, the way client-go multiplexes every watch on one connection; each
// response is delivered through its own ResponseSink.
//
// The peer is untrusted: nghttp2 enforces the protocol; on top of that a
// response's header block is bounded (kMaxResponseHeaderBytes) and the number
// of concurrent streams is bounded by the peer's SETTINGS and by
// kMaxStreams.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http/response_sink.h"

namespace meshgate::net::http {

class H2Session {
 public:
  static constexpr size_t kMaxResponseHeaderBytes = 64 * 1024;
  static constexpr size_t kMaxStreams = 100;
  // Flow-control windows announced to the server: watches stream a lot.
  static constexpr int32_t kStreamWindow = 4 * 1024 * 1024;
  static constexpr int32_t kConnectionWindow = 16 * 1024 * 1024;

  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Queues the connection preface and SETTINGS (enable_push 0, the windows
  // above) for take_output().
  H2Session();
  ~H2Session();
  H2Session(const H2Session&) = delete;
  H2Session& operator=(const H2Session&) = delete;

  // Starts "GET `path`" on a new stream with :scheme https, :authority
  // `authority` and `headers` (lower-case names, e.g. {"authorization",
  // "Bearer ..."}). Returns the stream id (> 0), or -1 when the session
  // cannot take another stream (dead, GOAWAY received, or kMaxStreams
  // open); then `sink` is not called. A sink may call submit_get() and
  // cancel() from inside its callbacks.
  int32_t submit_get(std::string_view authority, std::string_view path, const Headers& headers,
                     ResponseSink sink);

  // Resets a stream (RST_STREAM CANCEL); its sink is never called again.
  // Unknown or finished ids are ignored.
  void cancel(int32_t stream_id);

  // Queues a PING (keep-alive / liveness check of an idle connection).
  void ping();

  // Bytes read from the connection. Returns false on a protocol error: the
  // session is dead, error() says why, and every open stream's on_close has
  // been called with that reason.
  bool receive(std::string_view data);

  // Everything the session wants written now (possibly empty).
  std::string take_output();

  // The transport is gone (EOF, reset, timeout): every open stream's
  // on_close("connection lost: <reason>") is called; the session is dead.
  void connection_lost(const std::string& reason);

  bool alive() const;            // not dead and no GOAWAY received
  size_t open_streams() const;   // streams whose on_close has not been called
  uint64_t pings_acked() const;  // PING ACKs received
  const std::string& error() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meshgate::net::http
