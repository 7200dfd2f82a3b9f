// A stand-in istiod for the xDS client's tests: a real gRPC server on
// 127.0.0.1 (port 0) speaking Envoy's AggregatedDiscoveryService over TLS,
// with a certificate for istiod.istio-system.svc from its own CA. It checks
// the bearer token as istiod's KubeJWTAuthenticator would refuse a wrong one
// (UNAUTHENTICATED), records every request and every authorization and
// clusterid it was sent, and pushes the responses a test hands it. Writes go
// out without the lock the read loop takes, so a large push cannot stall it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "envoy/service/discovery/v3/ads.grpc.pb.h"

namespace meshgate::testing {

class FakeIstiod {
 public:
  // `token`: the one bearer token accepted; "" accepts any (or none).
  explicit FakeIstiod(std::string token);
  ~FakeIstiod();
  FakeIstiod(const FakeIstiod&) = delete;
  FakeIstiod& operator=(const FakeIstiod&) = delete;

  std::string address() const;          // "127.0.0.1:PORT"
  const std::string& root_pem() const;  // the CA istiod's certificate chains to
  static constexpr const char* kServerName = "istiod.istio-system.svc";

  // Sends `response` on the open stream, waiting (bounded) for one to open.
  bool push(const envoy::service::discovery::v3::DiscoveryResponse& response,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // The index-th request received over all streams, waiting (bounded) for it.
  std::optional<envoy::service::discovery::v3::DiscoveryRequest> request(
      size_t index, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Ends the open stream, as istiod's 30-minute limit or a restart does (the
  // client sees CANCELLED).
  void end_stream();
  // While true, every new stream ends at once with UNAVAILABLE "server is not
  // ready", as istiod answers before its caches have synced.
  void refuse_streams(bool refuse);
  size_t streams() const;                           // streams accepted (authorized)
  std::vector<std::string> authorizations() const;  // "authorization" of every stream opened
  std::vector<std::string> cluster_ids() const;     // "clusterid" of every stream opened

 private:
  class Service;
  std::string root_pem_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace meshgate::testing
