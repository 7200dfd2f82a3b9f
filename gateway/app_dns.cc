// App: the .global DNS server, its zone rebuilt from every snapshot, and
// what a reload does to it.
#include <spdlog/spdlog.h>

#include "gateway/app.h"

namespace meshgate::gateway {
namespace {

std::unique_ptr<dns::VipAllocator> make_allocator(const config::Dns& dns) {
  std::vector<config::Cidr> ranges;
  for (const std::string& text : dns.vip_ranges) {
    if (const auto cidr = config::parse_cidr(text)) ranges.push_back(*cidr);
  }
  return std::make_unique<dns::VipAllocator>(ranges);
}

bool dns_settings_equal(const config::Config& a, const config::Config& b) {
  return a.dns == b.dns && a.listeners.dns == b.listeners.dns &&
         a.listeners.dns_grpc == b.listeners.dns_grpc;
}

}  // namespace

void App::start_dns() {
  vips_ = make_allocator(config_->dns);
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
  dns_->set_zone(dns::ZoneIndex::build(config_->dns, *snapshot, *vips_));
}

bool App::reconfigure_dns(const config::Config& previous) {
  if (dns_settings_equal(previous, *config_)) return true;
  vips_ = make_allocator(config_->dns);
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

}  // namespace meshgate::gateway
