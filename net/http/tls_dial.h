// The way to an HTTPS server: its URL taken apart, an OpenSSL context built
// from TlsCredentials (the CA to trust, the client certificate, ALPN h2 then
// http/1.1), and a dial that connects, handshakes and verifies the server's
// name or IP address, all within one deadline.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ssl.hpp>

#include "base/asio.h"

namespace meshgate::net::http {

struct ServerUrl {
  std::string host;  // a name, or an IP literal without brackets
  uint16_t port = 443;
  std::string base_path;  // "" or "/prefix" (no trailing slash)
  bool host_is_ip = false;
};

// "https://host[:port][/prefix]", host a name, an IPv4 literal or a
// bracketed IPv6 literal. Only https: the API server is never plain text.
std::optional<ServerUrl> parse_server_url(std::string_view url, std::string* error);

// "host:port", an IPv6 host bracketed: the Host and :authority value.
std::string authority_of(const ServerUrl& url);

// The bearer token in `file` (base::read_credential: bounded, whitespace
// around it removed); nullopt when the file cannot be read or is blank.
std::optional<std::string> read_token_file(const std::string& file);

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

struct TlsCredentials {
  std::string ca_pem;  // the CA bundle, PEM; empty: the system's
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Trusts credentials.ca_pem (else the system's CAs), presents the client
// certificate if any, offers ALPN h2 and http/1.1, TLS 1.2 at least. Null
// with *error set when a PEM does not load.
std::shared_ptr<asio::ssl::context> make_tls_context(const TlsCredentials& credentials,
                                                     std::string* error);

struct Dialed {
  std::unique_ptr<TlsStream> stream;  // null on failure
  std::string alpn;                   // "h2", "http/1.1" or "" (none negotiated)
  std::string error;                  // why it failed
};

struct DialTarget {
  ServerUrl url;
  std::string verify_name;  // the name to verify and send as SNI; "" : url.host
  bool verify = true;       // false only for insecure-skip-tls-verify
};

// Resolves, connects and handshakes; the whole bounded by `timeout`. Takes
// its arguments by value: a coroutine outlives the caller's temporaries.
asio::awaitable<Dialed> dial(std::shared_ptr<asio::ssl::context> context, DialTarget target,
                             std::chrono::milliseconds timeout);

}  // namespace meshgate::net::http
