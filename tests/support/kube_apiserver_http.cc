// The stand-in Kubernetes API server's connections: one TLS connection and
// its two protocols, HTTP/1.1 and HTTP/2 over an nghttp2 server session.
// Every buffer is bounded: a client past the limits is answered with an
// error or cut off.
#include "tests/support/kube_apiserver_http.h"

#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/kube_apiserver_wire.h"

namespace meshgate::testing::detail {
namespace {

using boost::system::error_code;
using Tcp = asio::ip::tcp;
using TlsStream = asio::ssl::stream<Tcp::socket>;

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr std::size_t kMaxOutput = 64 * 1024 * 1024;  // per connection or stream
constexpr std::size_t kSendBatch = 256 * 1024;        // h2 frames pulled per write
constexpr uint32_t kMaxStreams = 100;
constexpr std::chrono::seconds kHandshakeTimeout{10};

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

class TlsConnection final : public Connection, public std::enable_shared_from_this<TlsConnection> {
 public:
  TlsConnection(Router& router, Tcp::socket socket, asio::ssl::context& tls)
      : router_(router),
        stream_(std::move(socket), tls),
        handshake_timer_(stream_.get_executor()) {}

  void start();
  // Abrupt: no close_notify, no GOAWAY, as a crash or a cut cable.
  void close() override;
  void send(std::string_view bytes) { outbox_.append(bytes); }
  void flush();
  void write(std::string_view bytes) {
    send(bytes);
    flush();
  }
  void close_when_flushed() { close_when_flushed_ = true; }
  // Runs receive("") later, outside whatever is on the stack now.
  void resume_later();
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
  Http1(TlsConnection& conn, Router& router) : conn_(conn), router_(router) {}
  ~Http1() override { closed(); }
  bool receive(std::string_view bytes) override;
  void closed() override {
    if (watch_) watch_->detach();
    watch_.reset();
  }
  TlsConnection& conn() { return conn_; }
  std::shared_ptr<WatchSink> start_watch() {
    watch_ = std::make_shared<Http1Watch>(*this);
    return watch_;
  }

 private:
  void process();
  void fail(int status);
  TlsConnection& conn_;
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
    owner_.conn().write(http1_response(status, keep_alive_, body));
  }
  std::shared_ptr<WatchSink> open_stream() override {
    answered_ = true;
    owner_.conn().write(http1_stream_head(keep_alive_));
    return owner_.start_watch();
  }

 private:
  Http1& owner_;
  bool keep_alive_;
};

void Http1Watch::send(const std::string& line) {
  if (!active()) return;
  owner_->conn().write(http1_chunk(line));
}

void Http1Watch::end() {
  if (!active()) return;
  ended_ = true;
  owner_->conn().write(http1_chunk(""));  // the last chunk
  owner_->conn().resume_later();          // serve what the client sent meanwhile
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
  conn_.send(http1_response(status, false, body));
  done_ = true;
  conn_.close_when_flushed();
}

void Http1::process() {
  while (!watch_ && !done_) {
    const Framed framed = frame_request(input_, kMaxHead, kMaxBody);
    if (framed.error != 0) return fail(framed.error);
    if (!framed.head) return;  // the rest of the request is still coming
    std::string body = input_.substr(framed.size - framed.body_size, framed.body_size);
    input_.erase(0, framed.size);
    const Head& head = *framed.head;
    const bool keep_alive = head.version == "HTTP/1.1" && head.header("connection") != "close";
    Http1Exchange exchange(*this, keep_alive);
    router_.serve({"http/1.1", head.method, head.target, head.header("authorization"),
                   conn_.client_certificate(), std::move(body)},
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
  Http2(TlsConnection& conn, Router& router);
  ~Http2() override;
  bool receive(std::string_view bytes) override;
  void produce(std::string& out) override;
  bool finished() const override;
  void closed() override;

  // Output is queued on the stream: send it now unless nghttp2 is calling us.
  void kick(int32_t id);
  void submit(H2Stream& stream, int status, std::optional<std::size_t> length);
  TlsConnection& conn() { return conn_; }

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

  TlsConnection& conn_;
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

Http2::Http2(TlsConnection& conn, Router& router) : conn_(conn), router_(router) {
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
        {"h2", stream.method, stream.path, stream.authorization, conn_.client_certificate(), ""},
        exchange);
  } catch (...) {
    failed_ = true;  // serve catches its own; this is allocation failing
  }
}

// ---------------------------------------------------------------------------
// The TLS connection

void TlsConnection::start() {
  handshake_timer_.expires_after(kHandshakeTimeout);
  handshake_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (const auto self = weak.lock(); self && !ec) self->close();
  });
  stream_.async_handshake(TlsStream::server, [self = shared_from_this()](const error_code& ec) {
    self->on_handshake(ec);
  });
}

void TlsConnection::on_handshake(const error_code& ec) {
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

void TlsConnection::read() {
  if (closed_) return;
  stream_.async_read_some(
      asio::buffer(input_),
      [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

void TlsConnection::on_read(const error_code& ec, std::size_t n) {
  if (closed_) return;
  if (ec || !protocol_->receive(std::string_view(input_.data(), n))) return close();
  flush();
  read();
}

void TlsConnection::resume_later() {
  asio::post(stream_.get_executor(), [weak = weak_from_this()] {
    const auto self = weak.lock();
    if (!self || self->closed_) return;
    if (!self->protocol_->receive({})) return self->close();
    self->flush();
  });
}

void TlsConnection::flush() {
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

void TlsConnection::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  stream_.lowest_layer().close(ignored);
  handshake_timer_.cancel();
  if (protocol_) protocol_->closed();
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
  const std::string_view chosen =
      choose_alpn({reinterpret_cast<const char*>(in), in_len}, *static_cast<const bool*>(arg));
  if (chosen.empty()) return SSL_TLSEXT_ERR_NOACK;
  *out = reinterpret_cast<const unsigned char*>(chosen.data());
  *out_len = static_cast<unsigned char>(chosen.size());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

void configure_tls(asio::ssl::context& tls, const KubeApiServerOptions& options) {
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1);
  tls.use_certificate_chain(asio::buffer(options.cert_pem));
  tls.use_private_key(asio::buffer(options.key_pem), asio::ssl::context::pem);
  if (!options.client_ca_pem.empty()) {
    tls.add_certificate_authority(asio::buffer(options.client_ca_pem));
    tls.set_verify_mode(asio::ssl::verify_peer);  // asked for, not required
  }
  // The callback only reads the flag, so a pointer to a const member is safe.
  SSL_CTX_set_alpn_select_cb(tls.native_handle(), select_alpn,
                             const_cast<bool*>(&options.offer_h2));
}

std::shared_ptr<Connection> start_connection(Router& router, asio::ip::tcp::socket socket,
                                             asio::ssl::context& tls) {
  // As Go's net/http (the real API server): no Nagle, so a watch event is
  // not held back waiting for the ACK of the one before.
  error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  auto connection = std::make_shared<TlsConnection>(router, std::move(socket), tls);
  connection->start();
  return connection;
}

}  // namespace meshgate::testing::detail
