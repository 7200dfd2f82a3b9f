#include "discovery/kubernetes/gateway_hosts.h"

#include <algorithm>

#include "discovery/names.h"

namespace meshgate::discovery::kube {
namespace {

bool selects(const Labels& selector, const Labels& labels) {
  return std::all_of(selector.begin(), selector.end(), [&](const auto& entry) {
    auto it = labels.find(entry.first);
    return it != labels.end() && it->second == entry.second;
  });
}

}  // namespace

std::vector<std::string> gateway_hosts(const ObjectMap<Gateway>& gateways,
                                       const Labels& gateway_labels, uint16_t gateway_port,
                                       const std::function<bool(const ObjectMeta&)>& wanted) {
  std::vector<std::string> hosts;
  for (const auto& [key, gateway] : gateways) {
    if (!wanted(gateway.meta) || !selects(gateway.selector, gateway_labels)) continue;
    for (const GatewayServer& server : gateway.servers) {
      if (server.port != gateway_port || server.tls_mode != "AUTO_PASSTHROUGH") continue;
      for (const std::string& raw : server.hosts) {
        const std::size_t slash = raw.find('/');
        std::string host = to_lower(slash == std::string::npos ? raw : raw.substr(slash + 1));
        if (!host.empty() && std::find(hosts.begin(), hosts.end(), host) == hosts.end()) {
          hosts.push_back(std::move(host));
        }
      }
    }
  }
  return hosts;
}

}  // namespace meshgate::discovery::kube
