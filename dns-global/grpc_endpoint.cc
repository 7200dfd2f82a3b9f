// CoreDNS's DnsService/Query on gRPC's callback API.
//
// Each call gets a CallReactor (owned by gRPC until OnDone) and a CallState
// shared with the Reply handed to the handler. Whoever claims the state first
// (the Reply, or OnCancel when the client gives up or the server shuts down)
// calls Finish exactly once; everyone else does nothing. Since gRPC keeps the
// call, its response message and the reactor alive until Finish, and a late
// Reply touches only the shared state, replies may come from any thread at any
// time, even after stop().
#include "dns-global/grpc_endpoint.h"

#include <grpc/grpc.h>
#include <grpc/support/log.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "dns.grpc.pb.h"
#include "dns.pb.h"

namespace meshgate::dns {
namespace {

using coredns::dns::DnsPacket;

constexpr size_t kDnsHeaderSize = 12;
constexpr size_t kMaxDnsMessage = 65535;
// A DnsPacket adds a tag byte and a length varint (at most 3 bytes) to msg.
constexpr int kMaxGrpcMessage = 65536 + 64;
constexpr int kMaxStreamsPerConnection = 256;
constexpr auto kShutdownGrace = std::chrono::seconds(1);

// gRPC logs to stderr on its own; keep it to errors unless GRPC_VERBOSITY
// says otherwise.
void quiet_grpc_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("GRPC_VERBOSITY") == nullptr) gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
  });
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "%5B" -> "["; a '%' not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket.
base::IpAddress unmap_v4(const base::IpAddress& ip) {
  constexpr std::array<uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!ip.v6 || !std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), ip.bytes.begin())) {
    return ip;
  }
  base::IpAddress v4;
  std::copy_n(ip.bytes.begin() + 12, 4, v4.bytes.begin());
  return v4;
}

// The host part of gRPC's peer string: "ipv4:127.0.0.1:5353",
// "ipv6:[::1]:5353" (maybe percent-encoded, maybe with a %zone).
std::optional<base::IpAddress> parse_peer(std::string_view peer) {
  const std::string decoded = percent_decode(peer);
  std::string_view rest = decoded;
  std::string_view host;
  if (rest.substr(0, 5) == "ipv4:") {
    rest.remove_prefix(5);
    host = rest.substr(0, rest.rfind(':'));
  } else if (rest.substr(0, 6) == "ipv6:[") {
    rest.remove_prefix(6);
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = rest.substr(0, close);
  } else {
    return std::nullopt;
  }
  host = host.substr(0, host.find('%'));
  const std::optional<base::IpAddress> ip = base::parse_ip(host);
  if (!ip) return std::nullopt;
  return unmap_v4(*ip);
}

// "10.0.0.1" -> "10.0.0.1:53", "::" or "[::]" -> "[::]:53"; nothing for a
// non-literal (no name lookups on the way to a listener).
std::optional<std::string> listen_target(std::string_view address, uint16_t port) {
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  const std::optional<base::IpAddress> ip = base::parse_ip(address);
  if (!ip) return std::nullopt;
  const std::string host = ip->v6 ? "[" + std::string(address) + "]" : std::string(address);
  return host + ":" + std::to_string(port);
}

// What the Reply and the reactor share: the one-shot right to Finish.
class CallState {
 public:
  CallState(grpc::ServerUnaryReactor* reactor, DnsPacket* response)
      : reactor_(reactor), response_(response) {}

  void answer(const std::vector<uint8_t>& msg) {
    if (!claim()) return;
    if (msg.empty()) {
      reactor_->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "malformed DNS message"));
      return;
    }
    if (msg.size() > kMaxDnsMessage) {
      reactor_->Finish(grpc::Status(grpc::StatusCode::INTERNAL, "DNS answer too large"));
      return;
    }
    response_->set_msg(reinterpret_cast<const char*>(msg.data()), msg.size());
    reactor_->Finish(grpc::Status::OK);
  }

  void fail(grpc::Status status) {
    if (claim()) reactor_->Finish(std::move(status));
  }

 private:
  bool claim() { return !claimed_.exchange(true, std::memory_order_acq_rel); }

  std::atomic<bool> claimed_{false};
  // Valid until Finish completes; only the claimant uses them, before Finish.
  grpc::ServerUnaryReactor* const reactor_;
  DnsPacket* const response_;
};

class CallReactor final : public grpc::ServerUnaryReactor {
 public:
  explicit CallReactor(DnsPacket* response) : state_(std::make_shared<CallState>(this, response)) {}

  GrpcEndpoint::Reply make_reply() const {
    return [state = state_](std::vector<uint8_t> answer) { state->answer(answer); };
  }
  void fail(grpc::StatusCode code, const std::string& message) {
    state_->fail(grpc::Status(code, message));
  }

