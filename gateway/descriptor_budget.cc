#include "gateway/descriptor_budget.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>

#include "gateway/admission.h"

namespace meshgate::gateway {
namespace {

// Standard streams, the log and access log, files read at once (config,
// registries, tokens), the event loops of the control, health and DNS
// threads and the access-log writer, /dev/urandom, and slack for libraries.
constexpr uint64_t kFixed = 64;
// An event loop: epoll, its eventfd and its timerfd.
constexpr uint64_t kPerLoop = 3;
constexpr uint64_t kTcpListeners = 3;  // 15443, 15012, 15017, on every worker
constexpr uint64_t kHttpServers = 3;   // health, metrics, admin
// gRPC's own threads and pollers, c-ares' sockets to its upstreams.
constexpr uint64_t kDnsGrpc = 32;
constexpr uint64_t kDnsForwarder = 16;
// The API server connection, its retries and the token and CA files.
constexpr uint64_t kKubernetes = 16;

}  // namespace

uint64_t reserved_descriptors(const config::Config& config, std::size_t workers) {
  uint64_t reserve = kFixed + workers * (kPerLoop + kTcpListeners + 1);  // +1: a socket mid-accept
  reserve += kHttpServers * (config.http.max_connections + 2);  // + listener + one mid-eviction
  if (config.dns.enabled) {
    reserve += 2 + config.dns.max_tcp_connections + 1 + kDnsForwarder;  // UDP, TCP listeners
    if (config.dns.grpc) reserve += kDnsGrpc;
  }
  if (config.discovery.kubernetes.enabled) reserve += kKubernetes;
  return reserve;
}

DescriptorPlan plan_descriptors(const config::Config& config, std::size_t workers, uint64_t limit) {
  DescriptorPlan plan;
  plan.limit = limit;
  plan.reserve = reserved_descriptors(config, workers);
  plan.budget = limit > plan.reserve ? limit - plan.reserve : 0;
  return plan;
}

uint64_t descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur == RLIM_INFINITY) return uint64_t{1} << 30;
  return limit.rlim_cur;
}

std::string describe(const DescriptorPlan& plan, uint32_t max_connections) {
  const uint64_t connections = plan.budget / Admission::kDescriptorsPerConnection;
  return fmt::format(
      "descriptors: limit {}, {} reserved for listeners, health, metrics, admin, DNS, discovery "
      "and files; the data path may hold {}: up to {} connections with no splice pipe lent "
      "(limits.max_connections {})",
      plan.limit, plan.reserve, plan.budget, std::min<uint64_t>(connections, max_connections),
      max_connections);
}

}  // namespace meshgate::gateway
