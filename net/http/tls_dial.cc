#include "net/http/tls_dial.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <exception>
#include <utility>

#include "base/ip.h"
#include "base/read_file.h"

namespace meshgate::net::http {
namespace {

using asio::ip::tcp;

// ALPN protocol list in wire format: h2 preferred, as client-go.
constexpr size_t kMaxTokenBytes = 64 * 1024;
constexpr unsigned char kAlpn[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

std::optional<ServerUrl> fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

// Splits "host[:port]" (host possibly "[v6]") into url->host and url->port.
bool parse_authority(std::string_view authority, ServerUrl* url) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    url->host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    url->host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url->host.empty()) return false;
  if (!port_text.empty() || authority.back() == ':') {
    const std::optional<uint16_t> port = base::parse_port(port_text);
    if (!port) return false;
    url->port = *port;
  }
  url->host_is_ip = base::parse_ip(url->host).has_value();
  return true;
}

}  // namespace

std::optional<ServerUrl> parse_server_url(std::string_view url, std::string* error) {
  constexpr std::string_view kScheme = "https://";
  if (url.substr(0, kScheme.size()) != kScheme)
    return fail(error, "server " + std::string(url) + ": only https:// is supported");
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  ServerUrl parsed;
  if (!parse_authority(rest.substr(0, slash), &parsed))
    return fail(error, "server " + std::string(url) + ": invalid host or port");
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/')
      path.remove_suffix(1);
    if (path.find_first_of("?# ") != std::string_view::npos)
      return fail(error, "server " + std::string(url) + ": unexpected query or fragment");
    parsed.base_path = std::string(path);
  }
  return parsed;
}

std::shared_ptr<asio::ssl::context> make_tls_context(const TlsCredentials& credentials,
                                                     std::string* error) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                       asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (credentials.ca_pem.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->add_certificate_authority(asio::buffer(credentials.ca_pem), ec);
  }
  if (ec) {
    *error = "cannot load the API server's CA: " + ec.message();
    return nullptr;
  }
  if (!credentials.client_cert_pem.empty()) {
    context->use_certificate_chain(asio::buffer(credentials.client_cert_pem), ec);
    if (!ec)
      context->use_private_key(asio::buffer(credentials.client_key_pem), asio::ssl::context::pem,
                               ec);
    if (ec) {
      *error = "cannot load the client certificate or key: " + ec.message();
      return nullptr;
    }
  }
  SSL_CTX_set_alpn_protos(context->native_handle(), kAlpn, sizeof(kAlpn));
  return context;
}

namespace {

// Sets SNI and the identity to verify: a DNS name, or an IP address that
// must appear among the certificate's IP SANs.
bool set_identity(TlsStream& stream, const DialTarget& target, std::string* error) {
  SSL* ssl = stream.native_handle();
  const std::string& name = target.verify_name.empty() ? target.url.host : target.verify_name;
  const bool is_ip = base::parse_ip(name).has_value();
  // SSL_set_tlsext_host_name() without its C cast.
  if (!is_ip && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(name.c_str())) != 1) {
    *error = "cannot set the server name " + name;
    return false;
  }
  if (!target.verify) {
    stream.set_verify_mode(asio::ssl::verify_none);
    return true;
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                 : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
  if (ok != 1) *error = "cannot verify the server as " + name;
  return ok == 1;
}

std::string alpn_of(TlsStream& stream) {
  const unsigned char* data = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &data, &size);
  return std::string(reinterpret_cast<const char*>(data), size);
}

asio::awaitable<Dialed> dial_unbounded(TlsStream& stream, const DialTarget& target) {
  Dialed result;
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  tcp::resolver resolver(executor);
  auto endpoints =
      co_await resolver.async_resolve(target.url.host, std::to_string(target.url.port), token);
  if (ec) {
    result.error = "cannot resolve " + target.url.host + ": " + ec.message();
    co_return result;
  }
  co_await asio::async_connect(stream.lowest_layer(), endpoints, token);
  if (ec) {
    result.error = "cannot connect: " + ec.message();
    co_return result;
  }
  stream.lowest_layer().set_option(tcp::no_delay(true), ec);
  if (!set_identity(stream, target, &result.error)) co_return result;
  co_await stream.async_handshake(asio::ssl::stream_base::client, token);
  if (ec) result.error = "TLS handshake: " + ec.message();
  if (ec) co_return result;
  result.alpn = alpn_of(stream);
  co_return result;
}

}  // namespace

asio::awaitable<Dialed> dial(std::shared_ptr<asio::ssl::context> context, DialTarget target,
                             std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  auto stream = std::make_unique<TlsStream>(executor, *context);
  asio::steady_timer deadline(executor, timeout);
  bool expired = false;
  deadline.async_wait([&stream = *stream, &expired](boost::system::error_code ec) {
    if (ec) return;
    expired = true;
    boost::system::error_code ignored;
    stream.lowest_layer().close(ignored);
  });
  Dialed result = co_await dial_unbounded(*stream, target);
  deadline.cancel();
  if (expired) result.error = "timed out after " + std::to_string(timeout.count()) + " ms";
  if (result.error.empty()) result.stream = std::move(stream);
  co_return result;
}

std::string authority_of(const ServerUrl& url) {
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  return host + ":" + std::to_string(url.port);
}

std::optional<std::string> read_token_file(const std::string& file) {
  return base::read_credential(file, kMaxTokenBytes).value;
}

}  // namespace meshgate::net::http
