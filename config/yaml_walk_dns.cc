// The `dns` section of the config document.
#include <fmt/format.h>

#include <array>

#include "config/yaml_scalar.h"
#include "config/yaml_walker.h"

namespace meshgate::config::detail {
void Walker::dns(const YAML::Node& node, const std::string& path) {
  Dns& target = config_.dns;
  // dns.rate_limit, read here: the walker's declaration (yaml_walker.h) has
  // no member of its own for it.
  const auto number = [this](IntRange range, uint32_t& field) {
    return [this, range, target = &field](const YAML::Node& v, const std::string& p) {
      read_uint32(v, p, range, *target);
    };
  };
  DnsRateLimit& limit = target.rate_limit;
  const std::vector<Field> rate_limit_fields{
      {"responses_per_second", number(kResponsesPerSecondRange, limit.responses_per_second)},
      {"burst", number(kRateLimitBurstRange, limit.burst)},
      {"slip", number(kSlipRange, limit.slip)},
      {"ipv4_prefix_length", number(kIpv4PrefixRange, limit.ipv4_prefix_length)},
      {"ipv6_prefix_length", number(kIpv6PrefixRange, limit.ipv6_prefix_length)},
      {"max_tracked_prefixes", number(kMaxTrackedPrefixesRange, limit.max_tracked_prefixes)},
  };
  mapping(node, path,
          {
              {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
              {"zones", [&](auto& v, auto& p) { dns_zones(v, p); }},
              {"ttl", [&](auto& v, auto& p) { read_duration(v, p, target.ttl); }},
              {"negative_ttl", [&](auto& v, auto& p) { read_duration(v, p, target.negative_ttl); }},
              {"vip_ranges", [&](auto& v, auto& p) { read_string_list(v, p, target.vip_ranges); }},
              {"forward", [&](auto& v, auto& p) { dns_forward(v, p); }},
              {"tcp_idle", [&](auto& v, auto& p) { read_duration(v, p, target.tcp_idle); }},
              {"max_tcp_connections",
               [&](auto& v, auto& p) {
                 read_uint32(v, p, kMaxTcpConnectionsRange, target.max_tcp_connections);
               }},
              {"grpc", [&](auto& v, auto& p) { read_bool(v, p, target.grpc); }},
              {"rate_limit", [&](auto& v, auto& p) { mapping(v, p, rate_limit_fields); }},
          });
}

void Walker::dns_zones(const YAML::Node& node, const std::string& path) {
  if (!node.IsSequence()) return (void)expect(node, path, YAML::NodeType::Sequence);
  std::vector<DnsZone>& zones = config_.dns.zones;
  zones.clear();
  for (const yaml::Value& item : items(node, path))
    dns_zone(item.node, item.path, zones.emplace_back());
}

void Walker::dns_zone(const YAML::Node& node, const std::string& path, DnsZone& target) {
  mapping(node, path,
          {
              {"name", [&](auto& v, auto& p) { read_string(v, p, target.name); }},
              {"answer", [&](auto& v, auto& p) { read_dns_answer(v, p, target.answer); }},
              {"addresses", [&](auto& v, auto& p) { read_string_list(v, p, target.addresses); }},
              {"services", [&](auto& v, auto& p) { read_bool(v, p, target.services); }},
          });
}

void Walker::dns_forward(const YAML::Node& node, const std::string& path) {
  DnsForward& target = config_.dns.forward;
  mapping(node, path,
          {
              {"enabled", [&](auto& v, auto& p) { read_bool(v, p, target.enabled); }},
              {"upstreams", [&](auto& v, auto& p) { read_string_list(v, p, target.upstreams); }},
              {"timeout", [&](auto& v, auto& p) { read_duration(v, p, target.timeout); }},
              {"attempts",
               [&](auto& v, auto& p) { read_uint32(v, p, kDnsAttemptsRange, target.attempts); }},
              {"allowed_clients",
               [&](auto& v, auto& p) { read_string_list(v, p, target.allowed_clients); }},
          });
}

void Walker::read_dns_answer(const YAML::Node& node, const std::string& path, DnsAnswer& target) {
  static constexpr std::array<std::string_view, 2> kNames{"vip", "gateway"};
  static constexpr std::array<DnsAnswer, 2> kValues{DnsAnswer::kVip, DnsAnswer::kGateway};
  const std::optional<size_t> index = read_choice(node, path, "DNS answer mode", kNames);
  if (index) target = kValues[*index];
}

// A sequence of strings; the whole list is refused if any item is not one.
void Walker::read_string_list(const YAML::Node& node, const std::string& path,
                              std::vector<std::string>& target) {
  if (!node.IsSequence()) return (void)expect(node, path, YAML::NodeType::Sequence);
  const size_t errors = reader_.error_count();
  std::vector<std::string> values;
  for (const yaml::Value& item : items(node, path)) {
    if (std::optional<std::string> value = reader_.string(item)) values.push_back(*value);
  }
  if (reader_.error_count() != errors) return refused(path);
  target = std::move(values);
}

// A mapping of strings to strings (labels): every key and value a string,
// each key once; the whole map is refused if any entry is not.
void Walker::read_string_map(const YAML::Node& node, const std::string& path,
                             std::map<std::string, std::string>& target) {
  if (!node.IsMap()) return (void)expect(node, path, YAML::NodeType::Map);
  const size_t errors = reader_.error_count();
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : reader_.entries(at(node, path), kMaxItems)) {
    out_.lines.emplace(value.path, value.line);
    if (std::optional<std::string> text = reader_.string(value)) values.emplace(key, *text);
  }
  if (reader_.error_count() != errors) return refused(path);
  target = std::move(values);
}

}  // namespace meshgate::config::detail
