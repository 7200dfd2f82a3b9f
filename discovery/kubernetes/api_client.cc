#include "discovery/kubernetes/api_client.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

#include "net/http/h1_request.h"
#include "net/http/h2_connection.h"
#include "net/http/http1_response.h"

namespace meshgate::discovery::kube {

struct ApiClient::Active {
  std::string path;
  net::http::ResponseSink sink;
  asio::steady_timer deadline;
  std::shared_ptr<net::http::H2Connection> h2;  // the stream's connection, when on HTTP/2
  int32_t stream_id = -1;
  std::shared_ptr<net::http::H1Request> h1;

  Active(asio::io_context& io, std::string p, net::http::ResponseSink s)
      : path(std::move(p)), sink(std::move(s)), deadline(io) {}
  void stop_transport() {
    if (h2 && stream_id > 0) h2->cancel(stream_id);
    if (h1) h1->cancel();
    h2.reset();
    h1.reset();
  }
};

net::http::TlsCredentials tls_credentials(const ApiAccess& access) {
  return {access.ca_pem, access.client_cert_pem, access.client_key_pem};
}

net::http::DialTarget dial_target(const ApiAccess& access, const net::http::ServerUrl& url) {
  return net::http::DialTarget{url, access.tls_server_name, !access.insecure};
}

std::unique_ptr<ApiClient> ApiClient::create(asio::io_context& io, const ApiAccess& access,
                                             ApiClientOptions options, std::string* error) {
  std::optional<net::http::ServerUrl> url = net::http::parse_server_url(access.server, error);
  if (!url) return nullptr;
  std::shared_ptr<asio::ssl::context> context =
      net::http::make_tls_context(tls_credentials(access), error);
  if (!context) return nullptr;
  return std::unique_ptr<ApiClient>(
      new ApiClient(io, access, std::move(*url), std::move(context), options));
}

ApiClient::ApiClient(asio::io_context& io, ApiAccess access, net::http::ServerUrl url,
                     std::shared_ptr<asio::ssl::context> context, ApiClientOptions options)
    : io_(io),
      access_(std::move(access)),
      url_(std::move(url)),
      context_(std::move(context)),
      options_(options),
      token_(access_.token) {}

ApiClient::~ApiClient() {
  stop();
}

void ApiClient::stop() {
  auto active = std::move(active_);
  active_.clear();
  waiting_.clear();
  for (auto& [id, request] : active)
    request->stop_transport();
  if (connection_) connection_->close("client stopped");
  connection_.reset();
  alive_ = std::make_shared<int>(0);  // outstanding dials find their client gone
  dialing_ = false;
}

ApiClient::RequestId ApiClient::get(const std::string& path, std::chrono::milliseconds deadline,
                                    net::http::ResponseSink sink) {
  RequestId id = ++next_id_;
  auto& active = active_[id] =
      std::make_unique<Active>(io_, url_.base_path + path, std::move(sink));
  active->deadline.expires_after(deadline);
  active->deadline.async_wait(
      [this, id, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
        if (!ec && !alive.expired()) fail(id, "timed out");
      });
  if (h2_ && connection_ && connection_->usable()) {
    start_h2(id);
  } else if (!h2_ && stats_.connects > 0) {
    dial_for(id);
  } else {
    waiting_.push_back(id);
    dial_shared();
  }
  return id;
}

// Removes request `id` and hands it over; null if it has already ended.
std::unique_ptr<ApiClient::Active> ApiClient::take(RequestId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return nullptr;
  std::unique_ptr<Active> request = std::move(it->second);
  active_.erase(it);
  return request;
}

void ApiClient::cancel(RequestId id) {
  if (std::unique_ptr<Active> request = take(id)) request->stop_transport();
}

// Ends a request with `error` (timeout, no connection): the transport is
// stopped and the sink told, once.
void ApiClient::fail(RequestId id, const std::string& error) {
  std::unique_ptr<Active> request = take(id);
  if (!request) return;
  request->stop_transport();
  if (request->sink.on_close) request->sink.on_close(error);
}

// The transports' sink for request `id`: it forwards to the caller's sink
// only while the request is active, so a cancelled request hears nothing.
net::http::ResponseSink ApiClient::forwarder(RequestId id) {
  net::http::ResponseSink sink;
  sink.on_status = [this, id](int status) {
    auto it = active_.find(id);
    if (it != active_.end() && it->second->sink.on_status) it->second->sink.on_status(status);
  };
  sink.on_data = [this, id](std::string_view data) {
    auto it = active_.find(id);
    if (it != active_.end() && it->second->sink.on_data) it->second->sink.on_data(data);
  };
  sink.on_close = [this, id](const std::string& error) {
    std::unique_ptr<Active> request = take(id);
    if (!request) return;
    request->deadline.cancel();
    if (request->sink.on_close) request->sink.on_close(error);
  };
  return sink;
}

std::vector<std::pair<std::string, std::string>> ApiClient::headers() {
  if (!access_.token_file.empty()) {
    if (std::optional<std::string> token = net::http::read_token_file(access_.token_file)) {
      token_ = std::move(*token);
      token_unreadable_ = false;
    } else if (!token_unreadable_) {  // once per streak: every request would repeat it
      token_unreadable_ = true;
      spdlog::warn("kubernetes: cannot read the token file {}; using the last token read",
                   access_.token_file);
    }
  }
  std::vector<std::pair<std::string, std::string>> headers{{"accept", "application/json"}};
  if (!token_.empty()) headers.emplace_back("authorization", "Bearer " + token_);
  return headers;
}

std::string ApiClient::authority() const {
  return net::http::authority_of(url_);
}

void ApiClient::start_h2(RequestId id) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  int32_t stream = connection_->get(it->second->path, headers(), forwarder(id));
  if (stream < 0) {  // GOAWAY or full: a new connection for this one
    connection_.reset();
    waiting_.push_back(id);
    dial_shared();
    return;
  }
  it = active_.find(id);  // the sink may have run
  if (it == active_.end()) return;
  it->second->h2 = connection_;
  it->second->stream_id = stream;
}

