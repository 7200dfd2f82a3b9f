// The stand-in Kubernetes API server. Layout, top to bottom: wire helpers
// (Status bodies, paths, queries, continue tokens); the seams between the
// store and the transports (Request, Exchange, WatchSink, Router); one TLS
// connection and its two protocols (HTTP/1.1, HTTP/2 over nghttp2); the
// store and the public API (Impl). Everything but the public methods runs on
// the server's one io thread, so the state needs no locks: public methods
// post to that thread and wait for the answer.
#include "tests/support/kube_apiserver.h"

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include "gateway/asio.h"

namespace meshgate::testing {
namespace {

using boost::system::error_code;
using Json = nlohmann::ordered_json;
using Tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<Tcp::socket>;
using Query = std::map<std::string, std::string>;

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr std::size_t kMaxOutput = 64 * 1024 * 1024;  // per connection or stream
constexpr std::size_t kSendBatch = 256 * 1024;        // h2 frames pulled per write
constexpr uint32_t kMaxStreams = 100;
constexpr std::size_t kMaxSnapshots = 64;
constexpr uint64_t kFirstResourceVersion = 1000;
constexpr uint64_t kMaxTimeoutSeconds = 365ULL * 24 * 3600;
constexpr std::chrono::seconds kHandshakeTimeout{10};
constexpr std::string_view kServiceAccount = "system:serviceaccount:istio-system:meshgate";

// ---------------------------------------------------------------------------
// Wire helpers

std::string dump(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

struct CodeNames {
  int code;
  std::string_view reason;  // metav1.Status reason
  std::string_view phrase;  // HTTP/1.1 reason phrase
};

constexpr std::array<CodeNames, 15> kCodeNames = {{
    {200, "", "OK"},
    {400, "BadRequest", "Bad Request"},
    {401, "Unauthorized", "Unauthorized"},
    {403, "Forbidden", "Forbidden"},
    {404, "NotFound", "Not Found"},
    {405, "MethodNotAllowed", "Method Not Allowed"},
    {409, "Conflict", "Conflict"},
    {410, "Expired", "Gone"},
    {413, "RequestEntityTooLarge", "Payload Too Large"},
    {429, "TooManyRequests", "Too Many Requests"},
    {431, "BadRequest", "Request Header Fields Too Large"},
    {500, "InternalError", "Internal Server Error"},
    {503, "ServiceUnavailable", "Service Unavailable"},
    {504, "Timeout", "Gateway Timeout"},
    {0, "Unknown", "Unknown"},
}};

const CodeNames& names_of(int code) {
  for (const CodeNames& names : kCodeNames) {
    if (names.code == code) return names;
  }
  return kCodeNames.back();
}

std::string_view reason_of(int code) {
  return names_of(code).reason;
}
std::string_view phrase_of(int code) {
  return names_of(code).phrase;
}

// A metav1.Status with status Failure; `details` is left out when null.
Json failure(int code, std::string_view message, Json details = nullptr) {
  Json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason_of(code)}};
  if (!details.is_null()) status["details"] = std::move(details);
  status["code"] = code;
  return status;
}

Json not_found() {
  return failure(404, "the server could not find the requested resource", Json::object());
}

Json expired_continue() {
  return failure(410,
                 "The provided continue parameter is too old to display a consistent list "
                 "result. You can start a new list without the continue parameter, or use the "
                 "continue value from the response to get a consistent list.");
}

// A collection path: /api/<version>/<plural> or /apis/<group>/<version>/<plural>.
struct Resource {
  std::string group;
  std::string version;
  std::string plural;
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
};

std::optional<Resource> parse_resource(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.starts_with('/')) return std::nullopt;
  path.remove_prefix(1);
  for (std::size_t slash; (slash = path.find('/')) != std::string_view::npos;) {
    parts.push_back(path.substr(0, slash));
    path.remove_prefix(slash + 1);
  }
  parts.push_back(path);
  if (std::ranges::any_of(parts, [](std::string_view p) { return p.empty(); })) return std::nullopt;
  if (parts.size() == 3 && parts[0] == "api") {
    return Resource{"", std::string(parts[1]), std::string(parts[2])};
  }
  if (parts.size() == 4 && parts[0] == "apis") {
    return Resource{std::string(parts[1]), std::string(parts[2]), std::string(parts[3])};
  }
  return std::nullopt;
}

struct KnownKind {
  std::string_view plural;
  std::string_view kind;
  std::string_view group;
};

// The kinds the server serves without anything applied (as a cluster with
// Istio's CRDs installed would); any other collection exists once applied to.
constexpr std::array<KnownKind, 7> kKnownKinds = {{
    {"pods", "Pod", ""},
    {"services", "Service", ""},
    {"namespaces", "Namespace", ""},
    {"endpointslices", "EndpointSlice", "discovery.k8s.io"},
    {"serviceentries", "ServiceEntry", "networking.istio.io"},
    {"workloadentries", "WorkloadEntry", "networking.istio.io"},
    {"destinationrules", "DestinationRule", "networking.istio.io"},
}};

bool is_known(const Resource& resource) {
  return std::ranges::any_of(kKnownKinds, [&](const KnownKind& k) {
    return k.plural == resource.plural && k.group == resource.group;
  });
}

std::string kind_of(std::string_view plural) {
  for (const KnownKind& known : kKnownKinds) {
    if (known.plural == plural) return std::string(known.kind);
  }
  std::string kind(plural);
  if (kind.ends_with("ies")) {
    kind.replace(kind.size() - 3, 3, "y");
  } else if (kind.ends_with("s")) {
    kind.pop_back();
  }
  if (!kind.empty() && kind[0] >= 'a' && kind[0] <= 'z') kind[0] = static_cast<char>(kind[0] - 32);
  return kind;
}

