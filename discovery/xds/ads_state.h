// One state-of-the-world ADS conversation with istiod, free of I/O: what is
// subscribed (CDS and LDS by wildcard, EDS by the names the clusters give),
// what was last accepted of each type, and the request that answers each
// response: an ACK, a NACK whose error names the resource (the previous
// state keeps serving), and a new EDS subscription when the clusters change.
// The transport (xds_client.h) sends what this returns; tests drive it with
// hand-built responses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "discovery/xds/decode.h"
#include "discovery/xds/resources.h"

namespace envoy::service::discovery::v3 {
class DiscoveryRequest;
class DiscoveryResponse;
}  // namespace envoy::service::discovery::v3

namespace meshgate::discovery::xds {

// What istiod has told this gateway and it accepted, complete or not.
struct XdsState {
  std::map<std::string, Listener, std::less<>> listeners;  // by name
  std::map<std::string, Cluster, std::less<>> clusters;    // by name
  // By the EDS name of a subscribed cluster; merged response by response.
  std::map<std::string, LoadAssignment, std::less<>> assignments;
};
using XdsStatePtr = std::shared_ptr<const XdsState>;

// One type's bookkeeping, for metrics and /config_dump.
struct TypeStatus {
  std::string version;     // last accepted version_info
  std::string nonce;       // last response's nonce
  uint64_t pushes = 0;     // responses accepted
  uint64_t nacks = 0;      // responses refused
  std::string last_error;  // the last NACK's reason, until the next ACK
  size_t resources = 0;    // resources held
};

enum class XdsType { kCluster, kLoadAssignment, kListener };
inline constexpr size_t kXdsTypeCount = 3;
std::string_view type_url(XdsType type);
std::string_view type_name(XdsType type);  // "cds", "eds", "lds"

class AdsState {
 public:
  explicit AdsState(DecodeLimits limits = {}) : limits_(limits) {}

  // The requests that open a stream (or reopen one after a reconnect): CDS
  // and LDS by wildcard, with the last accepted versions, and EDS for the
  // names already known. Nonces of an earlier stream are forgotten: istiod
  // ignores a request that echoes one it did not send on this stream. The
  // node goes on the first request, by the transport.
  std::vector<envoy::service::discovery::v3::DiscoveryRequest> open();

  // Applies a response; returns the requests that answer it.
  std::vector<envoy::service::discovery::v3::DiscoveryRequest> on_response(
      const envoy::service::discovery::v3::DiscoveryResponse& response);

  // True once LDS and CDS were accepted and every EDS cluster has had its endpoints.
  bool complete() const;
  // Bumped by every accepted change.
  uint64_t generation() const { return generation_; }
  // The accepted state, shared: a change makes a new one.
  const XdsStatePtr& state() const { return state_; }
  const TypeStatus& status(XdsType type) const { return status_[static_cast<size_t>(type)]; }
  const std::vector<std::string>& eds_names() const { return eds_names_; }

 private:
  struct Applied;
  Applied apply(XdsType type, const envoy::service::discovery::v3::DiscoveryResponse& response);
  Applied apply_clusters(const envoy::service::discovery::v3::DiscoveryResponse& response);
  Applied apply_listeners(const envoy::service::discovery::v3::DiscoveryResponse& response);
  Applied apply_assignments(const envoy::service::discovery::v3::DiscoveryResponse& response);

  DecodeLimits limits_;
  XdsStatePtr state_ = std::make_shared<const XdsState>();
  TypeStatus status_[kXdsTypeCount];
  std::vector<std::string> eds_names_;  // sorted: what EDS is subscribed with
  uint64_t generation_ = 0;
};

}  // namespace meshgate::discovery::xds
