// `meshgate dns-hosts`.
#include "onboarding/dns_hosts.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <vector>

#include "dns-global/vip_allocator.h"
#include "dns-global/zone.h"
#include "onboarding/registry_once.h"

namespace meshgate::onboarding {

std::string dns_hosts_text(const config::Config& config, const discovery::Snapshot& snapshot) {
  std::vector<base::Cidr> ranges;
  for (const std::string& text : config.dns.vip_ranges) {
    if (const auto cidr = base::parse_cidr(text)) ranges.push_back(*cidr);
  }
  const dns::VipAllocator allocator(ranges);
  const dns::ZoneIndexPtr zone = dns::ZoneIndex::build(config.dns, snapshot, allocator);
  std::string out = fmt::format("# meshgate dns-hosts: registry snapshot {}\n", snapshot.version());
  for (const dns::HostEntry& entry : zone->host_entries()) {
    for (const std::string& address : entry.addresses) {
      out += fmt::format("{} {}\n", address, entry.name);
    }
  }
  for (const discovery::HostAlias& alias : snapshot.aliases()) {
    if (alias.host.starts_with("*.")) {
      out += fmt::format("# {}: a hosts file cannot hold a wildcard; use the gateway's DNS\n",
                         alias.host);
    }
  }
  return out;
}

int print_dns_hosts(const std::string& config_file) {
  const std::optional<RegistryOnce> loaded = load_registry_once(config_file, std::cerr);
  if (!loaded) return 1;
  std::fputs(dns_hosts_text(*loaded->config, *loaded->snapshot).c_str(), stdout);
  return 0;
}

}  // namespace meshgate::onboarding
