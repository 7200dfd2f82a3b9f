// An HTTP/1.1 response as it arrives on a connection, parsed incrementally:
// the status line and headers, then the body framed by Content-Length, by
// chunked transfer coding (RFC 9112 section 7.1), or by the connection's
// close. Pure: no I/O. The input is untrusted: the status line and header
// block together are bounded, a chunk-size line is bounded, sizes are
// checked for overflow, and anything malformed is an error with a reason,
// never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meshgate::net::http {

struct Http1Limits {
  size_t max_header_bytes = 64 * 1024;  // status line + headers + blank line
};

// "GET <path> HTTP/1.1" with Host, the given headers and "Accept-Encoding:
// identity"-free defaults: Host, User-Agent "meshgate", then `headers` as
// given (name, value), then the blank line.
std::string http1_get_request(std::string_view host, std::string_view path,
                              const std::vector<std::pair<std::string, std::string>>& headers);
// The same for a request with a body ("POST"): Content-Length added.
std::string http1_request_with_body(std::string_view method, std::string_view host,
                                    std::string_view path,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view body);

class Http1Response {
 public:
  enum class Result {
    kNeedMore,  // everything given was consumed; feed more
    kDone,      // the response is complete; *consumed says how much was used
    kError,     // malformed or over a limit; error() says why
  };
  using BodyFn = std::function<void(std::string_view data)>;

  explicit Http1Response(Http1Limits limits = {});

  // Parses `data`. Body bytes, with chunk framing removed, go to `on_body`
  // as they are decoded (possibly in several calls). *consumed (if not
  // null) is set to the bytes of `data` used: all of them unless kDone
  // arrived mid-buffer (on kError: up to the byte where the error was
  // found). After kDone or kError, feed() returns the same result and
  // consumes nothing. 1xx interim responses (100 Continue) are skipped. A
  // response to which no body belongs (204, 304) is done at the end of its
  // headers.
  Result feed(std::string_view data, const BodyFn& on_body, size_t* consumed = nullptr);

  // The peer closed the connection: kDone if the body runs to the close
  // (no Content-Length, not chunked) or the response was already done,
  // else kError ("connection closed before the end of the ...").
  Result finish();

  int status() const { return status_; }  // 0 until the status line is read
  bool headers_done() const;
  // The value of a header (name case-insensitive; the first if repeated),
  // with surrounding whitespace removed.
  std::optional<std::string> header(std::string_view name) const;
  // False if the server said "Connection: close" or the body ran to the close.
  // Also false before the headers are done, after an error, for HTTP/1.0
  // without "Connection: keep-alive", and when both Transfer-Encoding and
  // Content-Length were sent (RFC 9112 6.3: possible smuggling).
  bool keep_alive() const;
  const std::string& error() const { return error_; }

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kFixedBody,   // Content-Length: remaining_ bytes to go
    kUntilClose,  // the body runs to the connection's close
    kChunkSize,
    kChunkData,  // remaining_ bytes of the current chunk to go
    kChunkDataCr,
    kChunkDataLf,
    kTrailers,
    kDone,
    kError,
  };
  enum class LineStatus { kPartial, kComplete, kTooLong };
  using Field = std::pair<std::string, std::string>;

  LineStatus take_line(std::string_view data, size_t& pos, size_t budget);
  bool strip_crlf(std::string_view& line);
  void step(std::string_view data, size_t& pos, const BodyFn& on_body);
  void step_head_line(std::string_view data, size_t& pos);
  void step_chunk_size(std::string_view data, size_t& pos);
  void step_chunk_crlf(std::string_view data, size_t& pos);
  void step_trailer(std::string_view data, size_t& pos);
  void step_body(std::string_view data, size_t& pos, const BodyFn& on_body);
  bool parse_status_line(std::string_view line);
  bool parse_field_line(std::string_view line, std::vector<Field>* store);
  bool parse_chunk_size(std::string_view line);
  void end_of_head();
  bool choose_framing();
  bool choose_transfer_coding(std::string_view codings);
  bool read_content_length(std::optional<uint64_t>& length);
  bool has_token(std::string_view name, std::string_view token) const;
  void fail(std::string why);

  Http1Limits limits_;
  int status_ = 0;
  std::string error_;
  State state_ = State::kStatusLine;
  std::string line_;          // the line being read, CRLF included; bounded
  size_t head_bytes_ = 0;     // complete head lines, interim responses included
  size_t trailer_bytes_ = 0;  // complete trailer lines
  uint64_t remaining_ = 0;
  bool http10_ = false;
  bool headers_done_ = false;
  bool close_delimited_ = false;
  bool te_and_cl_ = false;  // both framings were sent: suspicious, so do not reuse
  std::vector<Field> headers_;
};

}  // namespace meshgate::net::http
