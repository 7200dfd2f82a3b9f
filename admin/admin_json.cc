#include "admin/admin_json.h"

#include <fmt/format.h>

#include <chrono>

#include "config/duration.h"
#include "config/validate.h"

namespace meshgate::admin {
namespace {

using nlohmann::json;

json listener(const config::Listener& l) {
  return {{"address", l.address}, {"port", l.port}};
}

json upstream(const config::Upstream& u) {
  return {{"host", u.host}, {"port", u.port}};
}

std::string duration(config::Duration d) {
  return config::format_duration(d);
}

const char* load_balancing_name(config::LoadBalancing lb) {
  switch (lb) {
    case config::LoadBalancing::kRoundRobin:
      return "round_robin";
    case config::LoadBalancing::kLeastConnections:
      return "least_connections";
  }
  return "unknown";
}

const char* splice_mode_name(config::SpliceMode mode) {
  switch (mode) {
    case config::SpliceMode::kAuto:
      return "auto";
    case config::SpliceMode::kAlways:
      return "true";
    case config::SpliceMode::kNever:
      return "false";
  }
  return "unknown";
}

const char* access_log_format_name(config::AccessLogFormat format) {
  switch (format) {
    case config::AccessLogFormat::kText:
      return "text";
    case config::AccessLogFormat::kJson:
      return "json";
  }
  return "unknown";
}

json listeners(const config::Listeners& l) {
  json out = json::object();
  for (const config::NamedListener& named : config::kListenerKeys) {
    out[std::string(named.name)] = listener(l.*named.member);
  }
  return out;
}

json kubernetes(const config::KubernetesSource& k) {
  return {{"enabled", k.enabled},
          {"kubeconfig", k.kubeconfig},
          {"export_hosts", k.export_hosts},
          {"include_namespaces", k.include_namespaces},
          {"exclude_namespaces", k.exclude_namespaces},
          {"istio_resources", k.istio_resources},
          {"coalesce", duration(k.coalesce)}};
}

json discovery_sources(const config::Discovery& d) {
  json files = json::array();
  for (const config::FileSource& f : d.files) {
    files.push_back({{"path", f.path}, {"poll_interval", duration(f.poll_interval)}});
  }
  return {{"files", std::move(files)},
          {"kubernetes", kubernetes(d.kubernetes)},
          {"xds", dump_xds_config(d.xds)}};
}

json passthrough(const config::Passthrough& p) {
  return {{"require_istio_alpn", p.require_istio_alpn},
          {"require_mtls_endpoints", p.require_mtls_endpoints},
          {"load_balancing", load_balancing_name(p.load_balancing)},
          {"connect_attempts", p.connect_attempts},
          {"splice", splice_mode_name(p.splice)}};
}

json timeouts(const config::Timeouts& t) {
  return {{"client_hello", duration(t.client_hello)},
          {"connect", duration(t.connect)},
          {"idle", duration(t.idle)},
          {"drain_delay", duration(t.drain_delay)},
          {"drain", duration(t.drain)}};
}

json limits(const config::Limits& l) {
  return {{"max_client_hello_bytes", l.max_client_hello_bytes},
          {"max_connections", l.max_connections},
          {"buffer_bytes", l.buffer_bytes}};
}

json istiod(const config::Istiod& i) {
  return {{"xds", upstream(i.xds)},
          {"webhook", upstream(i.webhook)},
          {"dns_refresh", duration(i.dns_refresh)}};
}

json access_log(const config::AccessLog& a) {
  return {{"enabled", a.enabled}, {"format", access_log_format_name(a.format)}, {"path", a.path}};
}

json outlier(const config::Outlier& o) {
  return {{"consecutive_failures", o.consecutive_failures},
          {"base_ejection", duration(o.base_ejection)},
          {"max_ejection", duration(o.max_ejection)}};
}

json dns(const config::Dns& d) {
  json zones = json::array();
  for (const config::DnsZone& z : d.zones) {
    zones.push_back({{"name", z.name},
                     {"answer", z.answer == config::DnsAnswer::kVip ? "vip" : "gateway"},
                     {"addresses", z.addresses},
                     {"services", z.services}});
  }
  const config::DnsForward& f = d.forward;
  const config::DnsRateLimit& r = d.rate_limit;
  return {{"enabled", d.enabled},
          {"zones", std::move(zones)},
          {"ttl", duration(d.ttl)},
          {"negative_ttl", duration(d.negative_ttl)},
          {"vip_ranges", d.vip_ranges},
          {"forward",
           {{"enabled", f.enabled},
            {"upstreams", f.upstreams},
            {"timeout", duration(f.timeout)},
            {"attempts", f.attempts},
            {"allowed_clients", f.allowed_clients}}},
          {"tcp_idle", duration(d.tcp_idle)},
          {"max_tcp_connections", d.max_tcp_connections},
          {"grpc", d.grpc},
          {"rate_limit",
           {{"responses_per_second", r.responses_per_second},
            {"burst", r.burst},
            {"slip", r.slip},
            {"ipv4_prefix_length", r.ipv4_prefix_length},
            {"ipv6_prefix_length", r.ipv6_prefix_length},
            {"max_tracked_prefixes", r.max_tracked_prefixes}}}};
}

// RFC 3339 in UTC with milliseconds, from the civil calendar (no time zone
// database, no libc).
std::string rfc3339_utc(std::chrono::system_clock::time_point when) {
  using namespace std::chrono;
  const auto millis = floor<milliseconds>(when);
  const auto day = floor<days>(millis);
  const year_month_day date{day};
  const hh_mm_ss<milliseconds> time{millis - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                     time.hours().count(), time.minutes().count(), time.seconds().count(),
                     time.subseconds().count());
}

json labels(const discovery::Labels& l) {
  json out = json::object();
  for (const auto& [key, value] : l)
    out[key] = value;
  return out;
}

json service_ports(const std::vector<discovery::ServicePort>& ports) {
  json out = json::array();
  for (const discovery::ServicePort& p : ports) {
    out.push_back({{"name", p.name}, {"number", p.number}, {"target_port", p.target_port}});
  }
  return out;
}

json subsets(const std::vector<discovery::Subset>& subsets) {
  json out = json::array();
  for (const discovery::Subset& s : subsets) {
    out.push_back({{"name", s.name}, {"labels", labels(s.labels)}});
  }
  return out;
}

json endpoint(const discovery::Endpoint& e) {
  json ports = json::object();
  for (const auto& [name, port] : e.ports)
    ports[name] = port;
  return {{"address", e.address}, {"ports", std::move(ports)}, {"labels", labels(e.labels)},
          {"network", e.network}, {"weight", e.weight},        {"mtls_capable", e.mtls_capable}};
}

json service(const discovery::Service& s) {
  json endpoints = json::array();
  for (const discovery::Endpoint& e : s.endpoints)
    endpoints.push_back(endpoint(e));
  return {{"name", s.name},
          {"namespace", s.ns},
          {"hostnames", s.hostnames},
          {"ports", service_ports(s.ports)},
          {"subsets", subsets(s.subsets)},
          {"endpoints", std::move(endpoints)}};
}

json alias(const discovery::HostAlias& a) {
  json target = nullptr;
  if (!a.service_name.empty()) {
    target = {{"name", a.service_name}, {"namespace", a.service_namespace}};
  }
  return {{"host", a.host}, {"addresses", a.addresses}, {"service", std::move(target)}};
}

}  // namespace

json dump_config(const config::Config& config) {
  return {{"network", config.network},
          {"cluster_domain", config.cluster_domain},
          {"workers", config.workers},
          {"listeners", listeners(config.listeners)},
          {"discovery", discovery_sources(config.discovery)},
          {"passthrough", passthrough(config.passthrough)},
          {"timeouts", timeouts(config.timeouts)},
          {"limits", limits(config.limits)},
          {"istiod", istiod(config.istiod)},
          {"access_log", access_log(config.access_log)},
          {"outlier", outlier(config.outlier)},
          {"reload", {{"poll_interval", duration(config.reload.poll_interval)}}},
          {"dns", dns(config.dns)}};
}

json dump_snapshot(const discovery::Snapshot& snapshot) {
  json services = json::array();
  for (const discovery::Service& s : snapshot.services())
    services.push_back(service(s));
  json aliases = json::array();
  for (const discovery::HostAlias& a : snapshot.aliases())
    aliases.push_back(alias(a));
  return {{"version", snapshot.version()},
          {"created", rfc3339_utc(snapshot.created())},
          {"services", std::move(services)},
          {"aliases", std::move(aliases)}};
}

}  // namespace meshgate::admin
