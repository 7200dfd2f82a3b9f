// The xDS parts of /config_dump: the discovery.xds keys, and the stream's
// state (what istiod last sent of each type, what was refused, what is not
// served).
#include <fmt/format.h>

#include "admin/admin_json.h"

namespace meshgate::admin {

using nlohmann::json;

json dump_xds_config(const config::XdsSource& x) {
  return {{"enabled", x.enabled},
          {"address", x.address},
          {"server_name", x.server_name},
          {"root_cert", x.root_cert},
          {"token_file", x.token_file},
          {"cluster_id", x.cluster_id},
          {"mesh_id", x.mesh_id},
          {"istio_version", x.istio_version},
          {"pod_name", x.pod_name},
          {"pod_namespace", x.pod_namespace},
          {"pod_ip", x.pod_ip},
          {"service_account", x.service_account},
          {"labels", x.labels},
          {"requested_network_view", x.requested_network_view},
          {"passthrough_port", x.passthrough_port},
          {"istiod_port", x.istiod_port},
          {"webhook_port", x.webhook_port}};
}

json dump_xds(const discovery::xds::XdsSourceStats& stats) {
  namespace xds = discovery::xds;
  const xds::XdsClientStats& client = stats.client;
  json types = json::object();
  for (size_t i = 0; i < xds::kXdsTypeCount; ++i) {
    const xds::TypeStatus& t = client.types[i];
    types[std::string(xds::type_name(static_cast<xds::XdsType>(i)))] = {
        {"version", t.version}, {"nonce", t.nonce},           {"pushes", t.pushes},
        {"nacks", t.nacks},     {"last_error", t.last_error}, {"resources", t.resources}};
  }
  return {{"connected", client.connected},
          {"complete", client.complete},
          {"streams", client.streams},
          {"last_failure", std::string(xds::failure_name(client.last_failure))},
          {"last_error", client.last_error},
          {"types", std::move(types)},
          {"publishes", stats.publishes},
          {"services", stats.services},
          {"routes", stats.translate.routes},
          {"unserved_chains", stats.unserved}};
}

}  // namespace meshgate::admin
