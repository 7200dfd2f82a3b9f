#include "config/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "base/ip.h"
#include "config/duration.h"
#include "config/key_path.h"
#include "config/names.h"
#include "sni/istio_name.h"

namespace meshgate::config {
namespace {

// Collects problems under one path prefix.
class Problems {
 public:
  explicit Problems(base::Errors& out) : out_(out) {}

  void add(std::string path, std::string message) {
    out_.push_back({std::move(path), 0, std::move(message)});
  }
  void add_if(std::string path, std::optional<std::string> problem) {
    if (problem) add(std::move(path), std::move(*problem));
  }

 private:
  base::Errors& out_;
};

void validate_top(const Config& config, Problems& problems) {
  problems.add_if("network", check_network_name(config.network));
  problems.add_if("cluster_domain", check_dns_name(config.cluster_domain));
  problems.add_if("workers", check_range(config.workers, kWorkersRange));
}

void validate_listeners(const Listeners& listeners, Problems& problems) {
  for (const NamedListener& named : kListenerKeys) {
    const Listener& listener = listeners.*named.member;
    problems.add_if(fmt::format("listeners.{}.address", named.name),
                    check_ip_address(listener.address));
  }
  for (base::Error& collision : check_listener_ports(listeners)) {
    problems.add(std::move(collision.path), std::move(collision.message));
  }
}

// A burst of Kubernetes changes is held at most this long before it is
// published: longer would only delay routing to new endpoints.
constexpr Duration kMaxCoalesce = std::chrono::seconds(10);

// An exact host or "*.<suffix>", as Istio's expose-services.yaml writes them.
// A bare "*" would export every service of the cluster, so it is refused.
std::optional<std::string> check_export_host(std::string_view host) {
  if (host == "*") {
    return "'*' would export every host of the cluster; use \"*.local\" or list the hosts";
  }
  const std::string_view name = host.starts_with("*.") ? host.substr(2) : host;
  if (sni::is_lowercase_host(name)) return std::nullopt;
  return "not a host or host pattern: " + detail::in_quotes(host) +
         " (a lowercase DNS name, or \"*.\" followed by one, e.g. *.local)";
}

// A DNS-1123 label, as Kubernetes requires of a namespace name.
std::optional<std::string> check_namespace_name(std::string_view name) {
  if (name.find('.') == std::string_view::npos && sni::is_lowercase_host(name)) return std::nullopt;
  return "not a valid namespace name: " + detail::in_quotes(name) +
         " (a DNS-1123 label: 1..63 lowercase letters, digits or '-', starting and ending with a "
         "letter or digit)";
}

void validate_namespaces(const std::vector<std::string>& names, const std::string& path,
                         Problems& problems) {
  for (size_t i = 0; i < names.size(); ++i)
    problems.add_if(detail::join_index(path, i), check_namespace_name(names[i]));
}

// Including and excluding one namespace at once has no clear meaning.
void validate_namespace_overlap(const KubernetesSource& kube, const std::string& path,
                                Problems& problems) {
  for (size_t e = 0; e < kube.exclude_namespaces.size(); ++e) {
    const std::string& name = kube.exclude_namespaces[e];
    const auto& included = kube.include_namespaces;
    const auto found = std::find(included.begin(), included.end(), name);
    if (found == included.end()) continue;
    const size_t i = static_cast<size_t>(found - included.begin());
    problems.add(detail::join_index(path + ".exclude_namespaces", e),
                 fmt::format("namespace {} is also listed in {}", detail::in_quotes(name),
                             detail::join_index(path + ".include_namespaces", i)));
  }
}

void validate_kubernetes(const KubernetesSource& kube, Problems& problems) {
  const std::string path = "discovery.kubernetes";
  for (size_t i = 0; i < kube.export_hosts.size(); ++i) {
    problems.add_if(detail::join_index(path + ".export_hosts", i),
                    check_export_host(kube.export_hosts[i]));
  }
  problems.add_if(path + ".gateway_port", check_range(kube.gateway_port, kUpstreamPortRange));
  problems.add_if(path + ".gateway_namespace", check_namespace_name(kube.gateway_namespace));
  problems.add_if(path + ".system_namespace", check_namespace_name(kube.system_namespace));
  problems.add_if(path + ".cluster_id", check_label_value(kube.cluster_id, "cluster ID"));
  for (const auto& [key, value] : kube.gateway_selector) {
    problems.add_if(path + ".gateway_selector", check_label_key(key));
    problems.add_if(path + ".gateway_selector." + key, check_label_value(value, "label value"));
  }
  validate_namespaces(kube.include_namespaces, path + ".include_namespaces", problems);
  validate_namespaces(kube.exclude_namespaces, path + ".exclude_namespaces", problems);
  validate_namespace_overlap(kube, path, problems);
  if (kube.coalesce < Duration::zero()) {
    problems.add(path + ".coalesce", "negative duration");
  } else if (kube.coalesce > kMaxCoalesce) {
    problems.add(path + ".coalesce",
                 fmt::format("duration too large (max {})", format_duration(kMaxCoalesce)));
  }
}

void validate_discovery(const Discovery& discovery, Problems& problems) {
  for (size_t i = 0; i < discovery.files.size(); ++i) {
    const FileSource& file = discovery.files[i];
    const std::string item = detail::join_index("discovery.files", i);
    if (file.path.empty()) problems.add(item + ".path", "a file source needs a non-empty path");
    problems.add_if(item + ".poll_interval", check_duration(file.poll_interval, false));
  }
  validate_kubernetes(discovery.kubernetes, problems);
  if (discovery.xds.enabled && discovery.kubernetes.enabled) {
    problems.add("discovery.xds.enabled",
                 "not with discovery.kubernetes.enabled: both describe the cluster's services, "
                 "and istiod's own decisions (xds) are the ones to route by; turn one off");
  }
}

void validate_passthrough(const Passthrough& passthrough, Problems& problems) {
  problems.add_if("passthrough.connect_attempts",
                  check_range(passthrough.connect_attempts, kConnectAttemptsRange));
}

void validate_tcp_keepalive(const TcpKeepalive& keepalive, Problems& problems) {
  // The kernel takes whole seconds, at most 32767 (MAX_TCP_KEEPIDLE/KEEPINTVL).
  constexpr Duration kMax = std::chrono::seconds(32'767);
  for (const auto& [key, value] : {std::pair{"tcp_keepalive.idle", keepalive.idle},
                                   std::pair{"tcp_keepalive.interval", keepalive.interval}}) {
    if (value < std::chrono::seconds(1) || value > kMax) {
      problems.add(key, "out of range (1s..32767s)");
    } else if (value % std::chrono::seconds(1) != Duration::zero()) {
      problems.add(key, "must be whole seconds");
    }
  }
  problems.add_if("tcp_keepalive.probes", check_range(keepalive.probes, kKeepaliveProbesRange));
}

void validate_timeouts(const Timeouts& timeouts, Problems& problems) {
  problems.add_if("timeouts.client_hello", check_duration(timeouts.client_hello, false));
  problems.add_if("timeouts.connect", check_duration(timeouts.connect, false));
  problems.add_if("timeouts.upstream_first_byte",
                  check_duration(timeouts.upstream_first_byte, true));
  problems.add_if("timeouts.idle", check_duration(timeouts.idle, false));
  problems.add_if("timeouts.half_closed", check_duration(timeouts.half_closed, true));
  problems.add_if("timeouts.drain_delay", check_duration(timeouts.drain_delay, true));
  problems.add_if("timeouts.drain", check_duration(timeouts.drain, true));
}

void validate_limits(const Limits& limits, Problems& problems) {
  problems.add_if("limits.max_client_hello_bytes",
                  check_range(limits.max_client_hello_bytes, kMaxClientHelloBytesRange));
  problems.add_if("limits.max_connections",
                  check_range(limits.max_connections, kMaxConnectionsRange));
  problems.add_if("limits.max_connections_per_client",
                  check_range(limits.max_connections_per_client, kMaxConnectionsPerClientRange));
  problems.add_if("limits.buffer_bytes", check_range(limits.buffer_bytes, kBufferBytesRange));
}

void validate_http(const Http& http, Problems& problems) {
  problems.add_if("http.request_timeout", check_duration(http.request_timeout, false));
  problems.add_if("http.idle_timeout", check_duration(http.idle_timeout, false));
  problems.add_if("http.max_connections", check_range(http.max_connections, kHttpConnectionsRange));
  problems.add_if("http.max_connections_per_client",
                  check_range(http.max_connections_per_client, kHttpConnectionsPerClientRange));
}

void validate_upstream(const Upstream& upstream, const std::string& path, Problems& problems) {
  problems.add_if(path + ".host", check_dns_name(upstream.host));
  if (check_range(upstream.port, kUpstreamPortRange))
    problems.add(path + ".port", range_message(kUpstreamPortRange, "port"));
}

void validate_istiod(const Istiod& istiod, Problems& problems) {
  validate_upstream(istiod.xds, "istiod.xds", problems);
  validate_upstream(istiod.webhook, "istiod.webhook", problems);
  problems.add_if("istiod.dns_refresh", check_duration(istiod.dns_refresh, false));
}

// Each ejection lasts base_ejection x (times ejected), capped at max_ejection,
// so a cap below the base would cut even the first ejection short.
void validate_outlier(const Outlier& outlier, Problems& problems) {
  problems.add_if("outlier.consecutive_failures",
                  check_range(outlier.consecutive_failures, kConsecutiveFailuresRange));
  const std::optional<std::string> base = check_duration(outlier.base_ejection, false);
  const std::optional<std::string> max = check_duration(outlier.max_ejection, false);
  problems.add_if("outlier.base_ejection", base);
  if (max) {
    problems.add("outlier.max_ejection", *max);
  } else if (!base && outlier.max_ejection < outlier.base_ejection) {
    problems.add("outlier.max_ejection", fmt::format("{} is less than outlier.base_ejection ({})",
                                                     format_duration(outlier.max_ejection),
                                                     format_duration(outlier.base_ejection)));
  }
}

void validate_reload(const Reload& reload, Problems& problems) {
  problems.add_if("reload.poll_interval", check_duration(reload.poll_interval, true));
}

}  // namespace

std::string range_message(IntRange range, std::string_view what) {
  return fmt::format("{} out of range ({}..{})", what, range.min, range.max);
}

std::optional<std::string> check_range(int64_t value, IntRange range) {
  if (value < range.min || value > range.max) return range_message(range);
  return std::nullopt;
}

std::optional<std::string> check_ip_address(std::string_view address) {
  if (base::parse_ip(address)) return std::nullopt;
  return fmt::format("not an IP address: {} (expected an IPv4 or IPv6 literal, e.g. 0.0.0.0 or ::)",
                     detail::in_quotes(address));
}

std::optional<std::string> check_duration(Duration d, bool allow_zero) {
  if (d < Duration::zero()) return "negative duration";
  if (d == Duration::zero() && !allow_zero) return "must be greater than 0";
  if (d > kMaxDuration)
    return fmt::format("duration too large (max {})", format_duration(kMaxDuration));
  return std::nullopt;
}

bool addresses_overlap(std::string_view a, std::string_view b) {
  const std::optional<base::IpAddress> first = base::parse_ip(a);
  const std::optional<base::IpAddress> second = base::parse_ip(b);
  if (!first || !second) return false;
  return first->is_wildcard() || second->is_wildcard() || *first == *second;
}

base::Errors check_listener_ports(const Listeners& listeners) {
  base::Errors errors;
  for (size_t later = 0; later < kListenerKeys.size(); ++later) {
    const Listener& b = listeners.*kListenerKeys[later].member;
    for (size_t earlier = 0; earlier < later; ++earlier) {
      const Listener& a = listeners.*kListenerKeys[earlier].member;
      if (a.port == 0 || a.port != b.port || !addresses_overlap(a.address, b.address)) continue;
      errors.push_back(
          {fmt::format("listeners.{}.port", kListenerKeys[later].name), 0,
           fmt::format("port {} on {} collides with listeners.{}.port ({} port {})", b.port,
                       b.address, kListenerKeys[earlier].name, a.address, a.port)});
    }
  }
  return errors;
}

base::Errors validate_config(const Config& config) {
  base::Errors errors;
  Problems problems(errors);
  validate_top(config, problems);
  validate_listeners(config.listeners, problems);
  validate_discovery(config.discovery, problems);
  validate_passthrough(config.passthrough, problems);
  validate_tcp_keepalive(config.tcp_keepalive, problems);
  validate_timeouts(config.timeouts, problems);
  validate_limits(config.limits, problems);
  validate_http(config.http, problems);
  validate_istiod(config.istiod, problems);
  // access_log: every format the struct can hold is valid, and so is any path.
  validate_outlier(config.outlier, problems);
  validate_reload(config.reload, problems);
  for (base::Error& error : validate_dns(config.dns))
    errors.push_back(std::move(error));
  for (base::Error& error : validate_xds(config.discovery.xds))
    errors.push_back(std::move(error));
  return errors;
}

}  // namespace meshgate::config
