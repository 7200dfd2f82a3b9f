// The walker's discovery.xds section: where istiod is, the credentials, and
// the node this gateway presents.
#include "config/yaml_walker.h"

namespace meshgate::config::detail {

void Walker::xds(const YAML::Node& node, const std::string& path) {
  XdsSource& target = config_.discovery.xds;
  const auto string = [&](std::string& field) {
    return [this, &field](auto& v, auto& p) { read_string(v, p, field); };
  };
  const auto port = [&](uint16_t& field) {
    return [this, &field](auto& v, auto& p) { read_port(v, p, kUpstreamPortRange, field); };
  };
  mapping(node, path,
          {
              {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
              {"address", string(target.address)},
              {"server_name", string(target.server_name)},
              {"root_cert", string(target.root_cert)},
              {"token_file", string(target.token_file)},
              {"cluster_id", string(target.cluster_id)},
              {"mesh_id", string(target.mesh_id)},
              {"istio_version", string(target.istio_version)},
              {"pod_name", string(target.pod_name)},
              {"pod_namespace", string(target.pod_namespace)},
              {"pod_ip", string(target.pod_ip)},
              {"service_account", string(target.service_account)},
              {"labels", [&](auto& v, auto& p) { read_string_map(v, p, target.labels); }},
              {"requested_network_view",
               [&](auto& v, auto& p) { read_string_list(v, p, target.requested_network_view); }},
              {"passthrough_port", port(target.passthrough_port)},
              {"istiod_port", port(target.istiod_port)},
              {"webhook_port", port(target.webhook_port)},
              {"resolvers", [&](auto& v, auto& p) { read_string_list(v, p, target.resolvers); }},
          });
}

}  // namespace meshgate::config::detail
