#include "discovery/kubernetes/token_request.h"

#include <openssl/ssl.h>

#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>

#include "discovery/kubernetes/api_client.h"
#include "discovery/kubernetes/decode.h"
#include "net/http/h1_request.h"
#include "net/http/http1_response.h"
#include "net/http/tls_dial.h"

namespace meshgate::discovery::kube {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxAnswerBytes = 1024 * 1024;
// One request, so no need for h2: offer only http/1.1.
constexpr unsigned char kHttp1Alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// What the exchange leaves behind; shared with the sink, which may outlive
// request_token's frame only as long as the io_context does.
struct Exchange {
  int status = 0;
  std::string body;
  bool closed = false;
  std::string error;
};

net::http::ResponseSink sink_for(const std::shared_ptr<Exchange>& exchange) {
  net::http::ResponseSink sink;
  sink.on_status = [exchange](int status) { exchange->status = status; };
  sink.on_data = [exchange](std::string_view data) {
    if (exchange->body.size() + data.size() > kMaxAnswerBytes) {
      exchange->error = "the answer is larger than 1 MiB";
      return;
    }
    exchange->body.append(data);
  };
  sink.on_close = [exchange](const std::string& error) {
    exchange->closed = true;
    if (exchange->error.empty()) exchange->error = error;
  };
  return sink;
}

std::vector<std::pair<std::string, std::string>> headers(const ApiAccess& access,
                                                         std::string* error) {
  std::vector<std::pair<std::string, std::string>> out{{"Accept", "application/json"},
                                                       {"Content-Type", "application/json"}};
  std::string token = access.token;
  if (!access.token_file.empty()) {
    std::optional<std::string> read = net::http::read_token_file(access.token_file);
    if (!read) *error = "cannot read the token file " + access.token_file;
    token = read.value_or("");
  }
  if (!token.empty()) out.emplace_back("Authorization", "Bearer " + token);
  return out;
}

}  // namespace

std::string token_request_path(const TokenRequestSpec& spec) {
  return "/api/v1/namespaces/" + spec.ns + "/serviceaccounts/" + spec.service_account + "/token";
}

std::string token_request_body(const TokenRequestSpec& spec) {
  const Json body = {
      {"apiVersion", "authentication.k8s.io/v1"},
      {"kind", "TokenRequest"},
      {"spec", {{"audiences", spec.audiences}, {"expirationSeconds", spec.expiration_seconds}}}};
  return body.dump();
}

TokenResult parse_token_response(int status, std::string_view body) {
  if (status != 201) return {"", describe_refusal(status, body)};
  const Json answer = Json::parse(body, nullptr, false);
  const Json* token = nullptr;
  if (answer.is_object() && answer.contains("status") && answer["status"].is_object() &&
      answer["status"].contains("token")) {
    token = &answer["status"]["token"];
  }
  if (!token || !token->is_string() || token->get_ref<const std::string&>().empty()) {
    return {"", "the API server's answer holds no status.token"};
  }
  return {token->get<std::string>(), ""};
}

TokenResult request_token(const ApiAccess& access, const TokenRequestSpec& spec,
                          std::chrono::milliseconds timeout) {
  std::string error;
  const std::optional<net::http::ServerUrl> url =
      net::http::parse_server_url(access.server, &error);
  if (!url) return {"", error};
  std::shared_ptr<asio::ssl::context> context =
      net::http::make_tls_context(tls_credentials(access), &error);
  if (!context) return {"", error};
  SSL_CTX_set_alpn_protos(context->native_handle(), kHttp1Alpn, sizeof kHttp1Alpn);
  const auto request_headers = headers(access, &error);
  if (!error.empty()) return {"", error};
  const std::string request = net::http::http1_request_with_body(
      "POST", net::http::authority_of(*url), url->base_path + token_request_path(spec),
      request_headers, token_request_body(spec));

  auto exchange = std::make_shared<Exchange>();
  std::shared_ptr<net::http::H1Request> h1;
  auto exchange_once = [&]() -> asio::awaitable<void> {
    // A named target: gcc 12 destroys a braced temporary in a co_await twice.
    net::http::DialTarget target = dial_target(access, *url);
    net::http::Dialed dialed = co_await net::http::dial(context, std::move(target), timeout);
    if (!dialed.stream) {
      exchange->closed = true;
      exchange->error = "cannot reach the API server " + access.server + ": " + dialed.error;
      co_return;
    }
    h1 = std::make_shared<net::http::H1Request>(std::move(dialed.stream), request,
                                                sink_for(exchange));
    h1->start();
  };
  asio::io_context io;  // last: destroyed first, with any coroutine still pending
  asio::co_spawn(io, exchange_once(), [&](std::exception_ptr e) {
    if (!e) return;
    exchange->closed = true;
    exchange->error = "the request failed unexpectedly";
  });
  io.run_for(timeout);
  if (h1) h1->cancel();
  h1.reset();  // what handlers still hold goes with the io_context, before its sockets' owner
  if (!exchange->closed) return {"", "no answer from the API server within the timeout"};
  if (!exchange->error.empty()) return {"", exchange->error};
  return parse_token_response(exchange->status, exchange->body);
}

}  // namespace meshgate::discovery::kube
