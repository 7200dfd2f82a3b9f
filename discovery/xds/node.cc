#include "discovery/xds/node.h"

#include <fmt/format.h>

#include "base/ip.h"
#include "envoy/config/core/v3/base.pb.h"

namespace meshgate::discovery::xds {
namespace {

using google::protobuf::Struct;

void set_string(Struct& object, const std::string& key, const std::string& value) {
  (*object.mutable_fields())[key].set_string_value(value);
}

// "a,b,c": how NodeMetadata's StringList fields are written.
std::string comma_list(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values)
    out += (out.empty() ? "" : ",") + value;
  return out;
}

}  // namespace

std::string node_id(const NodeIdentity& identity) {
  return fmt::format("router~{}~{}.{}~{}.svc.{}", identity.pod_ip, identity.pod_name,
                     identity.pod_namespace, identity.pod_namespace, identity.cluster_domain);
}

std::optional<base::Error> check_identity(const NodeIdentity& identity) {
  const std::pair<const char*, const std::string*> parts[] = {
      {"pod_name", &identity.pod_name},
      {"pod_namespace", &identity.pod_namespace},
      {"pod_ip", &identity.pod_ip},
      {"cluster_domain", &identity.cluster_domain}};
  for (const auto& [name, value] : parts) {
    if (value->empty()) return base::Error{name, 0, "required"};
    if (value->find('~') != std::string::npos) {
      return base::Error{name, 0, "'~' separates the parts of the node id"};
    }
  }
  if (!base::parse_ip(identity.pod_ip)) {
    return base::Error{"pod_ip", 0, "not an IP literal (istiod refuses the node)"};
  }
  return std::nullopt;
}

envoy::config::core::v3::Node build_node(const NodeIdentity& identity) {
  envoy::config::core::v3::Node node;
  node.set_id(node_id(identity));
  const auto app = identity.labels.find("app");
  node.set_cluster(fmt::format("{}.{}",
                               app != identity.labels.end() ? app->second : "istio-eastwestgateway",
                               identity.pod_namespace));
  node.set_user_agent_name("meshgate");
  node.set_user_agent_version(identity.user_agent_version);
  Struct& metadata = *node.mutable_metadata();
  // Unset, istiod would take the node for the newest version there is.
  if (!identity.istio_version.empty())
    set_string(metadata, "ISTIO_VERSION", identity.istio_version);
  set_string(metadata, "NAMESPACE", identity.pod_namespace);
  set_string(metadata, "CLUSTER_ID", identity.cluster_id);
  set_string(metadata, "NETWORK", identity.network);
  set_string(metadata, "MESH_ID", identity.mesh_id);
  set_string(metadata, "INSTANCE_IPS", identity.pod_ip);
  set_string(metadata, "WORKLOAD_NAME",
             app != identity.labels.end() ? app->second : identity.pod_name);
  set_string(metadata, "ROUTER_MODE", "sni-dnat");
  if (!identity.service_account.empty()) {
    set_string(metadata, "SERVICE_ACCOUNT", identity.service_account);
  }
  if (!identity.requested_network_view.empty()) {
    set_string(metadata, "REQUESTED_NETWORK_VIEW", comma_list(identity.requested_network_view));
  }
  Struct& labels = *(*metadata.mutable_fields())["LABELS"].mutable_struct_value();
  for (const auto& [key, value] : identity.labels)
    set_string(labels, key, value);
  // istiod finds a network's gateway by this label when it cannot see the pod.
  if (!identity.network.empty() && !identity.labels.contains("topology.istio.io/network")) {
    set_string(labels, "topology.istio.io/network", identity.network);
  }
  (*metadata.mutable_fields())["PROXY_CONFIG"].mutable_struct_value();
  return node;
}

}  // namespace meshgate::discovery::xds