void ApiClient::start_h1(RequestId id, std::unique_ptr<net::http::TlsStream> stream) {
  auto it = active_.find(id);
  if (it == active_.end()) return;
  std::string request = net::http::http1_get_request(authority(), it->second->path, headers());
  auto h1 =
      std::make_shared<net::http::H1Request>(std::move(stream), std::move(request), forwarder(id));
  it->second->h1 = h1;
  h1->start();
}

namespace {

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return std::string("dial failed: ") + e.what();
  } catch (...) {
    return "dial failed";
  }
}

}  // namespace

// One dial at a time for the requests waiting in `waiting_`: it learns
// whether the server speaks h2 and, if so, becomes the shared connection.
void ApiClient::dial_shared() {
  if (dialing_) return;
  dialing_ = true;
  asio::co_spawn(io_,
                 net::http::dial(context_, dial_target(access_, url_), options_.connect_timeout),
                 [this, alive = std::weak_ptr<int>(alive_)](std::exception_ptr error,
                                                            net::http::Dialed dialed) {
                   if (alive.expired()) return;
                   if (error) dialed.error = describe(error);
                   on_shared_dialed(std::move(dialed));
                 });
}

void ApiClient::on_shared_dialed(net::http::Dialed dialed) {
  dialing_ = false;
  std::deque<RequestId> waiting = std::move(waiting_);
  waiting_.clear();
  if (!dialed.stream) {
    ++stats_.connect_failures;
    stats_.last_error = dialed.error;
    for (RequestId id : waiting)
      fail(id, "cannot reach the API server: " + dialed.error);
    return;
  }
  ++stats_.connects;
  h2_ = dialed.alpn == "h2";
  stats_.protocol = h2_ ? "h2" : "http/1.1";
  if (h2_) {
    connection_ = std::make_shared<net::http::H2Connection>(std::move(dialed.stream), authority(),
                                                            options_.ping_interval);
    connection_->start();
    for (RequestId id : waiting)
      start_h2(id);
    return;
  }
  // HTTP/1.1: the first waiting request takes this connection, the others
  // each dial their own.
  bool first = true;
  for (RequestId id : waiting) {
    if (first && active_.count(id)) {
      start_h1(id, std::move(dialed.stream));
      first = false;
    } else {
      dial_for(id);
    }
  }
}

void ApiClient::dial_for(RequestId id) {
  asio::co_spawn(io_,
                 net::http::dial(context_, dial_target(access_, url_), options_.connect_timeout),
                 [this, id, alive = std::weak_ptr<int>(alive_)](std::exception_ptr error,
                                                                net::http::Dialed dialed) {
                   if (alive.expired() || !active_.count(id)) return;
                   if (error) dialed.error = describe(error);
                   if (!dialed.stream) {
                     ++stats_.connect_failures;
                     stats_.last_error = dialed.error;
                     fail(id, "cannot reach the API server: " + dialed.error);
                     return;
                   }
                   ++stats_.connects;
                   if (dialed.alpn != "h2") {
                     start_h1(id, std::move(dialed.stream));
                     return;
                   }
                   // The server speaks h2 again: from now on requests share.
                   h2_ = true;
                   stats_.protocol = "h2";
                   if (!connection_ || !connection_->usable()) {
                     connection_ = std::make_shared<net::http::H2Connection>(
                         std::move(dialed.stream), authority(), options_.ping_interval);
                     connection_->start();
                   }
                   start_h2(id);
                 });
}

}  // namespace meshgate::discovery::kube
