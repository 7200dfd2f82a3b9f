// How many descriptors the data path may hold: RLIMIT_NOFILE less a reserve
// for everything else the process opens, worked out from the config, so that
// the listeners, health, metrics, admin, DNS, discovery and files can always
// open theirs however busy the data path is (gateway/admission.h spends it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"

namespace meshgate::gateway {

struct DescriptorPlan {
  uint64_t limit = 0;    // RLIMIT_NOFILE (soft) as found
  uint64_t reserve = 0;  // for everything but relayed connections and their pipes
  uint64_t budget = 0;   // limit - reserve (0 if the reserve takes it all)
};

// The reserve: fixed needs (standard streams, logs, files being read, every
// event loop's epoll, eventfd and timerfd), each worker's acceptors, each
// HTTP server's listener and its http.max_connections (plus the one being
// accepted), the DNS listeners, gRPC, dns.max_tcp_connections and the
// forwarder's sockets, and Kubernetes discovery's connections.
uint64_t reserved_descriptors(const config::Config& config, std::size_t workers);

// The plan for `limit` descriptors.
DescriptorPlan plan_descriptors(const config::Config& config, std::size_t workers, uint64_t limit);

// The soft RLIMIT_NOFILE now (a large number when unlimited).
uint64_t descriptor_limit();

// "descriptors: limit 20000, 1900 reserved ...; the data path may hold 18100:
// up to 9050 connections with no splice pipe lent (limits.max_connections 65536)".
std::string describe(const DescriptorPlan& plan, uint32_t max_connections);

}  // namespace meshgate::gateway
