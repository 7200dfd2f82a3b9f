// HTTP/1.1 response parsing (RFC 9112), one byte range at a time.
//
// Choices where the RFC leaves room, all on the strict side because the
// bytes come from the network:
// - Lines end in CRLF; a bare LF, or a CR anywhere else in a line, is an
//   error (RFC 9112 2.2 allows but does not require accepting a bare LF).
// - obs-fold is an error, as are control characters in a field value.
// - The header limit covers the status line, the fields and the blank line
//   of the final response and of every 1xx before it, so an endless run of
//   interim responses ends in an error. Trailers get a limit of their own,
//   the same size.
// - 101 Switching Protocols is an error: after it the bytes are no longer
//   HTTP/1.1, so skipping it as an interim response would misread them.
// - 204 and 304 have no body whatever their framing fields say (RFC 9112
//   6.3, rule 1). Transfer-Encoding wins over Content-Length (rule 3), but
//   such a response is not kept alive. Transfer-Encoding in an HTTP/1.0
//   response is an error (RFC 9112 6.1: its framing is faulty).
#include "net/http/http1_response.h"

#include <algorithm>

namespace meshgate::net::http {
namespace {

constexpr size_t kMaxChunkLineBytes = 4096;  // chunk-size, extensions and CRLF
constexpr size_t kMaxChunkSizeDigits = 16;   // 16 hex digits fit in 64 bits
constexpr uint64_t kMaxContentLength = uint64_t{1} << 62;

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Field values and reason phrases: VCHAR, obs-text, SP and HTAB.
bool is_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
  });
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The elements of a comma-separated list (RFC 9110 5.6.1), trimmed; empty
// elements are kept so that callers can decide about them.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  for (;;) {
    const size_t comma = s.find(',');
    out.push_back(trim(s.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    s.remove_prefix(comma + 1);
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string strip_crlf_chars(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

}  // namespace

namespace {

std::string request_head(std::string_view method, std::string_view host, std::string_view path,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  // Values are trusted, but a stray CR or LF must not end a line early and
  // smuggle a header or a second request in.
  std::string out = strip_crlf_chars(method) + " " + strip_crlf_chars(path) +
                    " HTTP/1.1\r\nHost: " + strip_crlf_chars(host) + "\r\nUser-Agent: meshgate\r\n";
  for (const auto& [name, value] : headers) {
    out += strip_crlf_chars(name);
    out += ": ";
    out += strip_crlf_chars(value);
    out += "\r\n";
  }
  return out;
}

}  // namespace

std::string http1_get_request(std::string_view host, std::string_view path,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  return request_head("GET", host, path, headers) + "\r\n";
}

std::string http1_request_with_body(std::string_view method, std::string_view host,
                                    std::string_view path,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    std::string_view body) {
  return request_head(method, host, path, headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

Http1Response::Http1Response(Http1Limits limits) : limits_(limits) {}

bool Http1Response::headers_done() const {
  return headers_done_;
}

std::optional<std::string> Http1Response::header(std::string_view name) const {
  for (const auto& [n, v] : headers_) {
    if (iequals(n, name)) return v;
  }
  return std::nullopt;
}

bool Http1Response::has_token(std::string_view name, std::string_view token) const {
  for (const auto& [n, v] : headers_) {
    if (!iequals(n, name)) continue;
    for (std::string_view element : split_list(v)) {
      if (iequals(element, token)) return true;
    }
  }
  return false;
}

bool Http1Response::keep_alive() const {
  if (state_ == State::kError || !headers_done_ || close_delimited_ || te_and_cl_) return false;
  if (has_token("connection", "close")) return false;
  return !http10_ || has_token("connection", "keep-alive");
}

void Http1Response::fail(std::string why) {
  state_ = State::kError;
  error_ = std::move(why);
  line_.clear();
  line_.shrink_to_fit();
}

Http1Response::Result Http1Response::feed(std::string_view data, const BodyFn& on_body,
                                          size_t* consumed) {
  size_t pos = 0;
  while (state_ != State::kDone && state_ != State::kError && pos < data.size()) {
    step(data, pos, on_body);
  }
  if (consumed != nullptr) *consumed = pos;
  if (state_ == State::kDone) return Result::kDone;
  if (state_ == State::kError) return Result::kError;
  return Result::kNeedMore;
}

Http1Response::Result Http1Response::finish() {
  switch (state_) {
    case State::kDone:
      return Result::kDone;
    case State::kError:
      return Result::kError;
    case State::kUntilClose:
      state_ = State::kDone;
      return Result::kDone;
    case State::kStatusLine:
      fail("connection closed before the end of the status line");
      break;
    case State::kHeaders:
      fail("connection closed before the end of the headers");
      break;
    case State::kFixedBody:
      fail("connection closed before the end of the body (" + std::to_string(remaining_) +
           " bytes missing)");
      break;
    case State::kTrailers:
      fail("connection closed before the end of the trailers");
      break;
    default:
      fail("connection closed before the end of the chunked body");
      break;
  }
  return Result::kError;
}

void Http1Response::step(std::string_view data, size_t& pos, const BodyFn& on_body) {
  switch (state_) {
    case State::kStatusLine:
    case State::kHeaders:
      return step_head_line(data, pos);
    case State::kChunkSize:
      return step_chunk_size(data, pos);
    case State::kChunkDataCr:
    case State::kChunkDataLf:
      return step_chunk_crlf(data, pos);
    case State::kTrailers:
      return step_trailer(data, pos);
    case State::kFixedBody:
    case State::kUntilClose:
    case State::kChunkData:
      return step_body(data, pos, on_body);
    case State::kDone:
    case State::kError:
      return;
  }
}

// Appends to line_ up to and including the next LF. The whole line, CRLF
// included, may take at most `budget` bytes: checked before anything is
// kept, so a line that never ends cannot grow the buffer past the limit.
Http1Response::LineStatus Http1Response::take_line(std::string_view data, size_t& pos,
                                                   size_t budget) {
  const size_t lf = data.find('\n', pos);
  const size_t end = lf == std::string_view::npos ? data.size() : lf + 1;
  const size_t piece = end - pos;
  if (line_.size() > budget || piece > budget - line_.size()) {
    pos += budget - std::min(budget, line_.size());  // up to the first byte over the limit
    return LineStatus::kTooLong;
  }
  line_.append(data.substr(pos, piece));
  pos = end;
  return lf == std::string_view::npos ? LineStatus::kPartial : LineStatus::kComplete;
}

// A complete line_ without its CRLF; false (and an error) on a bare LF.
bool Http1Response::strip_crlf(std::string_view& line) {
  line = line_;
  if (line.size() < 2 || line[line.size() - 2] != '\r') {
    fail("line ends in a bare LF, not CRLF");
    return false;
  }
  line.remove_suffix(2);
  return true;
}

void Http1Response::step_head_line(std::string_view data, size_t& pos) {
  const size_t limit = limits_.max_header_bytes;
  const size_t budget = head_bytes_ >= limit ? 0 : limit - head_bytes_;
  const LineStatus got = take_line(data, pos, budget);
  if (got == LineStatus::kTooLong) {
    return fail("header block larger than " + std::to_string(limit) + " bytes");
  }
  if (got == LineStatus::kPartial) return;
  head_bytes_ += line_.size();
  std::string_view line;
  if (!strip_crlf(line)) return;
  if (state_ == State::kStatusLine) {
    if (parse_status_line(line)) state_ = State::kHeaders;
  } else if (line.empty()) {
    end_of_head();
  } else {
    parse_field_line(line, &headers_);
  }
  if (state_ != State::kError) line_.clear();
}

// "HTTP/1.1 200 OK"; the reason phrase may be empty, and so may the space
// before it, which some servers leave out.
bool Http1Response::parse_status_line(std::string_view line) {
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/" || line[8] != ' ') {
    fail("malformed status line");
    return false;
  }
  const std::string_view version = line.substr(0, 8);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    fail("unsupported HTTP version in the status line");
    return false;
  }
  const std::string_view code = line.substr(9, 3);
  const bool digits =
      std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits || code[0] < '1' || code[0] > '5') {
    fail("malformed status code in the status line");
    return false;
  }
  if (line.size() > 12 && (line[12] != ' ' || !is_text(line.substr(13)))) {
    fail("malformed reason phrase in the status line");
    return false;
  }
  http10_ = version == "HTTP/1.0";
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  return true;
}

// "name: value". Stored in `store` if given (trailers are checked, then
// dropped).
bool Http1Response::parse_field_line(std::string_view line, std::vector<Field>* store) {
  if (line.front() == ' ' || line.front() == '\t') {
    fail("obs-fold (a field line starting with whitespace) is not allowed");
    return false;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail("field line without a colon");
    return false;
  }
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar) || name.empty()) {
    fail("invalid field name (whitespace before the colon?)");
    return false;
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (!is_text(value)) {
    fail("control character in a field value");
    return false;
  }
  if (store != nullptr) store->emplace_back(std::string(name), std::string(value));
  return true;
}

