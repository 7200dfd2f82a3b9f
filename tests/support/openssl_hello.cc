#include "tests/support/openssl_hello.h"

#include <memory>
#include <string>

#include <openssl/bio.h>
#include <openssl/ssl.h>

namespace meshgate::testing {
namespace {

// First byte 255: the private-use range of TLS extension types (RFC 8446 11).
constexpr unsigned int kPaddingExtensionType = 0xff42;

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

int add_padding(SSL*, unsigned int, unsigned int, const unsigned char** out, size_t* out_length,
                X509*, size_t, int*, void* arg) {
  const auto* payload = static_cast<const Bytes*>(arg);
  *out = payload->data();
  *out_length = payload->size();
  return 1;
}

Bytes alpn_wire(const std::vector<std::string>& protocols) {
  Bytes wire;
  for (const std::string& protocol : protocols) {
    wire.push_back(static_cast<uint8_t>(protocol.size()));
    wire.insert(wire.end(), protocol.begin(), protocol.end());
  }
  return wire;
}

bool configure(SSL_CTX* ctx, const OpenSslHelloOptions& options, const Bytes* padding) {
  if (!options.tls13 && SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1) return false;
  if (padding->empty()) return true;
  return SSL_CTX_add_custom_ext(ctx, kPaddingExtensionType, SSL_EXT_CLIENT_HELLO, add_padding,
                                nullptr, const_cast<Bytes*>(padding), nullptr, nullptr) == 1;
}

bool configure(SSL* ssl, const OpenSslHelloOptions& options) {
  // SSL_set_tlsext_host_name() spelled out: the macro's C cast trips -Wold-style-cast.
  std::string name = options.server_name;
  if (!name.empty() &&
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, name.data()) != 1) {
    return false;
  }
  const Bytes wire = alpn_wire(options.alpn);
  // SSL_set_alpn_protos returns 0 on success.
  return wire.empty() ||
         SSL_set_alpn_protos(ssl, wire.data(), static_cast<unsigned int>(wire.size())) == 0;
}

Bytes drain(BIO* bio) {
  Bytes out(static_cast<std::size_t>(BIO_ctrl_pending(bio)));
  const int read = BIO_read(bio, out.data(), static_cast<int>(out.size()));
  out.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
  return out;
}

}  // namespace

Bytes openssl_client_hello(const OpenSslHelloOptions& options) {
  const Bytes padding(options.padding_extension_size, 0x5a);
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx || !configure(ctx.get(), options, &padding)) return {};
  std::unique_ptr<SSL, SslFree> ssl(SSL_new(ctx.get()));
  if (!ssl || !configure(ssl.get(), options)) return {};
  BIO* read_bio = BIO_new(BIO_s_mem());
  BIO* write_bio = BIO_new(BIO_s_mem());
  if (read_bio == nullptr || write_bio == nullptr) {
    BIO_free(read_bio);
    BIO_free(write_bio);
    return {};
  }
  SSL_set_bio(ssl.get(), read_bio, write_bio);  // ssl owns both from here
  SSL_set_connect_state(ssl.get());
  // No server answers, so the handshake stops after writing the ClientHello.
  if (SSL_connect(ssl.get()) != -1 || SSL_get_error(ssl.get(), -1) != SSL_ERROR_WANT_READ) {
    return {};
  }
  return drain(write_bio);
}

}  // namespace meshgate::testing
