// `meshgate dns-hosts`.
#include "gateway/dns_hosts.h"

#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "config/loader.h"
#include "config/overrides.h"
#include "discovery/file_source.h"
#include "discovery/registry.h"
#include "dns-global/vip_allocator.h"
#include "dns-global/zone.h"

namespace meshgate::gateway {

std::string dns_hosts_text(const config::Config& config, const discovery::Snapshot& snapshot) {
  std::vector<config::Cidr> ranges;
  for (const std::string& text : config.dns.vip_ranges) {
    if (const auto cidr = config::parse_cidr(text)) ranges.push_back(*cidr);
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
  config::LoadResult loaded;
  if (config_file.empty()) {
    loaded.config = std::make_shared<const config::Config>(config::default_config());
  } else {
    loaded = config::load_config_file(config_file);
  }
  loaded = config::with_overrides(std::move(loaded), config::overrides_from_environment());
  for (const auto& error : loaded.errors) {
    std::fprintf(stderr, "%s\n", config::format_error(config_file, error).c_str());
  }
  if (!loaded.ok()) return 1;
  discovery::Registry registry;
  std::vector<std::unique_ptr<discovery::FileSource>> sources;
  for (const config::FileSource& file : loaded.config->discovery.files) {
    sources.push_back(std::make_unique<discovery::FileSource>(file.path, registry));
    if (const std::string error = sources.back()->reload(); !error.empty()) {
      std::fprintf(stderr, "%s: %s\n", file.path.c_str(), error.c_str());
      return 1;
    }
  }
  std::fputs(dns_hosts_text(*loaded.config, *registry.snapshot()).c_str(), stdout);
  return 0;
}

}  // namespace meshgate::gateway