void Http1Response::end_of_head() {
  if (status_ == 101) return fail("unexpected 101 Switching Protocols");
  if (status_ < 200) {
    // Interim: forget it and read the next response, within the same limit.
    status_ = 0;
    http10_ = false;
    headers_.clear();
    state_ = State::kStatusLine;
    return;
  }
  if (!choose_framing()) return;
  headers_done_ = true;
}

// RFC 9112 6.3, in order.
bool Http1Response::choose_framing() {
  if (status_ == 204 || status_ == 304) {
    state_ = State::kDone;
    return true;
  }
  bool has_te = false;
  std::string codings;
  for (const auto& [n, v] : headers_) {
    if (!iequals(n, "transfer-encoding")) continue;
    has_te = true;
    codings += ',';
    codings += v;
  }
  if (has_te) return choose_transfer_coding(codings);
  std::optional<uint64_t> length;
  if (!read_content_length(length)) return false;
  if (length.has_value()) {
    remaining_ = *length;
    state_ = remaining_ == 0 ? State::kDone : State::kFixedBody;
  } else {
    state_ = State::kUntilClose;
    close_delimited_ = true;
  }
  return true;
}

bool Http1Response::choose_transfer_coding(std::string_view codings) {
  if (http10_) {
    fail("Transfer-Encoding in an HTTP/1.0 response");
    return false;
  }
  std::string_view last;
  for (std::string_view element : split_list(codings)) {
    if (!element.empty()) last = element;
  }
  last = trim(last.substr(0, last.find(';')));  // a coding's parameters
  if (last.empty()) {
    fail("empty Transfer-Encoding");
    return false;
  }
  te_and_cl_ = header("content-length").has_value();
  if (iequals(last, "chunked")) {
    state_ = State::kChunkSize;
  } else {
    state_ = State::kUntilClose;
    close_delimited_ = true;
  }
  return true;
}