  // The client went away, its deadline passed, or the server is shutting
  // down: finish now so that gRPC can release the call; a later Reply is
  // ignored.
  void OnCancel() override { state_->fail(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnDone() override { delete this; }

 private:
  std::shared_ptr<CallState> state_;
};

class DnsServiceImpl final : public coredns::dns::DnsService::CallbackService {
 public:
  explicit DnsServiceImpl(GrpcEndpoint::Handler handler) : handler_(std::move(handler)) {}

  grpc::ServerUnaryReactor* Query(grpc::CallbackServerContext* context, const DnsPacket* request,
                                  DnsPacket* response) override {
    auto* reactor = new CallReactor(response);
    const std::string& msg = request->msg();
    if (msg.size() < kDnsHeaderSize || msg.size() > kMaxDnsMessage) {
      reactor->fail(grpc::StatusCode::INVALID_ARGUMENT, "DNS message must be 12..65535 bytes");
      return reactor;
    }
    std::vector<uint8_t> query(msg.size());
    std::copy_n(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), query.begin());
    try {
      handler_(std::move(query), parse_peer(context->peer()), reactor->make_reply());
    } catch (const std::exception& e) {
      spdlog::error("dns gRPC endpoint: handler failed: {}", e.what());
      reactor->fail(grpc::StatusCode::INTERNAL, "internal error");
    } catch (...) {
      spdlog::error("dns gRPC endpoint: handler failed");
      reactor->fail(grpc::StatusCode::INTERNAL, "internal error");
    }
    return reactor;
  }

 private:
  GrpcEndpoint::Handler handler_;
};

constexpr std::array<std::string_view, 17> kStatusNames{
    "OK",        "CANCELLED",      "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED",   "OUT_OF_RANGE",   "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
    "DATA_LOSS", "UNAUTHENTICATED"};

std::string describe(const grpc::Status& status) {
  const auto code = static_cast<size_t>(status.error_code());
  const std::string name =
      code < kStatusNames.size() ? std::string(kStatusNames[code]) : "code " + std::to_string(code);
  return status.error_message().empty() ? name : name + ": " + status.error_message();
}

}  // namespace

struct GrpcEndpoint::Impl {
  // Declared before `server`, so destroyed after it.
  std::unique_ptr<DnsServiceImpl> service;
  std::unique_ptr<grpc::Server> server;
  uint16_t port = 0;
  std::mutex stop_mutex;
  bool stopped = false;
};

GrpcEndpoint::GrpcEndpoint(const std::string& address, uint16_t port, Handler handler)
    : impl_(std::make_unique<Impl>()) {
  quiet_grpc_logging();
  const std::optional<std::string> target = listen_target(address, port);
  const std::runtime_error cannot_listen("dns gRPC endpoint: cannot listen on " +
                                         (target ? *target : address + ":" + std::to_string(port)));
  if (!target) throw cannot_listen;

  impl_->service = std::make_unique<DnsServiceImpl>(std::move(handler));
  grpc::ServerBuilder builder;
  int selected_port = 0;
  builder.AddListeningPort(*target, grpc::InsecureServerCredentials(), &selected_port);
  builder.SetMaxReceiveMessageSize(kMaxGrpcMessage);
  builder.SetMaxSendMessageSize(kMaxGrpcMessage);
  // A second process on the same port must fail, not share the traffic.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
  builder.RegisterService(impl_->service.get());
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || selected_port <= 0 || selected_port > 65535) {
    if (impl_->server) impl_->server->Shutdown();
    throw cannot_listen;
  }
  impl_->port = static_cast<uint16_t>(selected_port);
}

GrpcEndpoint::~GrpcEndpoint() {
  stop();
}

uint16_t GrpcEndpoint::port() const {
  return impl_->port;
}

void GrpcEndpoint::stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Calls still waiting for a reply after the grace period are cancelled;
  // their OnCancel finishes them, so Wait() returns.
  impl_->server->Shutdown(std::chrono::system_clock::now() + kShutdownGrace);
  impl_->server->Wait();
}

std::optional<std::vector<uint8_t>> grpc_query(const std::string& target,
                                               const std::vector<uint8_t>& query,
                                               std::string* error, int timeout_ms) {
  quiet_grpc_logging();
  const auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  const auto stub = coredns::dns::DnsService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(std::max(timeout_ms, 1)));
  DnsPacket request;
  request.set_msg(reinterpret_cast<const char*>(query.data()), query.size());
  DnsPacket response;
  const grpc::Status status = stub->Query(&context, request, &response);
  if (!status.ok()) {
    if (error != nullptr) *error = describe(status);
    return std::nullopt;
  }
  const std::string& msg = response.msg();
  std::vector<uint8_t> answer(msg.size());
  std::copy_n(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), answer.begin());
  return answer;
}

}  // namespace meshgate::dns