Json forbidden(const Resource& resource, std::string_view verb) {
  const std::string qualified =
      resource.group.empty() ? resource.plural : resource.plural + "." + resource.group;
  const std::string message = qualified + " is forbidden: User \"" + std::string(kServiceAccount) +
                              "\" cannot " + std::string(verb) + " resource \"" + resource.plural +
                              "\" in API group \"" + resource.group + "\" at the cluster scope";
  Json details = Json::object();
  if (!resource.group.empty()) details["group"] = resource.group;
  details["kind"] = resource.plural;
  return failure(403, message, std::move(details));
}

Json injected_error(int code, const Resource& resource, std::string_view verb) {
  switch (code) {
    case 403:
      return forbidden(resource, verb);
    case 404:
      return not_found();
    case 401:
      return failure(401, "Unauthorized");
    case 503:
      return failure(503, "the server is currently unable to handle the request");
    default:
      return failure(code, "Internal error occurred: injected by the test");
  }
}

std::optional<uint64_t> parse_uint(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// As Go's url.ParseQuery: %XX escapes and '+' for a space; a broken escape
// stays as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Splits "path?query"; the first value of a repeated parameter wins.
std::pair<std::string, Query> parse_target(std::string_view target) {
  const std::size_t mark = target.find('?');
  std::pair<std::string, Query> out{std::string(target.substr(0, mark)), {}};
  if (mark == std::string_view::npos) return out;
  std::string_view rest = target.substr(mark + 1);
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    out.second.emplace(percent_decode(pair.substr(0, eq)), percent_decode(value));
  }
  return out;
}

std::string lookup(const Query& query, const std::string& name) {
  const auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

bool is_true(std::string_view value) {
  return value == "1" || value == "true";
}

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Unpadded base64url, so a token needs no escaping in a query string.
std::string base64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const unsigned char c : in) {
    bits = (bits << 8) | c;
    count += 8;
    while (count >= 6)
      out += kBase64Url[(bits >> (count -= 6)) & 63];
  }
  if (count > 0) out += kBase64Url[(bits << (6 - count)) & 63];
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  std::string out;
  uint32_t bits = 0;
  int count = 0;
  for (const char c : in) {
    const std::size_t value = kBase64Url.find(c);
    if (value == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    count += 6;
    if (count >= 8) out += static_cast<char>((bits >> (count -= 8)) & 0xff);
  }
  return out;
}

struct ContinuePoint {
  uint64_t rv = 0;
  std::string start;
};

std::string continue_token(const ContinuePoint& point) {
  return base64url(dump(Json{{"rv", point.rv}, {"start", point.start}}));
}

std::optional<ContinuePoint> parse_continue(std::string_view token) {
  const std::optional<std::string> raw = unbase64url(token);
  if (!raw) return std::nullopt;
  const Json json = Json::parse(*raw, nullptr, false);
  if (!json.is_object() || !json.contains("rv") || !json["rv"].is_number_unsigned() ||
      !json.contains("start") || !json["start"].is_string()) {
    return std::nullopt;
  }
  return ContinuePoint{json["rv"].get<uint64_t>(), json["start"].get<std::string>()};
}

std::string audit_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t a = random();
  const uint64_t b = random();
  std::array<char, 40> text{};
  std::snprintf(text.data(), text.size(), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(0x4000 | (a & 0x0fff)),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text.data();
}

std::string event_line(std::string_view type, const Json& object) {
  return dump(Json{{"type", type}, {"object", object}}) + "\n";
}

// ---------------------------------------------------------------------------
// Seams between the store and the transports

struct Request {
  std::string protocol;
  std::string method;
  std::string target;
  std::string authorization;
  bool client_certificate = false;
};

// One streaming response (a watch). Inactive once ended or once its
// stream or connection is gone; then send and end do nothing.
class WatchSink {
 public:
  virtual ~WatchSink() = default;
  virtual void send(const std::string& line) = 0;
  virtual void end() = 0;  // the clean end of the response
  virtual bool active() const = 0;
};

// The answer to one request: either a whole response or a stream.
class Exchange {
 public:
  virtual ~Exchange() = default;
  virtual void respond(int status, const std::string& body) = 0;
  virtual std::shared_ptr<WatchSink> open_stream() = 0;  // 200, then lines
  bool answered() const { return answered_; }

 protected:
  bool answered_ = false;
};

class Router {
 public:
  virtual ~Router() = default;
  virtual void serve(const Request& request, Exchange& exchange) = 0;
};

// ---------------------------------------------------------------------------
// One TLS connection