// Every Content-Length element must be digits and all must agree; none at
// all leaves `length` empty.
bool Http1Response::read_content_length(std::optional<uint64_t>& length) {
  for (const auto& [n, v] : headers_) {
    if (!iequals(n, "content-length")) continue;
    for (std::string_view element : split_list(v)) {
      uint64_t value = 0;
      if (element.empty()) {
        fail("invalid Content-Length");
        return false;
      }
      for (char c : element) {
        if (c < '0' || c > '9') {
          fail("invalid Content-Length");
          return false;
        }
        value = value * 10 + static_cast<uint64_t>(c - '0');
        if (value > kMaxContentLength) {
          fail("Content-Length too large");
          return false;
        }
      }
      if (length.has_value() && *length != value) {
        fail("conflicting Content-Length values");
        return false;
      }
      length = value;
    }
  }
  return true;
}

void Http1Response::step_chunk_size(std::string_view data, size_t& pos) {
  const LineStatus got = take_line(data, pos, kMaxChunkLineBytes);
  if (got == LineStatus::kTooLong) {
    return fail("chunk-size line longer than " + std::to_string(kMaxChunkLineBytes) + " bytes");
  }
  if (got == LineStatus::kPartial) return;
  std::string_view line;
  if (!strip_crlf(line) || !parse_chunk_size(line)) return;
  line_.clear();
}

// chunk-size [ BWS ";" chunk-ext ]: the extensions are checked for control
// characters and otherwise ignored.
bool Http1Response::parse_chunk_size(std::string_view line) {
  size_t digits = 0;
  uint64_t size = 0;
  while (digits < line.size() && hex_value(line[digits]) >= 0) {
    if (++digits > kMaxChunkSizeDigits) {
      fail("chunk size has more than " + std::to_string(kMaxChunkSizeDigits) + " hex digits");
      return false;
    }
    size = size * 16 + static_cast<uint64_t>(hex_value(line[digits - 1]));
  }
  if (digits == 0) {
    fail("invalid chunk size");
    return false;
  }
  const std::string_view rest = trim(line.substr(digits));
  if (!rest.empty() && (rest.front() != ';' || !is_text(rest))) {
    fail("invalid chunk extension");
    return false;
  }
  remaining_ = size;
  state_ = size == 0 ? State::kTrailers : State::kChunkData;
  trailer_bytes_ = 0;
  return true;
}

void Http1Response::step_chunk_crlf(std::string_view data, size_t& pos) {
  const char want = state_ == State::kChunkDataCr ? '\r' : '\n';
  if (data[pos] != want) return fail("missing CRLF after chunk data");
  ++pos;
  state_ = state_ == State::kChunkDataCr ? State::kChunkDataLf : State::kChunkSize;
}

void Http1Response::step_trailer(std::string_view data, size_t& pos) {
  const size_t limit = limits_.max_header_bytes;
  const size_t budget = trailer_bytes_ >= limit ? 0 : limit - trailer_bytes_;
  const LineStatus got = take_line(data, pos, budget);
  if (got == LineStatus::kTooLong) {
    return fail("trailer section larger than " + std::to_string(limit) + " bytes");
  }
  if (got == LineStatus::kPartial) return;
  trailer_bytes_ += line_.size();
  std::string_view line;
  if (!strip_crlf(line)) return;
  if (line.empty()) {
    state_ = State::kDone;
  } else if (!parse_field_line(line, nullptr)) {
    return;
  }
  line_.clear();
}

// Body bytes go out as they arrive: nothing of the body is buffered.
void Http1Response::step_body(std::string_view data, size_t& pos, const BodyFn& on_body) {
  size_t n = data.size() - pos;
  if (state_ != State::kUntilClose) n = static_cast<size_t>(std::min<uint64_t>(n, remaining_));
  if (n > 0 && on_body) on_body(data.substr(pos, n));
  pos += n;
  if (state_ == State::kUntilClose) return;
  remaining_ -= n;
  if (remaining_ != 0) return;
  state_ = state_ == State::kFixedBody ? State::kDone : State::kChunkDataCr;
}

}  // namespace meshgate::net::http
