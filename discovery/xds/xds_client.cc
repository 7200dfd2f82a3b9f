#include "discovery/xds/xds_client.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "base/read_file.h"
#include "discovery/xds/backoff.h"
#include "envoy/service/discovery/v3/ads.grpc.pb.h"

namespace meshgate::discovery::xds {
namespace {

namespace sd = envoy::service::discovery::v3;

constexpr size_t kMaxRootCertBytes = 1 << 20;
constexpr size_t kMaxTokenBytes = 64 * 1024;
// istiod's largest response for a mesh of 100,000 endpoints is tens of MiB.
constexpr int kMaxMessageBytes = 256 << 20;
// Keepalive as Istio's own agent: a ping every 30 s, 10 s to answer (istiod
// allows one every 15 s at most).
constexpr int kKeepaliveMs = 30'000;
constexpr int kKeepaliveTimeoutMs = 10'000;

std::shared_ptr<grpc::Channel> dial(const XdsClientOptions& options, const std::string& root) {
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = root;
  grpc::ChannelArguments args;
  if (!options.server_name.empty()) args.SetSslTargetNameOverride(options.server_name);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  // gRPC stops pinging after two pings without data by default: a quiet
  // stream to a vanished istiod would never be noticed.
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // CDS and EDS of a large mesh pass gRPC's 4 MiB default; a bound still
  // keeps one message from taking the process's memory.
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  // Each stream gets a fresh connection: a new token, a new handshake.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(options.address, grpc::SslCredentials(tls), args);
}

// A file's content with surrounding whitespace (a token's trailing newline) cut.
template <typename Stream>
bool write_all(Stream& stream, const std::vector<sd::DiscoveryRequest>& requests) {
  for (const sd::DiscoveryRequest& request : requests) {
    if (!stream.Write(request)) return false;
  }
  return true;
}

// gRPC says "handshake" (or names a certificate or SSL) when TLS failed.
bool tls_failed(const std::string& message) {
  for (const char* word : {"andshake", "ertificate", "SSL", "ssl"}) {
    if (message.find(word) != std::string::npos) return true;
  }
  return false;
}

XdsFailure failure_of(const grpc::Status& status, bool answered) {
  if (answered) return XdsFailure::kClosed;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return XdsFailure::kUnauthorized;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return XdsFailure::kRefused;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return XdsFailure::kOverloaded;
    case grpc::StatusCode::UNAVAILABLE:
      return tls_failed(status.error_message()) ? XdsFailure::kTls : XdsFailure::kUnavailable;
    default:
      return XdsFailure::kUnavailable;
  }
}

// What to check, by failure: the log says it once per change of kind.
const char* advice(XdsFailure failure) {
  switch (failure) {
    case XdsFailure::kTls:
      return "does discovery.xds.root_cert hold the mesh root (istio-ca-root-cert) istiod's "
             "certificate chains to, and does that certificate name discovery.xds.server_name?";
    case XdsFailure::kUnavailable:
      return "is istiod running and reachable at discovery.xds.address?";
    case XdsFailure::kUnauthorized:
      return "is the token a service-account token with audience istio-ca, of the namespace "
             "(and service account) the node names?";
    case XdsFailure::kRefused:
      return "istiod refused the node description (pod IP, names)";
    default:
      return "";
  }
}

}  // namespace

std::string_view failure_name(XdsFailure failure) {
  static constexpr std::string_view kNames[kXdsFailureCount] = {
      "none",         "root_cert", "token",      "tls",   "unavailable",
      "unauthorized", "refused",   "overloaded", "closed"};
  return kNames[static_cast<size_t>(failure)];
}

XdsClient::XdsClient(XdsClientOptions options, OnState on_state)
    : options_(std::move(options)), on_state_(std::move(on_state)) {}

XdsClient::~XdsClient() {
  stop();
}

void XdsClient::start() {
  thread_ = std::thread([this] { run(); });
}

void XdsClient::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

XdsClientStats XdsClient::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