class Protocol {
 public:
  virtual ~Protocol() = default;
  // Bytes from the client (empty: try buffered input again); false: close.
  virtual bool receive(std::string_view bytes) = 0;
  // Appends what is ready to go out.
  virtual void produce(std::string& out) { (void)out; }
  // Nothing more to say or hear: close once the output is written.
  virtual bool finished() const { return false; }
  // The connection is gone: every stream becomes inactive.
  virtual void closed() = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Router& router, Tcp::socket socket, asio::ssl::context& tls)
      : router_(router),
        stream_(std::move(socket), tls),
        handshake_timer_(stream_.get_executor()) {}

  void start();
  // Abrupt: no close_notify, no GOAWAY, as a crash or a cut cable.
  void close();
  void send(std::string_view bytes) { outbox_.append(bytes); }
  void flush();
  void close_when_flushed() { close_when_flushed_ = true; }
  // Runs receive("") later, outside whatever is on the stack now.
  void resume_later();
  bool is_closed() const { return closed_; }
  bool client_certificate() const { return client_certificate_; }

 private:
  void on_handshake(const error_code& ec);
  void read();
  void on_read(const error_code& ec, std::size_t n);

  Router& router_;
  TlsStream stream_;
  asio::steady_timer handshake_timer_;
  std::unique_ptr<Protocol> protocol_;
  std::array<char, 16 * 1024> input_{};
  std::string outbox_;
  std::string inflight_;
  bool writing_ = false;
  bool closed_ = false;
  bool close_when_flushed_ = false;
  bool client_certificate_ = false;
};

// ---------------------------------------------------------------------------
// HTTP/1.1: requests served one after another; a watch holds the connection
// until it ends.

struct Head {
  std::string method;
  std::string target;
  std::string version;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool parse_header_line(std::string_view line, Head& head) {
  const std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  std::string name(line.substr(0, colon));
  for (char& c : name) {
    if (c == ' ' || c == '\t') return false;
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  head.headers.emplace(std::move(name), std::string(trim(line.substr(colon + 1))));
  return true;
}

std::optional<Head> parse_head(std::string_view text) {
  Head head;
  std::size_t eol = text.find("\r\n");
  const std::string_view line = text.substr(0, eol);
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == sp2) return std::nullopt;
  head.method = line.substr(0, sp1);
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.version = line.substr(sp2 + 1);
  if (head.target.empty() || head.target.find(' ') != std::string::npos) return std::nullopt;
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 2);
    eol = text.find("\r\n");
    if (!parse_header_line(text.substr(0, eol), head)) return std::nullopt;
  }
  return head;
}

std::string http1_head(int status, bool keep_alive) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(phrase_of(status)) +
                     "\r\nAudit-Id: " + audit_id() +
                     "\r\nCache-Control: no-cache, private\r\nContent-Type: application/json\r\n";
  if (!keep_alive) head += "Connection: close\r\n";
  return head;
}

class Http1;

class Http1Watch final : public WatchSink {
 public:
  explicit Http1Watch(Http1& owner) : owner_(&owner) {}
  void send(const std::string& line) override;
  void end() override;
  bool active() const override { return owner_ != nullptr && !ended_; }
  void detach() { owner_ = nullptr; }

 private:
  Http1* owner_;
  bool ended_ = false;
};

class Http1 final : public Protocol {
 public:
  Http1(Connection& conn, Router& router) : conn_(conn), router_(router) {}
  ~Http1() override { closed(); }
  bool receive(std::string_view bytes) override;
  void closed() override {
    if (watch_) watch_->detach();
    watch_.reset();
  }
  Connection& conn() { return conn_; }
  std::shared_ptr<WatchSink> start_watch() {
    watch_ = std::make_shared<Http1Watch>(*this);
    return watch_;
  }

 private:
  void process();
  void fail(int status);
  Connection& conn_;
  Router& router_;
  std::string input_;
  std::shared_ptr<Http1Watch> watch_;  // the watch holding the connection
  bool done_ = false;                  // no further requests on this connection
};

class Http1Exchange final : public Exchange {
 public:
  Http1Exchange(Http1& owner, bool keep_alive) : owner_(owner), keep_alive_(keep_alive) {}
  void respond(int status, const std::string& body) override {
    answered_ = true;
    owner_.conn().send(http1_head(status, keep_alive_) +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    owner_.conn().flush();
  }
  std::shared_ptr<WatchSink> open_stream() override {
    answered_ = true;
    owner_.conn().send(http1_head(200, keep_alive_) + "Transfer-Encoding: chunked\r\n\r\n");
    owner_.conn().flush();
    return owner_.start_watch();
  }

 private:
  Http1& owner_;
  bool keep_alive_;
};

void Http1Watch::send(const std::string& line) {
  if (!active()) return;
  std::array<char, 20> size{};
  std::snprintf(size.data(), size.size(), "%zx\r\n", line.size());
  owner_->conn().send(std::string(size.data()) + line + "\r\n");
  owner_->conn().flush();
}

void Http1Watch::end() {
  if (!active()) return;
  ended_ = true;
  owner_->conn().send("0\r\n\r\n");
  owner_->conn().flush();
  owner_->conn().resume_later();  // serve what the client sent meanwhile
}

bool Http1::receive(std::string_view bytes) {
  if (input_.size() + bytes.size() > kMaxHead + kMaxBody) return false;
  input_.append(bytes);
  if (watch_ && !watch_->active()) watch_.reset();
  if (done_) {
    if (!watch_) conn_.close_when_flushed();
    return true;
  }
  process();
  return true;
}

void Http1::fail(int status) {
  const std::string body = dump(failure(status, phrase_of(status)));
  conn_.send(http1_head(status, false) + "Content-Length: " + std::to_string(body.size()) +
             "\r\n\r\n" + body);
  done_ = true;
  conn_.close_when_flushed();
}

void Http1::process() {
  while (!watch_ && !done_) {
    const std::size_t end = input_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (input_.size() > kMaxHead) fail(431);
      return;
    }
    if (end > kMaxHead) return fail(431);
    const std::optional<Head> head = parse_head(std::string_view(input_).substr(0, end));
    if (!head || (head->version != "HTTP/1.1" && head->version != "HTTP/1.0")) return fail(400);
    if (!head->header("transfer-encoding").empty()) return fail(400);
    const std::string length_text = head->header("content-length");
    const std::optional<uint64_t> length = length_text.empty() ? 0 : parse_uint(length_text);
    if (!length || *length > kMaxBody) return fail(413);
    if (input_.size() < end + 4 + *length) return;  // the body is still coming
    input_.erase(0, end + 4 + *length);
    const bool keep_alive = head->version == "HTTP/1.1" && head->header("connection") != "close";
    Http1Exchange exchange(*this, keep_alive);
    router_.serve({"http/1.1", head->method, head->target, head->header("authorization"),
                   conn_.client_certificate()},
                  exchange);
    if (!keep_alive) {
      done_ = true;
      if (!watch_) conn_.close_when_flushed();
    }
  }
}

