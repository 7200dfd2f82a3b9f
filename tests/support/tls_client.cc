#include "tests/support/tls_client.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <algorithm>

namespace meshgate::testing {
namespace {

std::vector<unsigned char> alpn_wire(const std::vector<std::string>& protocols) {
  std::vector<unsigned char> wire;
  for (const std::string& p : protocols) {
    wire.push_back(static_cast<unsigned char>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}

void add_ca(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  X509_free(ca);
  BIO_free(bio);
}

void use_client_cert(SSL_CTX* ctx, const std::string& cert_pem, const std::string& key_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  bio = BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  SSL_CTX_use_certificate(ctx, cert);
  SSL_CTX_use_PrivateKey(ctx, key);
  X509_free(cert);
  EVP_PKEY_free(key);
}

std::string last_error() {
  const unsigned long code = ERR_get_error();
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return code == 0 ? "connection closed" : text;
}

}  // namespace

TlsClient::TlsClient(uint16_t port, const TlsClientOptions& options)
    : socket_(Socket::connect("127.0.0.1", port)), trickle_(options.trickle) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!options.ca_pem.empty()) {
    add_ca(ctx_, options.ca_pem);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_pem.empty()) use_client_cert(ctx_, options.cert_pem, options.key_pem);
  ssl_ = SSL_new(ctx_);
  if (!options.sni.empty())
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(options.sni.c_str()));
  if (!options.alpn.empty()) {
    const auto wire = alpn_wire(options.alpn);
    SSL_set_alpn_protos(ssl_, wire.data(), static_cast<unsigned int>(wire.size()));
  }
  if (!options.verify_host.empty()) SSL_set1_host(ssl_, options.verify_host.c_str());
  if (!socket_.valid()) {
    error_ = "connect failed";
    return;
  }
  SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  handshake_ok_ = handshake();
  if (!handshake_ok_) error_ = last_error();
}

bool TlsClient::flush() {
  BIO* out = SSL_get_wbio(ssl_);
  char buffer[16384];
  for (;;) {
    const int n = BIO_read(out, buffer, sizeof buffer);
    if (n <= 0) return true;
    const std::size_t step = trickle_ > 0 ? trickle_ : static_cast<std::size_t>(n);
    for (std::size_t sent = 0; sent < static_cast<std::size_t>(n); sent += step) {
      const std::size_t len = std::min(step, static_cast<std::size_t>(n) - sent);
      if (!socket_.send_all({reinterpret_cast<const uint8_t*>(buffer) + sent, len})) return false;
    }
  }
}

bool TlsClient::fill() {
  char buffer[16384];
  const ssize_t n = ::recv(socket_.fd(), buffer, sizeof buffer, 0);
  if (n <= 0) return false;
  BIO_write(SSL_get_rbio(ssl_), buffer, static_cast<int>(n));
  return true;
}

bool TlsClient::handshake() {
  for (;;) {
    const int result = SSL_connect(ssl_);
    if (!flush()) return false;
    trickle_ = 0;  // only the first flight is trickled
    if (result == 1) return true;
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ || !fill()) return false;
  }
}

TlsClient::~TlsClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

void TlsClient::close() {
  if (SSL_shutdown(ssl_) >= 0 && flush()) {
    while (SSL_shutdown(ssl_) != 1 && fill()) {
    }
  }
  socket_ = Socket();
}

std::string TlsClient::alpn() const {
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool TlsClient::write(std::string_view data) {
  return handshake_ok_ &&
         SSL_write(ssl_, data.data(), static_cast<int>(data.size())) ==
             static_cast<int>(data.size()) &&
         flush();
}

std::string TlsClient::read(std::size_t n) {
  std::string out;
  char buffer[16384];
  while (handshake_ok_ && out.size() < n) {
    const int got =
        SSL_read(ssl_, buffer, static_cast<int>(std::min(sizeof buffer, n - out.size())));
    if (got > 0) {
      out.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    flush();  // TLS 1.3 may have post-handshake messages to send
    if (SSL_get_error(ssl_, got) != SSL_ERROR_WANT_READ || !fill()) break;
  }
  return out;
}

std::string TlsClient::http_get() {
  if (!write("GET / HTTP/1.1\r\nHost: test\r\n\r\n")) return "";
  return read(1 << 16);
}

}  // namespace meshgate::testing
