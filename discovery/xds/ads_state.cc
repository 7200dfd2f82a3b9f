#include "discovery/xds/ads_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <utility>

#include "envoy/config/cluster/v3/cluster.pb.h"
#include "envoy/config/endpoint/v3/endpoint.pb.h"
#include "envoy/config/listener/v3/listener.pb.h"
#include "envoy/service/discovery/v3/discovery.pb.h"

namespace meshgate::discovery::xds {
namespace {

namespace sd = envoy::service::discovery::v3;

// google.rpc.Code INVALID_ARGUMENT: what a NACK's error_detail carries.
constexpr int kInvalidArgument = 3;
// More resources than this in one response is not a mesh, it is an attack.
constexpr int kMaxResources = 200'000;

std::optional<XdsType> type_of(std::string_view url) {
  for (XdsType type : {XdsType::kCluster, XdsType::kLoadAssignment, XdsType::kListener}) {
    if (type_url(type) == url) return type;
  }
  return std::nullopt;
}

sd::DiscoveryRequest request(XdsType type, const TypeStatus& status, std::string_view nonce,
                             const std::vector<std::string>& names) {
  sd::DiscoveryRequest out;
  out.set_type_url(std::string(type_url(type)));
  out.set_version_info(status.version);
  out.set_response_nonce(std::string(nonce));
  for (const std::string& name : names)
    out.add_resource_names(name);
  return out;
}

// Every resource of the response as `Proto`, decoded by `decode` into `out` by
// the name `name_of` gives; the first problem otherwise.
template <typename Proto, typename Value, typename Decode, typename NameOf>
std::optional<base::Error> decode_all(const sd::DiscoveryResponse& response, std::string_view url,
                                      Decode decode, NameOf name_of,
                                      std::map<std::string, Value, std::less<>>& out) {
  if (response.resources_size() > kMaxResources) {
    return base::Error{"resources", 0, fmt::format("more than {}", kMaxResources)};
  }
  Proto proto;
  for (int i = 0; i < response.resources_size(); ++i) {
    const google::protobuf::Any& any = response.resources(i);
    if (any.type_url() != url || !any.UnpackTo(&proto)) {
      return base::Error{fmt::format("resources[{}]", i), 0,
                         fmt::format("not a readable {}", url.substr(url.rfind('.') + 1))};
    }
    Decoded<Value> decoded = decode(proto);
    if (!decoded.value) return std::move(decoded.error);
    std::string name = name_of(*decoded.value);
    if (!out.emplace(name, std::move(*decoded.value)).second) {
      return base::Error{fmt::format("resources[{}]", i), 0, "a second resource named " + name};
    }
  }
  return std::nullopt;
}

}  // namespace

struct AdsState::Applied {
  std::optional<base::Error> error;
  std::shared_ptr<XdsState> next;  // the state after it, when accepted
};

std::string_view type_url(XdsType type) {
  switch (type) {
    case XdsType::kCluster:
      return kClusterType;
    case XdsType::kLoadAssignment:
      return kLoadAssignmentType;
    case XdsType::kListener:
      return kListenerType;
  }
  return "";
}

std::string_view type_name(XdsType type) {
  switch (type) {
    case XdsType::kCluster:
      return "cds";
    case XdsType::kLoadAssignment:
      return "eds";
    case XdsType::kListener:
      return "lds";
  }
  return "";
}

std::vector<sd::DiscoveryRequest> AdsState::open() {
  for (TypeStatus& status : status_)
    status.nonce.clear();
  std::vector<sd::DiscoveryRequest> out;
  out.push_back(request(XdsType::kCluster, status(XdsType::kCluster), "", {}));
  out.push_back(request(XdsType::kListener, status(XdsType::kListener), "", {}));
  if (!eds_names_.empty()) {
    out.push_back(
        request(XdsType::kLoadAssignment, status(XdsType::kLoadAssignment), "", eds_names_));
  }
  return out;
}

std::vector<sd::DiscoveryRequest> AdsState::on_response(const sd::DiscoveryResponse& response) {
  const std::optional<XdsType> type = type_of(response.type_url());
  if (!type) return {};  // nothing asked for it
  TypeStatus& status = status_[static_cast<size_t>(*type)];
  status.nonce = response.nonce();
  const std::vector<std::string> names_before = eds_names_;
  Applied applied = apply(*type, response);
  const std::vector<std::string>& names =
      *type == XdsType::kLoadAssignment ? eds_names_ : std::vector<std::string>{};
  if (applied.error) {
    ++status.nacks;
    status.last_error = base::describe(*applied.error);
    sd::DiscoveryRequest nack = request(*type, status, response.nonce(), names);
    nack.mutable_error_detail()->set_code(kInvalidArgument);
    nack.mutable_error_detail()->set_message(status.last_error);
    return {std::move(nack)};
  }
  ++status.pushes;
  status.version = response.version_info();
  status.last_error.clear();
  state_ = std::move(applied.next);
  ++generation_;
  std::vector<sd::DiscoveryRequest> out;
  out.push_back(request(*type, status, response.nonce(), names));
  if (eds_names_ != names_before) {
    const TypeStatus& eds = status_[static_cast<size_t>(XdsType::kLoadAssignment)];
    out.push_back(request(XdsType::kLoadAssignment, eds, eds.nonce, eds_names_));
  }
  return out;
}

AdsState::Applied AdsState::apply(XdsType type, const sd::DiscoveryResponse& response) {
  switch (type) {
    case XdsType::kCluster:
      return apply_clusters(response);
    case XdsType::kListener:
      return apply_listeners(response);
    case XdsType::kLoadAssignment:
      return apply_assignments(response);
  }
  return {};
}

AdsState::Applied AdsState::apply_clusters(const sd::DiscoveryResponse& response) {
  std::map<std::string, Cluster, std::less<>> clusters;
  if (auto error = decode_all<envoy::config::cluster::v3::Cluster, Cluster>(
          response, kClusterType, [&](const auto& p) { return decode_cluster(p, limits_); },
          [](const Cluster& c) { return c.name; }, clusters)) {
    return {std::move(error), nullptr};
  }
  std::set<std::string> names;
  for (const auto& [name, cluster] : clusters) {
    if (cluster.type == ClusterType::kEds) names.insert(cluster.eds_name);
  }
  auto next = std::make_shared<XdsState>(*state_);
  next->clusters = std::move(clusters);
  std::erase_if(next->assignments, [&](const auto& entry) { return !names.contains(entry.first); });
  eds_names_.assign(names.begin(), names.end());
  status_[static_cast<size_t>(XdsType::kCluster)].resources = next->clusters.size();
  status_[static_cast<size_t>(XdsType::kLoadAssignment)].resources = next->assignments.size();
  return {std::nullopt, std::move(next)};
}

AdsState::Applied AdsState::apply_listeners(const sd::DiscoveryResponse& response) {
  std::map<std::string, Listener, std::less<>> listeners;
  if (auto error = decode_all<envoy::config::listener::v3::Listener, Listener>(
          response, kListenerType, [&](const auto& p) { return decode_listener(p, limits_); },
          [](const Listener& l) { return l.name; }, listeners)) {
    return {std::move(error), nullptr};
  }
  auto next = std::make_shared<XdsState>(*state_);
  next->listeners = std::move(listeners);
  status_[static_cast<size_t>(XdsType::kListener)].resources = next->listeners.size();
  return {std::nullopt, std::move(next)};
}

// EDS responses may carry only some clusters (istiod's incremental pushes):
// each assignment replaces that cluster's, the others stay. An assignment for
// a name not subscribed is ignored.
AdsState::Applied AdsState::apply_assignments(const sd::DiscoveryResponse& response) {
  std::map<std::string, LoadAssignment, std::less<>> assignments;
  if (auto error = decode_all<envoy::config::endpoint::v3::ClusterLoadAssignment, LoadAssignment>(
          response, kLoadAssignmentType,
          [&](const auto& p) { return decode_load_assignment(p, false, limits_); },
          [](const LoadAssignment& a) { return a.cluster_name; }, assignments)) {
    return {std::move(error), nullptr};
  }
  auto next = std::make_shared<XdsState>(*state_);
  for (auto& [name, assignment] : assignments) {
    if (std::binary_search(eds_names_.begin(), eds_names_.end(), name)) {
      next->assignments.insert_or_assign(name, std::move(assignment));
    }
  }
  status_[static_cast<size_t>(XdsType::kLoadAssignment)].resources = next->assignments.size();
  return {std::nullopt, std::move(next)};
}

bool AdsState::complete() const {
  if (status(XdsType::kCluster).pushes == 0 || status(XdsType::kListener).pushes == 0) {
    return false;
  }
  return std::all_of(eds_names_.begin(), eds_names_.end(),
                     [&](const std::string& name) { return state_->assignments.contains(name); });
}

}  // namespace meshgate::discovery::xds