// ---------------------------------------------------------------------------
// HTTP/2 over an nghttp2 server session

class Http2;

class H2Stream final : public WatchSink {
 public:
  H2Stream(Http2& owner, int32_t id) : owner_(&owner), id_(id) {}
  void send(const std::string& line) override;
  void end() override;
  bool active() const override { return owner_ != nullptr && !eof_; }
  void detach() { owner_ = nullptr; }
  int32_t id() const { return id_; }

  // Request side, filled by the header callbacks.
  std::string method;
  std::string path;
  std::string authorization;
  std::size_t header_bytes = 0;
  bool dispatched = false;

  // Response side, drained by the data provider.
  std::size_t take(uint8_t* buffer, std::size_t length);
  bool drained() const { return pending_.size() == offset_; }
  bool eof() const { return eof_; }
  void set_body(const std::string& body) {
    pending_ = body;
    eof_ = true;
  }

 private:
  Http2* owner_;
  int32_t id_;
  std::string pending_;
  std::size_t offset_ = 0;
  bool eof_ = false;
};

class Http2 final : public Protocol {
 public:
  Http2(Connection& conn, Router& router);
  ~Http2() override;
  bool receive(std::string_view bytes) override;
  void produce(std::string& out) override;
  bool finished() const override;
  void closed() override;

  // Output is queued on the stream: send it now unless nghttp2 is calling us.
  void kick(int32_t id);
  void submit(H2Stream& stream, int status, std::optional<std::size_t> length);
  Connection& conn() { return conn_; }

 private:
  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t name_len, const uint8_t* value, size_t value_len, uint8_t,
                       void* user);
  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user);
  static ssize_t read_data(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                           uint32_t* flags, nghttp2_data_source* source, void*);
  H2Stream* find(int32_t id);
  void dispatch(H2Stream& stream);

  Connection& conn_;
  Router& router_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;
  bool in_callback_ = false;
  bool failed_ = false;
};

class Http2Exchange final : public Exchange {
 public:
  Http2Exchange(Http2& owner, std::shared_ptr<H2Stream> stream)
      : owner_(owner), stream_(std::move(stream)) {}
  void respond(int status, const std::string& body) override {
    answered_ = true;
    stream_->set_body(body);
    owner_.submit(*stream_, status, body.size());
  }
  std::shared_ptr<WatchSink> open_stream() override {
    answered_ = true;
    owner_.submit(*stream_, 200, std::nullopt);
    return stream_;
  }

 private:
  Http2& owner_;
  std::shared_ptr<H2Stream> stream_;
};

void H2Stream::send(const std::string& line) {
  if (!active()) return;
  if (pending_.size() - offset_ + line.size() > kMaxOutput) return owner_->conn().close();
  pending_.append(line);
  owner_->kick(id_);
}

void H2Stream::end() {
  if (!active()) return;
  eof_ = true;
  owner_->kick(id_);
}

std::size_t H2Stream::take(uint8_t* buffer, std::size_t length) {
  const std::size_t n = std::min(length, pending_.size() - offset_);
  std::memcpy(buffer, pending_.data() + offset_, n);
  offset_ += n;
  if (offset_ == pending_.size()) {
    pending_.clear();
    offset_ = 0;
  }
  return n;
}

Http2::Http2(Connection& conn, Router& router) : conn_(conn), router_(router) {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    failed_ = true;
    return;
  }
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  if (nghttp2_session_server_new(&session_, callbacks, this) != 0) session_ = nullptr;
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxStreams}};
  if (session_ == nullptr ||
      nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1) != 0) {
    failed_ = true;
  }
}

Http2::~Http2() {
  closed();
  if (session_ != nullptr) nghttp2_session_del(session_);
}

void Http2::closed() {
  for (auto& [id, stream] : streams_)
    stream->detach();
}

bool Http2::receive(std::string_view bytes) {
  if (failed_) return false;
  in_callback_ = true;
  const ssize_t n = nghttp2_session_mem_recv(
      session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  in_callback_ = false;
  return n >= 0 && static_cast<std::size_t>(n) == bytes.size();
}

void Http2::produce(std::string& out) {
  while (!failed_ && out.size() < kSendBatch) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) failed_ = true;
    if (n <= 0) return;
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
}

bool Http2::finished() const {
  return failed_ || (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_));
}

void Http2::kick(int32_t id) {
  nghttp2_session_resume_data(session_, id);  // fails harmlessly when not deferred
  if (!in_callback_) conn_.flush();
}

