// Checks of the `dns` section.
#include <fmt/format.h>

#include <set>

#include "base/cidr.h"
#include "base/ip.h"
#include "config/key_path.h"
#include "config/names.h"
#include "config/validate.h"

namespace meshgate::config {
namespace {

void add(base::Errors& errors, std::string path, std::string message) {
  errors.push_back({std::move(path), 0, std::move(message)});
}

void check_zone(const DnsZone& zone, const std::string& path, base::Errors& errors) {
  if (auto problem = check_dns_name(zone.name)) add(errors, path + ".name", std::move(*problem));
  for (size_t i = 0; i < zone.addresses.size(); ++i) {
    if (auto problem = check_ip_address(zone.addresses[i])) {
      add(errors, detail::join_index(path + ".addresses", i), std::move(*problem));
    }
  }
  if (zone.answer == DnsAnswer::kGateway && zone.addresses.empty()) {
    add(errors, path + ".addresses",
        "answer mode 'gateway' needs this gateway's advertised addresses");
  }
}

void check_zones(const std::vector<DnsZone>& zones, base::Errors& errors) {
  std::set<std::string> seen;
  for (size_t i = 0; i < zones.size(); ++i) {
    const std::string path = detail::join_index("dns.zones", i);
    check_zone(zones[i], path, errors);
    if (!seen.insert(zones[i].name).second) {
      add(errors, path + ".name", fmt::format("zone '{}' is listed twice", zones[i].name));
    }
  }
}

void check_cidrs(const std::vector<std::string>& cidrs, const std::string& path,
                 base::Errors& errors) {
  for (size_t i = 0; i < cidrs.size(); ++i) {
    if (!base::parse_cidr(cidrs[i])) {
      add(errors, detail::join_index(path, i),
          fmt::format("not a CIDR range: '{}' (e.g. 10.0.0.0/8 or fc00::/7, host bits zero)",
                      cidrs[i]));
    }
  }
}

void check_vip_ranges(const std::vector<std::string>& ranges, base::Errors& errors) {
  check_cidrs(ranges, "dns.vip_ranges", errors);
  int v4 = 0;
  int v6 = 0;
  for (const std::string& text : ranges) {
    if (const auto cidr = base::parse_cidr(text)) ++(cidr->base.v6 ? v6 : v4);
  }
  if (v4 > 1 || v6 > 1) add(errors, "dns.vip_ranges", "at most one IPv4 and one IPv6 range");
}

void check_forward(const DnsForward& forward, base::Errors& errors) {
  for (size_t i = 0; i < forward.upstreams.size(); ++i) {
    if (!base::parse_ip_port(forward.upstreams[i], 53)) {
      add(errors, detail::join_index("dns.forward.upstreams", i),
          fmt::format("not an upstream resolver: '{}' (an IP address, with :port or [v6]:port)",
                      forward.upstreams[i]));
    }
  }
  if (auto problem = check_duration(forward.timeout, false)) {
    add(errors, "dns.forward.timeout", std::move(*problem));
  }
  if (auto problem = check_range(forward.attempts, kDnsAttemptsRange)) {
    add(errors, "dns.forward.attempts", std::move(*problem));
  }
  check_cidrs(forward.allowed_clients, "dns.forward.allowed_clients", errors);
}

void check_rate_limit(const DnsRateLimit& limit, base::Errors& errors) {
  const struct {
    const char* key;
    uint32_t value;
    IntRange range;
  } fields[] = {
      {"responses_per_second", limit.responses_per_second, kResponsesPerSecondRange},
      {"burst", limit.burst, kRateLimitBurstRange},
      {"slip", limit.slip, kSlipRange},
      {"ipv4_prefix_length", limit.ipv4_prefix_length, kIpv4PrefixRange},
      {"ipv6_prefix_length", limit.ipv6_prefix_length, kIpv6PrefixRange},
      {"max_tracked_prefixes", limit.max_tracked_prefixes, kMaxTrackedPrefixesRange},
  };
  for (const auto& field : fields) {
    if (auto problem = check_range(field.value, field.range)) {
      add(errors, std::string("dns.rate_limit.") + field.key, std::move(*problem));
    }
  }
}

}  // namespace

base::Errors validate_dns(const Dns& dns) {
  base::Errors errors;
  check_zones(dns.zones, errors);
  // Durations stop at 8760h, well inside RFC 2181's 2^31 - 1 seconds.
  if (auto problem = check_duration(dns.ttl, true)) add(errors, "dns.ttl", std::move(*problem));
  if (auto problem = check_duration(dns.negative_ttl, true)) {
    add(errors, "dns.negative_ttl", std::move(*problem));
  }
  check_vip_ranges(dns.vip_ranges, errors);
  check_forward(dns.forward, errors);
  if (auto problem = check_duration(dns.tcp_idle, false)) {
    add(errors, "dns.tcp_idle", std::move(*problem));
  }
  if (auto problem = check_range(dns.max_tcp_connections, kMaxTcpConnectionsRange)) {
    add(errors, "dns.max_tcp_connections", std::move(*problem));
  }
  check_rate_limit(dns.rate_limit, errors);
  return errors;
}

}  // namespace meshgate::config