bool XdsClient::wait_for(const std::function<bool(const XdsClientStats&)>& done,
                         std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return stats_changed_.wait_for(lock, timeout, [&] { return done(stats_); });
}

void XdsClient::run() {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, std::random_device{}());
  AdsState ads(options_.limits);
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    std::string error;
    bool answered = false;
    const XdsFailure failure = stream_once(ads, error, answered);
    lock.lock();
    stats_.connected = false;
    if (stopping_) break;
    if (answered) backoff.reset();
    lock.unlock();
    fail(failure, error);
    lock.lock();
    wake_.wait_for(lock, backoff.next(), [this] { return stopping_; });
  }
}

std::unique_ptr<grpc::ClientContext> XdsClient::context_for(const std::string& token) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  if (!options_.cluster_id.empty()) context->AddMetadata("clusterid", options_.cluster_id);
  return context;
}

XdsFailure XdsClient::stream_once(AdsState& ads, std::string& error, bool& answered) {
  const base::Credential root = base::read_credential(options_.root_cert_file, kMaxRootCertBytes);
  if (!root.value) {
    error = root.error;
    return XdsFailure::kRootCert;
  }
  base::Credential token{std::string(), ""};
  if (!options_.token_file.empty())
    token = base::read_credential(options_.token_file, kMaxTokenBytes);
  if (!token.value) {
    error = token.error;
    return XdsFailure::kToken;
  }
  const auto stub = sd::AggregatedDiscoveryService::NewStub(dial(options_, *root.value));
  const std::unique_ptr<grpc::ClientContext> context = context_for(*token.value);
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return XdsFailure::kNone;
    context_ = context.get();
    ++stats_.streams;
  }
  const auto stream = stub->StreamAggregatedResources(context.get());
  std::vector<sd::DiscoveryRequest> requests = ads.open();
  *requests.front().mutable_node() = build_node(options_.node);
  bool written = write_all(*stream, requests);
  sd::DiscoveryResponse response;
  while (written && stream->Read(&response)) {
    answered = true;
    written = write_all(*stream, ads.on_response(response));
    record(ads);
  }
  // A write fails only when the stream is ending: drain what is left to read,
  // so that Finish() reports istiod's own status, not a cancellation.
  while (!written && stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  {
    std::lock_guard lock(mutex_);
    context_ = nullptr;
  }
  error = fmt::format("{} (gRPC status {})", status.error_message().substr(0, 512),
                      static_cast<int>(status.error_code()));
  return failure_of(status, answered);
}

// `complete` goes to on_state_ sticky: once istiod's first complete push has
// arrived, every accepted change is handed on, also while a new EDS cluster
// waits for its first endpoints (it routes nowhere until they come).
void XdsClient::record(const AdsState& ads) {
  bool changed = false;
  bool complete = false;
  {
    std::lock_guard lock(mutex_);
    stats_.connected = true;
    for (size_t i = 0; i < kXdsTypeCount; ++i)
      stats_.types[i] = ads.status(static_cast<XdsType>(i));
    changed = ads.generation() != published_generation_;
    if (changed) {
      published_generation_ = ads.generation();
      stats_.last_accepted = std::chrono::system_clock::now();
      stats_.complete = stats_.complete || ads.complete();
    }
    complete = stats_.complete;
  }
  stats_changed_.notify_all();
  if (changed && on_state_) on_state_(ads.state(), complete);
}

void XdsClient::fail(XdsFailure failure, const std::string& error) {
  std::lock_guard lock(mutex_);
  stats_changed_.notify_all();
  ++stats_.failures[static_cast<size_t>(failure)];
  if (failure != stats_.last_failure && failure != XdsFailure::kClosed) {
    spdlog::warn("xds: {}: {}; {}", failure_name(failure), error, advice(failure));
  } else {
    spdlog::debug("xds: {}: {}", failure_name(failure), error);
  }
  stats_.last_failure = failure;
  stats_.last_error = error;
}

}  // namespace meshgate::discovery::xds
