// The ADS stream to istiod over gRPC, on a thread of its own: TLS verified
// with the mesh root certificate, the pod's projected service-account token
// as "authorization: Bearer <token>" (read again for every stream: projected
// tokens rotate), the node on the first request, AdsState for everything
// after it. A stream that ends (istiod closes each after 30 minutes; an
// outage; a refused token) is reopened after a jittered exponential backoff,
// and the last accepted state keeps serving meanwhile. Every failure is
// logged once per kind with what to check, and counted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "discovery/xds/ads_state.h"
#include "discovery/xds/node.h"

namespace grpc {
class ClientContext;
}

namespace meshgate::discovery::xds {

struct XdsClientOptions {
  std::string address = "istiod.istio-system.svc:15012";  // host:port
  std::string root_cert_file;  // the mesh root (istio-ca-root-cert's root-cert.pem)
  std::string token_file;      // "" : no token (istiod then wants a client certificate)
  // The name istiod's certificate is checked against; "": the address's host.
  std::string server_name;
  std::string cluster_id;  // sent as "clusterid" metadata: which cluster's API reviews the token
  NodeIdentity node;
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds max_backoff{30'000};
  DecodeLimits limits;
};

// Why the last stream ended or could not start.
enum class XdsFailure {
  kNone,
  kRootCert,      // the root certificate file could not be read
  kToken,         // the token file could not be read
  kTls,           // the TLS handshake failed (istiod's certificate, the root)
  kUnavailable,   // istiod unreachable, or not ready (UNAVAILABLE before any answer)
  kUnauthorized,  // istiod refused the token or the node (UNAUTHENTICATED, PERMISSION_DENIED)
  kRefused,       // istiod refused the node's description (INVALID_ARGUMENT)
  kOverloaded,    // istiod's request limiter (RESOURCE_EXHAUSTED)
  kClosed,        // a stream istiod had answered on ended (its 30-minute limit, a restart)
};
inline constexpr size_t kXdsFailureCount = 9;
std::string_view failure_name(XdsFailure failure);

struct XdsClientStats {
  bool connected = false;  // a stream is open and istiod has answered on it
  uint64_t streams = 0;    // streams opened
  uint64_t failures[kXdsFailureCount] = {};
  XdsFailure last_failure = XdsFailure::kNone;
  std::string last_error;  // the last failure, as logged
  TypeStatus types[kXdsTypeCount];
  std::chrono::system_clock::time_point last_accepted{};  // time of the last accepted push
  bool complete = false;                                  // the first complete push has arrived
};

class XdsClient {
 public:
  // Called on the client's thread after every accepted response, with the
  // state and whether it is complete (the first complete push, and after).
  using OnState = std::function<void(const XdsStatePtr& state, bool complete)>;

  XdsClient(XdsClientOptions options, OnState on_state);
  ~XdsClient();  // stop()
  XdsClient(const XdsClient&) = delete;
  XdsClient& operator=(const XdsClient&) = delete;

  void start();
  // Ends the stream at once and joins the thread. Idempotent.
  void stop();
  XdsClientStats stats() const;
  // Waits (bounded) until `done` holds of the statistics; false on timeout.
  bool wait_for(const std::function<bool(const XdsClientStats&)>& done,
                std::chrono::milliseconds timeout) const;

 private:
  void run();
  // One stream, from dialling to its end; the failure it ended with, and
  // whether istiod answered on it (only then does the backoff start over).
  XdsFailure stream_once(AdsState& ads, std::string& error, bool& answered);
  std::unique_ptr<grpc::ClientContext> context_for(const std::string& token) const;
  // After each response: the statistics, and the state to on_state_ when it changed.
  void record(const AdsState& ads);
  void fail(XdsFailure failure, const std::string& error);

  XdsClientOptions options_;
  OnState on_state_;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;                   // stop() ends a backoff wait
  mutable std::condition_variable stats_changed_;  // after record() and fail()
  bool stopping_ = false;
  grpc::ClientContext* context_ = nullptr;  // the open stream's, under mutex_
  XdsClientStats stats_;                    // under mutex_
  uint64_t published_generation_ = 0;       // under mutex_
};

}  // namespace meshgate::discovery::xds