void Http2::submit(H2Stream& stream, int status, std::optional<std::size_t> length) {
  const std::string code = std::to_string(status);
  const std::string audit = audit_id();
  const std::string size = length ? std::to_string(*length) : "";
  auto nv = [](std::string_view name, std::string_view value) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                      value.size(), NGHTTP2_NV_FLAG_NONE};
  };
  std::vector<nghttp2_nv> headers = {nv(":status", code), nv("audit-id", audit),
                                     nv("cache-control", "no-cache, private"),
                                     nv("content-type", "application/json")};
  if (length) headers.push_back(nv("content-length", size));
  nghttp2_data_provider provider{};
  provider.source.ptr = &stream;
  provider.read_callback = read_data;
  if (nghttp2_submit_response(session_, stream.id(), headers.data(), headers.size(), &provider) !=
      0) {
    failed_ = true;
  }
}

H2Stream* Http2::find(int32_t id) {
  const auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

int Http2::on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* self = static_cast<Http2*>(user);
  try {
    self->streams_[frame->hd.stream_id] = std::make_shared<H2Stream>(*self, frame->hd.stream_id);
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int Http2::on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                     size_t name_len, const uint8_t* value, size_t value_len, uint8_t, void* user) {
  H2Stream* stream = static_cast<Http2*>(user)->find(frame->hd.stream_id);
  if (stream == nullptr || frame->hd.type != NGHTTP2_HEADERS) return 0;
  stream->header_bytes += name_len + value_len;
  if (stream->header_bytes > kMaxHead) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const std::string_view key(reinterpret_cast<const char*>(name), name_len);
  const std::string_view text(reinterpret_cast<const char*>(value), value_len);
  try {
    if (key == ":method") stream->method = text;
    if (key == ":path") stream->path = text;
    if (key == "authorization") stream->authorization = text;
  } catch (...) {
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }
  return 0;
}

int Http2::on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  const bool request_end = (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
                           (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (!request_end) return 0;
  auto* self = static_cast<Http2*>(user);
  if (H2Stream* stream = self->find(frame->hd.stream_id); stream != nullptr) {
    self->dispatch(*stream);
  }
  return 0;
}

int Http2::on_stream_close(nghttp2_session*, int32_t id, uint32_t, void* user) {
  auto* self = static_cast<Http2*>(user);
  if (const auto it = self->streams_.find(id); it != self->streams_.end()) {
    it->second->detach();  // a watch cancelled by RST_STREAM ends here too
    self->streams_.erase(it);
  }
  return 0;
}

ssize_t Http2::read_data(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                         nghttp2_data_source* source, void*) {
  auto* stream = static_cast<H2Stream*>(source->ptr);
  const std::size_t n = stream->take(buffer, length);
  if (stream->drained()) {
    if (stream->eof()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;
    }
  }
  return static_cast<ssize_t>(n);
}

void Http2::dispatch(H2Stream& stream) {
  if (stream.dispatched) return;
  stream.dispatched = true;
  try {
    Http2Exchange exchange(*this, streams_.at(stream.id()));
    router_.serve(
        {"h2", stream.method, stream.path, stream.authorization, conn_.client_certificate()},
        exchange);
  } catch (...) {
    failed_ = true;  // serve catches its own; this is allocation failing
  }
}

// ---------------------------------------------------------------------------
// Connection

void Connection::start() {
  handshake_timer_.expires_after(kHandshakeTimeout);
  handshake_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (const auto self = weak.lock(); self && !ec) self->close();
  });
  stream_.async_handshake(TlsStream::server, [self = shared_from_this()](const error_code& ec) {
    self->on_handshake(ec);
  });
}

void Connection::on_handshake(const error_code& ec) {
  handshake_timer_.cancel();
  if (closed_) return;
  if (ec) return close();
  SSL* ssl = stream_.native_handle();
  client_certificate_ =
      SSL_get0_peer_certificate(ssl) != nullptr && SSL_get_verify_result(ssl) == X509_V_OK;
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (std::string_view(reinterpret_cast<const char*>(alpn), alpn_len) == "h2") {
    protocol_ = std::make_unique<Http2>(*this, router_);
  } else {
    protocol_ = std::make_unique<Http1>(*this, router_);
  }
  flush();
  read();
}

