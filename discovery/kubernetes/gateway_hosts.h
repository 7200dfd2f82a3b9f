// The hosts an east-west gateway exposes, from Istio's Gateway resources as
// istiod reads them (pilot/pkg/model/push_context.go mergeGateways,
// model/gateway.go GetSNIHostsForServer, networking/core/gateway.go
// builtAutoPassthroughFilterChains; samples/multicluster/expose-services.yaml):
// every Gateway, in any namespace, whose selector is among the gateway's pod
// labels (an empty selector selects every gateway); of those, the servers on
// gateway_port (the Service port) with tls.mode AUTO_PASSTHROUGH; their hosts with any
// "<namespace>/" part dropped, as istiod drops it. No such Gateway: nothing
// is exposed, as istiod then builds no filter chain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "discovery/kubernetes/objects.h"

namespace meshgate::discovery::kube {

std::vector<std::string> gateway_hosts(const ObjectMap<Gateway>& gateways,
                                       const Labels& gateway_labels, uint16_t gateway_port,
                                       const std::function<bool(const ObjectMeta&)>& wanted);

}  // namespace meshgate::discovery::kube
