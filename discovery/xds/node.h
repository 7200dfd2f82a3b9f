// Who this gateway is to istiod: the Envoy Node it sends on the first
// request of every ADS stream, as Istio's own east-west gateway presents
// itself. istiod parses the id (pilot/pkg/model/context.go
// ParseServiceNodeWithMetadata) and reads the metadata as its NodeMetadata
// JSON (pkg/model/proxy.go), strictly typed: a number where a string belongs
// closes the stream.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"

namespace envoy::config::core::v3 {
class Node;
}

namespace meshgate::discovery::xds {

struct NodeIdentity {
  std::string pod_name;       // the downward API's metadata.name
  std::string pod_namespace;  // metadata.namespace: istiod checks the token against it
  std::string pod_ip;         // status.podIP
  std::string cluster_id = "Kubernetes";
  std::string network;  // topology.istio.io/network of this gateway
  std::string mesh_id;
  std::string istio_version;    // istiod's version: istiod gates features by it
  std::string service_account;  // "" : not sent (istiod then checks the namespace only)
  std::string cluster_domain = "cluster.local";
  // The pod's labels: istiod selects Gateway resources by them (istio:
  // eastwestgateway). istiod reads the pod's own labels when it finds the
  // pod by name; these are its fallback.
  std::map<std::string, std::string> labels;
  // The networks whose endpoints istiod may send (the chart's
  // networkGateway); empty: the gateway's own network.
  std::vector<std::string> requested_network_view;
  std::string user_agent_version;  // meshgate's version
};

// "router~<pod IP>~<pod>.<namespace>~<namespace>.svc.<cluster domain>".
std::string node_id(const NodeIdentity& identity);

// What istiod would refuse the stream for, checked before dialling: a
// missing pod name or namespace, a pod IP that is not an IP literal, a '~'
// in any part of the id. The path names the identity field.
std::optional<base::Error> check_identity(const NodeIdentity& identity);

// The Node, metadata included: ISTIO_VERSION (when set), NAMESPACE,
// CLUSTER_ID, NETWORK, MESH_ID, INSTANCE_IPS, SERVICE_ACCOUNT (when set),
// LABELS (with topology.istio.io/network added from the network),
// REQUESTED_NETWORK_VIEW (when set), ROUTER_MODE (sni-dnat, as Istio's
// east-west gateway chart has it; istiod detects the mode itself now, so it
// is harmless) and PROXY_CONFIG (an empty object: istiod lists in istioctl
// proxy-status only the connections that sent one).
envoy::config::core::v3::Node build_node(const NodeIdentity& identity);

}  // namespace meshgate::discovery::xds