void Connection::read() {
  if (closed_) return;
  stream_.async_read_some(
      asio::buffer(input_),
      [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void Connection::on_read(const error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec || !protocol_->receive(std::string_view(input_.data(), n))) return close();
  flush();
  read();
}

void Connection::resume_later() {
  asio::post(stream_.get_executor(), [weak = weak_from_this()] {
    const auto self = weak.lock();
    if (!self || self->closed_) return;
    if (!self->protocol_->receive({})) return self->close();
    self->flush();
  });
}

void Connection::flush() {
  if (closed_ || writing_) return;
  if (protocol_) protocol_->produce(outbox_);
  if (outbox_.size() > kMaxOutput) return close();
  if (outbox_.empty()) {
    if (close_when_flushed_ || (protocol_ && protocol_->finished())) close();
    return;
  }
  writing_ = true;
  inflight_.swap(outbox_);
  outbox_.clear();
  asio::async_write(stream_, asio::buffer(inflight_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->writing_ = false;
                      self->inflight_.clear();
                      if (ec) return self->close();
                      self->flush();
                    });
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  stream_.lowest_layer().close(ignored);
  handshake_timer_.cancel();
  if (protocol_) protocol_->closed();
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
  const bool offer_h2 = *static_cast<const bool*>(arg);
  for (const std::string_view wanted : {"h2", "http/1.1"}) {
    if (wanted == "h2" && !offer_h2) continue;
    for (unsigned int i = 0; i < in_len;) {
      const unsigned int len = in[i];
      if (i + 1 + len > in_len) break;
      if (std::string_view(reinterpret_cast<const char*>(in + i + 1), len) == wanted) {
        *out = in + i + 1;
        *out_len = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// ---------------------------------------------------------------------------
// The store

struct Event {
  uint64_t rv;
  std::string type;
  Json object;
};

struct Collection {
  std::map<std::string, Json> objects;  // by "<namespace>/<name>" or "<name>"
  std::vector<Event> history;
  int error = 0;
  bool applied = false;
};

struct Watch {
  std::shared_ptr<WatchSink> sink;
  std::string collection;
  std::string kind;
  std::string api_version;
  bool bookmarks = false;
  uint64_t last_rv = 0;
  std::unique_ptr<asio::steady_timer> timeout;
};

// Watch events carry kind and apiVersion, as the real server's do.
Json with_kind(Json object, const std::string& collection) {
  const std::optional<Resource> resource = parse_resource(collection);
  if (!resource || !object.is_object()) return object;
  if (!object.contains("kind")) object["kind"] = kind_of(resource->plural);
  if (!object.contains("apiVersion")) object["apiVersion"] = resource->api_version();
  return object;
}

}  // namespace

struct KubeApiServer::Impl final : Router {
  explicit Impl(KubeApiServerOptions opts);
  ~Impl() override;

  // Runs `f` on the io thread and returns its result (or rethrows).
  template <typename F>
  std::invoke_result_t<F> call(F f) {
    std::packaged_task<std::invoke_result_t<F>()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  void run();
  void listen(uint16_t at);
  void accept();
  void close_connections();
  void shutdown();

  void serve(const Request& request, Exchange& exchange) override;
  int answer(const Request& request, Exchange& exchange);
  bool authenticated(const Request& request) const;
  int list(const std::string& path, const Resource& resource, const Query& query,
           Exchange& exchange);
  int watch(const std::string& path, const Resource& resource, const Query& query,
            Exchange& exchange);
  std::vector<std::string> initial_events(const std::string& path);
  std::vector<std::string> events_after(const std::string& path, uint64_t from);
  void arm_timeout(Watch& watch, uint64_t seconds);
  const std::map<std::string, Json>* snapshot(const std::string& path, uint64_t rv) const;
  void keep_snapshot(const std::string& path, uint64_t rv);

  std::string apply(const std::string& path, const std::string& text);
  std::string remove(const std::string& path, const std::string& key);
  void record(const std::string& path, std::string type, const Json& object);
  void expire_history();
  void bookmark();
  void prune_watches();
  std::string too_old(uint64_t from) const;

  KubeApiServerOptions options;
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::ssl::context tls{asio::ssl::context::tls_server};
  Tcp::acceptor acceptor{io};
  uint16_t port = 0;
  std::atomic<uint64_t> failures{0};  // exceptions caught at the boundary

  // Io thread only.
  std::string token;
  uint64_t resource_version = kFirstResourceVersion;
  uint64_t history_start = kFirstResourceVersion;
  std::map<std::string, Collection> collections;
  std::map<std::pair<std::string, uint64_t>, std::map<std::string, Json>> snapshots;
  std::deque<std::pair<std::string, uint64_t>> snapshot_order;
  std::list<Watch> watches;
  std::vector<std::weak_ptr<Connection>> connections;
  std::vector<KubeApiRequest> log;

  std::thread thread;  // last: starts once everything above exists
};

KubeApiServer::Impl::Impl(KubeApiServerOptions opts)
    : options(std::move(opts)), token(options.token) {
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  tls.use_certificate_chain(asio::buffer(options.cert_pem));
  tls.use_private_key(asio::buffer(options.key_pem), asio::ssl::context::pem);
  if (!options.client_ca_pem.empty()) {
    tls.add_certificate_authority(asio::buffer(options.client_ca_pem));
    tls.set_verify_mode(asio::ssl::verify_peer);  // asked for, not required
  }
  SSL_CTX_set_alpn_select_cb(tls.native_handle(), select_alpn, &options.offer_h2);
  listen(0);
  port = acceptor.local_endpoint().port();
  accept();
  thread = std::thread([this] { run(); });
}

KubeApiServer::Impl::~Impl() {
  call([this] { shutdown(); });
  work.reset();
  thread.join();
}

void KubeApiServer::Impl::run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (...) {
      failures.fetch_add(1);
    }
  }
}

void KubeApiServer::Impl::listen(uint16_t at) {
  const Tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), at);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen();
}

void KubeApiServer::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, Tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec) {
      auto connection = std::make_shared<Connection>(*this, std::move(socket), tls);
      std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
      connections.push_back(connection);
      connection->start();
    }
    accept();
  });
}

void KubeApiServer::Impl::close_connections() {
  for (const auto& weak : connections) {
    if (const auto connection = weak.lock()) connection->close();
  }
  connections.clear();
  prune_watches();
}

void KubeApiServer::Impl::shutdown() {
  error_code ignored;
  acceptor.close(ignored);
  close_connections();
  watches.clear();
}

bool KubeApiServer::Impl::authenticated(const Request& request) const {
  if (request.client_certificate) return true;
  const std::string_view value = request.authorization;
  const std::size_t space = value.find(' ');
  if (space == std::string_view::npos || token.empty()) return false;
  std::string scheme(value.substr(0, space));
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme == "bearer" && value.substr(space + 1) == token;
}

