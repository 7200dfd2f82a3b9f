#include "deploy/demo/tls_backend.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <array>
#include <string_view>
#include <system_error>

namespace meshgate::demo {
namespace {

using boost::system::error_code;

constexpr std::size_t kMaxRequest = 16 * 1024;
constexpr std::chrono::seconds kHandshakeTimeout{10};

// ALPNs this backend accepts, in its order of preference.
constexpr std::array<std::string_view, 6> kProtocols = {
    "istio-peer-exchange", "istio", "istio-http/1.1", "istio-http/1.0", "istio-h2", "http/1.1"};

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  for (std::string_view wanted : kProtocols) {
    for (unsigned int i = 0; i < in_len;) {
      const unsigned int len = in[i];
      if (i + 1 + len > in_len) break;
      const std::string_view offered(reinterpret_cast<const char*>(in + i + 1), len);
      if (offered == wanted) {
        *out = in + i + 1;
        *out_len = static_cast<unsigned char>(len);
        return SSL_TLSEXT_ERR_OK;
      }
      i += 1 + len;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

bool looks_like_http(std::string_view bytes) {
  for (std::string_view method : {"GET ", "HEAD ", "POST ", "PUT "}) {
    if (bytes.starts_with(method)) return true;
  }
  return false;
}

std::string peer_name(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return "";
  std::array<char, 256> cn{};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn.data(), cn.size());
  return cn.data();
}

}  // namespace

TlsBackend::TlsBackend(asio::io_context& io, const TlsBackendOptions& options)
    : name_(options.name), tls_(asio::ssl::context::tls_server), acceptor_(io) {
  tls_.use_certificate_chain(asio::buffer(options.cert_pem));
  tls_.use_private_key(asio::buffer(options.key_pem), asio::ssl::context::pem);
  if (!options.client_ca_pem.empty()) {
    tls_.add_certificate_authority(asio::buffer(options.client_ca_pem));
    auto mode = asio::ssl::verify_peer;
    if (options.require_client_cert) mode |= asio::ssl::verify_fail_if_no_peer_cert;
    tls_.set_verify_mode(mode);
  }
  SSL_CTX_set_alpn_select_cb(tls_.native_handle(), select_alpn, nullptr);
}

asio::ip::tcp::endpoint TlsBackend::listen(const asio::ip::tcp::endpoint& at) {
  acceptor_.open(at.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen();
  return acceptor_.local_endpoint();
}

void TlsBackend::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), [](std::exception_ptr error) {
    if (error) spdlog::error("demo backend: accept loop ended by an exception");
  });
}

void TlsBackend::stop() {
  error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> TlsBackend::accept_loop() {
  for (;;) {
    error_code ec;
    asio::ip::tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor_.get_executor(), serve(Stream(std::move(socket), tls_)),
                   [](std::exception_ptr error) {
                     if (error) spdlog::warn("demo backend: connection ended by an exception");
                   });
  }
}

asio::awaitable<void> TlsBackend::serve(Stream stream) {
  asio::steady_timer deadline(stream.get_executor());
  deadline.expires_after(kHandshakeTimeout);
  deadline.async_wait([&stream](error_code ec) {
    if (!ec) stream.lowest_layer().close(ec);
  });
  error_code ec;
  co_await stream.async_handshake(Stream::server, asio::redirect_error(asio::use_awaitable, ec));
  deadline.cancel();
  if (ec) co_return;
  handshakes_.fetch_add(1);
  std::string first(kMaxRequest, '\0');
  const std::size_t n = co_await stream.async_read_some(
      asio::buffer(first), asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  first.resize(n);
  if (looks_like_http(first)) {
    co_await answer_http(stream, first);
  } else {
    co_await echo(stream, std::move(first));
  }
}

asio::awaitable<void> TlsBackend::answer_http(Stream& stream, std::string_view request) {
  (void)request;
  std::string body = "hello from " + name_ + "\n";
  if (const std::string client = peer_name(stream.native_handle()); !client.empty()) {
    body += "client certificate: " + client + "\n";
  }
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                               std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  error_code ec;
  co_await asio::async_write(stream, asio::buffer(response),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (!ec) co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> TlsBackend::echo(Stream& stream, std::string first) {
  std::string buffer = std::move(first);
  error_code ec;
  for (;;) {
    co_await asio::async_write(stream, asio::buffer(buffer),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    buffer.resize(kMaxRequest);
    const std::size_t n = co_await stream.async_read_some(
        asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // close_notify or EOF: done
    buffer.resize(n);
  }
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
}

}  // namespace meshgate::demo
