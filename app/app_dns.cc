// App: the .global DNS server, its zone rebuilt from every snapshot, and
// what a reload does to it.
#include <spdlog/spdlog.h>

#include "app/app.h"

namespace meshgate::app {
namespace {

std::unique_ptr<dns::VipAllocator> make_allocator(const config::Dns& dns) {
  std::vector<base::Cidr> ranges;
  for (const std::string& text : dns.vip_ranges) {
    if (const auto cidr = base::parse_cidr(text)) ranges.push_back(*cidr);
  }
  return std::make_unique<dns::VipAllocator>(ranges);
}

// What the zone is built from: a change needs a new zone, not a new server.
bool zone_settings_equal(const config::Dns& a, const config::Dns& b) {
  return a.zones == b.zones && a.ttl == b.ttl && a.negative_ttl == b.negative_ttl &&
         a.vip_ranges == b.vip_ranges;
}

// Everything else the server was built with: sockets, forwarding, limits.
bool server_settings_equal(const config::Config& a, const config::Config& b) {
  config::Dns a_dns = a.dns;
  a_dns.zones = b.dns.zones;
  a_dns.ttl = b.dns.ttl;
  a_dns.negative_ttl = b.dns.negative_ttl;
  a_dns.vip_ranges = b.dns.vip_ranges;
  return a_dns == b.dns && a.listeners.dns == b.listeners.dns &&
         a.listeners.dns_grpc == b.listeners.dns_grpc;
}

}  // namespace

void App::start_dns() {
  vips_ = make_allocator(config_->dns);
  zone_.reset();
  if (!config_->dns.enabled) return;
  dns_ = std::make_unique<dns::DnsServer>(*config_);
  publish_zone();
  dns_->start();
  spdlog::info("dns: listening on {} (UDP and TCP){}", dns_->udp_endpoint().port(),
               dns_->grpc_port() ? fmt::format(", gRPC on {}", dns_->grpc_port()) : "");
}

void App::publish_zone() {
  if (!dns_ || !vips_) return;
  const discovery::SnapshotPtr snapshot = registry_.snapshot();
  // A snapshot that changed no name keeps the zone: nothing is rebuilt.
  dns::ZoneIndexPtr zone = dns::ZoneIndex::build(config_->dns, *snapshot, *vips_, zone_);
  if (zone == zone_) return;
  zone_ = std::move(zone);
  dns_->set_zone(zone_);
}

bool App::reconfigure_dns(const config::Config& previous) {
  const bool zone_same = zone_settings_equal(previous.dns, config_->dns);
  if (!zone_same) {
    vips_ = make_allocator(config_->dns);
    zone_.reset();
  }
  if (server_settings_equal(previous, *config_)) {
    // Open TCP connections and gRPC calls go on; the next answer uses the new zone.
    if (!zone_same) publish_zone();
    return true;
  }
  if (dns_) dns_->stop();
  dns_.reset();
  try {
    start_dns();
    return true;
  } catch (const std::exception& e) {
    spdlog::error("reload: dns: {}; the old DNS settings stay", e.what());
  }
  auto restored = std::make_shared<config::Config>(*config_);
  restored->dns = previous.dns;
  restored->listeners.dns = previous.listeners.dns;
  restored->listeners.dns_grpc = previous.listeners.dns_grpc;
  config_ = std::move(restored);
  try {
    start_dns();
  } catch (const std::exception& e) {
    dns_.reset();
    spdlog::error("reload: dns: the old settings cannot bind either ({}); DNS is off", e.what());
  }
  return false;
}

}  // namespace meshgate::app
