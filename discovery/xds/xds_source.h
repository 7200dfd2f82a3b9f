// istiod as a discovery source: the xDS client's accepted state, translated
// into meshgate's model (translate.h), goes to the registry under the source
// name "xds" at the first complete push (LDS, CDS and the EDS of every EDS
// cluster) and at every accepted change after it, so the registry is not
// synced, and the gateway not ready, before istiod has said everything. An
// istiod outage changes nothing: the last state keeps serving. A state with
// DNS clusters goes out once their host names have had a first answer
// (DnsRefresher), as Envoy warms such clusters, and again whenever an answer
// changes.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "discovery/registry.h"
#include "discovery/xds/dns_refresher.h"
#include "discovery/xds/translate.h"
#include "discovery/xds/xds_client.h"

namespace meshgate::discovery::xds {

struct XdsSourceStats {
  XdsClientStats client;
  TranslateStats translate;  // of the last state published
  DnsRefresherStats dns;
  uint64_t publishes = 0;  // states handed to the registry
  size_t services = 0;     // in the last state published
  // The chains of the last state that meshgate does not serve, as
  // "LISTENER CHAIN: REASON (DETAIL)"; at most kMaxUnservedShown.
  std::vector<std::string> unserved;
};
inline constexpr size_t kMaxUnservedShown = 100;

// The client's options from the config: discovery.xds, this gateway's
// network and cluster domain, and meshgate's version for the node.
XdsClientOptions client_options(const config::Config& config, std::string_view version);

class XdsSource {
 public:
  // Declares the source to the registry (not synced until the first complete
  // push). The node's identity must pass check_identity(): throws
  // std::runtime_error naming the key otherwise.
  XdsSource(const config::Config& config, std::string_view version, Registry& registry);
  ~XdsSource();
  XdsSource(const XdsSource&) = delete;
  XdsSource& operator=(const XdsSource&) = delete;

  static constexpr const char* kName = "xds";
  void start();
  void stop();
  XdsSourceStats stats() const;
  const XdsClient& client() const { return *client_; }

 private:
  void on_state(const XdsStatePtr& state, bool complete);
  void on_answers(const DnsAnswers& answers, uint64_t generation);
  // Translates state_ with `answers` and hands it to the registry.
  void publish(const DnsAnswers* answers);

  Registry& registry_;
  std::string address_;
  TranslateOptions translate_options_;
  std::unique_ptr<XdsClient> client_;
  std::unique_ptr<DnsRefresher> dns_;
  std::mutex publish_mutex_;  // one publish at a time, from either thread
  XdsStatePtr state_;         // the last complete state, under publish_mutex_
  uint64_t generation_ = 0;   // of state_, under publish_mutex_
  mutable std::mutex mutex_;
  TranslateStats translate_;           // under mutex_
  uint64_t publishes_ = 0;             // under mutex_
  size_t services_ = 0;                // under mutex_
  std::vector<std::string> unserved_;  // under mutex_
};

}  // namespace meshgate::discovery::xds