void KubeApiServer::Impl::serve(const Request& request, Exchange& exchange) {
  try {
    log.push_back({request.protocol, request.method, request.target, request.authorization,
                   request.client_certificate, 0});
    const std::size_t index = log.size() - 1;
    log[index].status = answer(request, exchange);
  } catch (...) {
    failures.fetch_add(1);
    try {
      if (!exchange.answered()) exchange.respond(500, dump(failure(500, "stand-in failure")));
      if (!log.empty()) log.back().status = 500;
    } catch (...) {
      failures.fetch_add(1);
    }
  }
}

int KubeApiServer::Impl::answer(const Request& request, Exchange& exchange) {
  auto reply = [&exchange](int code, const Json& body) {
    exchange.respond(code, dump(body));
    return code;
  };
  if (!authenticated(request)) return reply(401, failure(401, "Unauthorized"));
  const auto [path, query] = parse_target(request.target);
  const std::optional<Resource> resource = parse_resource(path);
  const auto it = collections.find(path);
  const bool watching = is_true(lookup(query, "watch"));
  if (resource && it != collections.end() && it->second.error != 0) {
    const int code = it->second.error;
    return reply(code, injected_error(code, *resource, watching ? "watch" : "list"));
  }
  const bool exists = it != collections.end() && it->second.applied;
  if (!resource || (!exists && !is_known(*resource))) return reply(404, not_found());
  if (request.method != "GET") {
    return reply(405, failure(405,
                              "the server does not allow this method on the requested "
                              "resource"));
  }
  return watching ? watch(path, *resource, query, exchange)
                  : list(path, *resource, query, exchange);
}

// A continue token's snapshot; gone once the history expired (or evicted).
const std::map<std::string, Json>* KubeApiServer::Impl::snapshot(const std::string& path,
                                                                 uint64_t rv) const {
  const auto it = snapshots.find({path, rv});
  return it == snapshots.end() ? nullptr : &it->second;
}

// Later pages of a list read the collection as of its first page.
void KubeApiServer::Impl::keep_snapshot(const std::string& path, uint64_t rv) {
  if (snapshots.contains({path, rv})) return;
  snapshots.emplace(std::pair{path, rv}, collections[path].objects);
  snapshot_order.emplace_back(path, rv);
  if (snapshot_order.size() > kMaxSnapshots) {
    snapshots.erase(snapshot_order.front());
    snapshot_order.pop_front();
  }
}

int KubeApiServer::Impl::list(const std::string& path, const Resource& resource, const Query& query,
                              Exchange& exchange) {
  const std::string limit_text = lookup(query, "limit");
  const std::optional<uint64_t> limit = limit_text.empty() ? 0 : parse_uint(limit_text);
  if (!limit) {
    exchange.respond(400, dump(failure(400, "limit must be a non-negative integer")));
    return 400;
  }
  ContinuePoint from{resource_version, ""};
  const std::map<std::string, Json>* objects = &collections[path].objects;
  if (const std::string token_text = lookup(query, "continue"); !token_text.empty()) {
    const std::optional<ContinuePoint> parsed = parse_continue(token_text);
    if (!parsed) {
      exchange.respond(400, dump(failure(400, "continue key is not valid")));
      return 400;
    }
    from = *parsed;
    objects = from.rv < history_start ? nullptr : snapshot(path, from.rv);
    if (objects == nullptr) {
      exchange.respond(410, dump(expired_continue()));
      return 410;
    }
  }
  Json items = Json::array();
  auto it = objects->lower_bound(from.start);
  for (; it != objects->end() && (*limit == 0 || items.size() < *limit); ++it) {
    items.push_back(it->second);
  }
  Json metadata = {{"resourceVersion", std::to_string(from.rv)}};
  if (it != objects->end()) {
    metadata["continue"] = continue_token({from.rv, it->first});
    metadata["remainingItemCount"] = std::distance(it, objects->end());
    keep_snapshot(path, from.rv);
  }
  const Json body = {{"kind", kind_of(resource.plural) + "List"},
                     {"apiVersion", resource.api_version()},
                     {"metadata", std::move(metadata)},
                     {"items", std::move(items)}};
  exchange.respond(200, dump(body));
  return 200;
}

std::string KubeApiServer::Impl::too_old(uint64_t from) const {
  return event_line("ERROR", failure(410, "too old resource version: " + std::to_string(from) +
                                              " (" + std::to_string(history_start) + ")"));
}

std::vector<std::string> KubeApiServer::Impl::initial_events(const std::string& path) {
  std::vector<std::string> lines;
  for (const auto& [key, object] : collections[path].objects) {
    lines.push_back(event_line("ADDED", with_kind(object, path)));
  }
  return lines;
}

std::vector<std::string> KubeApiServer::Impl::events_after(const std::string& path, uint64_t from) {
  std::vector<std::string> lines;
  for (const Event& event : collections[path].history) {
    if (event.rv > from) lines.push_back(event_line(event.type, with_kind(event.object, path)));
  }
  return lines;
}

int KubeApiServer::Impl::watch(const std::string& path, const Resource& resource,
                               const Query& query, Exchange& exchange) {
  const std::string from_text = lookup(query, "resourceVersion");
  const std::string timeout_text = lookup(query, "timeoutSeconds");
  const std::optional<uint64_t> timeout = timeout_text.empty() ? 0 : parse_uint(timeout_text);
  const bool initial = from_text.empty() || from_text == "0";
  const std::optional<uint64_t> from = initial ? resource_version : parse_uint(from_text);
  if (!timeout || !from) {
    exchange.respond(400, dump(failure(400, "invalid resourceVersion or timeoutSeconds")));
    return 400;
  }
  const bool expired = !initial && *from < history_start;
  const std::shared_ptr<WatchSink> sink = exchange.open_stream();
  if (expired) {
    sink->send(too_old(*from));
    sink->end();
    return 200;
  }
  for (const std::string& line : initial ? initial_events(path) : events_after(path, *from)) {
    sink->send(line);
  }
  Watch& opened = watches.emplace_back();
  opened.sink = sink;
  opened.collection = path;
  opened.kind = kind_of(resource.plural);
  opened.api_version = resource.api_version();
  opened.bookmarks = is_true(lookup(query, "allowWatchBookmarks"));
  opened.last_rv = std::max(*from, resource_version);
  if (*timeout > 0) arm_timeout(opened, *timeout);
  return 200;
}

void KubeApiServer::Impl::arm_timeout(Watch& opened, uint64_t seconds) {
  opened.timeout = std::make_unique<asio::steady_timer>(io);
  opened.timeout->expires_after(std::chrono::seconds(std::min(seconds, kMaxTimeoutSeconds)));
  opened.timeout->async_wait(
      [this, sink = std::weak_ptr<WatchSink>(opened.sink)](const error_code& ec) {
        if (ec) return;
        if (const auto live = sink.lock()) live->end();
        prune_watches();
      });
}

void KubeApiServer::Impl::prune_watches() {
  watches.remove_if([](const Watch& w) { return !w.sink->active(); });
}

std::string KubeApiServer::Impl::apply(const std::string& path, const std::string& text) {
  Json object = Json::parse(text);  // the test's own input: a mistake throws to it
  const Json& metadata = object.at("metadata");
  const std::string name = metadata.at("name").get<std::string>();
  const std::string ns = metadata.value("namespace", "");
  const std::string key = ns.empty() ? name : ns + "/" + name;
  object["metadata"]["resourceVersion"] = std::to_string(++resource_version);
  Collection& collection = collections[path];
  collection.applied = true;
  const bool existed = collection.objects.contains(key);
  collection.objects[key] = object;
  record(path, existed ? "MODIFIED" : "ADDED", object);
  return std::to_string(resource_version);
}

std::string KubeApiServer::Impl::remove(const std::string& path, const std::string& key) {
  Collection& collection = collections[path];
  const auto it = collection.objects.find(key);
  if (it == collection.objects.end()) return "";
  Json object = std::move(it->second);
  collection.objects.erase(it);
  // The deleted object carries the deletion's resourceVersion.
  object["metadata"]["resourceVersion"] = std::to_string(++resource_version);
  record(path, "DELETED", object);
  return std::to_string(resource_version);
}

void KubeApiServer::Impl::record(const std::string& path, std::string type, const Json& object) {
  const std::string line = event_line(type, with_kind(object, path));
  collections[path].history.push_back({resource_version, std::move(type), object});
  prune_watches();
  for (Watch& open : watches) {
    if (open.collection != path) continue;
    open.sink->send(line);
    open.last_rv = resource_version;
  }
}

void KubeApiServer::Impl::expire_history() {
  history_start = resource_version;
  for (auto& [path, collection] : collections)
    collection.history.clear();
  snapshots.clear();
  snapshot_order.clear();
  prune_watches();
  for (Watch& open : watches) {
    open.sink->send(too_old(open.last_rv));
    open.sink->end();
  }
  watches.clear();
}

void KubeApiServer::Impl::bookmark() {
  prune_watches();
  for (Watch& open : watches) {
    if (!open.bookmarks) continue;
    const Json object = {{"kind", open.kind},
                         {"apiVersion", open.api_version},
                         {"metadata", {{"resourceVersion", std::to_string(resource_version)}}}};
    open.sink->send(event_line("BOOKMARK", object));
    open.last_rv = resource_version;
  }
}

// ---------------------------------------------------------------------------
// Public API: each call runs on the io thread.

KubeApiServer::KubeApiServer(KubeApiServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

KubeApiServer::~KubeApiServer() = default;

uint16_t KubeApiServer::port() const {
  return impl_->port;
}

std::string KubeApiServer::apply(const std::string& collection, const std::string& object_json) {
  return impl_->call([&] { return impl_->apply(collection, object_json); });
}

std::string KubeApiServer::remove(const std::string& collection, const std::string& ns,
                                  const std::string& name) {
  return impl_->call(
      [&] { return impl_->remove(collection, ns.empty() ? name : ns + "/" + name); });
}

void KubeApiServer::set_error(const std::string& collection, int code) {
  impl_->call([&] { impl_->collections[collection].error = code; });
}

void KubeApiServer::expire_history() {
  impl_->call([&] { impl_->expire_history(); });
}

void KubeApiServer::bookmark() {
  impl_->call([&] { impl_->bookmark(); });
}

void KubeApiServer::drop_connections() {
  impl_->call([&] { impl_->close_connections(); });
}

void KubeApiServer::set_down(bool down) {
  impl_->call([&] {
    if (down) {
      error_code ignored;
      impl_->acceptor.close(ignored);
      impl_->close_connections();
    } else if (!impl_->acceptor.is_open()) {
      impl_->listen(impl_->port);
      impl_->accept();
    }
  });
}

void KubeApiServer::set_token(const std::string& token) {
  impl_->call([&] { impl_->token = token; });
}

std::vector<KubeApiRequest> KubeApiServer::requests() const {
  return impl_->call([&] { return impl_->log; });
}

size_t KubeApiServer::open_watches() const {
  return impl_->call([&] {
    impl_->prune_watches();
    return impl_->watches.size();
  });
}

}  // namespace meshgate::testing
