// The zone index: built once from a snapshot, then only read.
#include "dns-global/zone.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>

#include "base/cidr.h"

namespace meshgate::dns {

namespace {

constexpr uint32_t kSoaRefresh = 3600;
constexpr uint32_t kSoaRetry = 600;
constexpr uint32_t kSoaExpire = 86400;

uint32_t whole_seconds(config::Duration duration) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
  constexpr int64_t kMax = std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(std::clamp<int64_t>(seconds, 0, kMax));
}

// Appends the address unless the node has it already (no duplicate records).
void add_address(Node& node, const base::IpAddress& address) {
  if (address.v6) {
    std::array<uint8_t, 16> bytes{};
    std::copy(address.bytes.begin(), address.bytes.end(), bytes.begin());
    if (std::find(node.aaaa.begin(), node.aaaa.end(), bytes) == node.aaaa.end()) {
      node.aaaa.push_back(bytes);
    }
    return;
  }
  std::array<uint8_t, 4> bytes{};
  std::copy(address.bytes.begin(), address.bytes.begin() + 4, bytes.begin());
  if (std::find(node.a.begin(), node.a.end(), bytes) == node.a.end()) node.a.push_back(bytes);
}

// IP literals into a node; anything unparsable is skipped.
Node parse_addresses(const std::vector<std::string>& texts) {
  Node node;
  for (const auto& text : texts) {
    if (const auto address = base::parse_ip(text)) add_address(node, *address);
  }
  return node;
}

bool has_addresses(const Node& node) {
  return !node.a.empty() || !node.aaaa.empty();
}

// A name collected for a zone, before VIPs are known.
struct Entry {
  Name name;
  Node own;  // its own addresses
};

// One zone under construction.
struct ZoneBuild {
  const config::DnsZone* config = nullptr;
  ZoneData data;
  std::map<std::string, Entry> entries;  // by Name::key(); wildcards included
  std::unordered_map<std::string, Node> wildcards;
};

ZoneData make_zone_data(const config::Dns& dns, const config::DnsZone& zone, const Name& origin,
                        uint64_t version) {
  ZoneData data;
  data.origin = origin;
  data.ns_name = origin.child("ns").value_or(origin);
  data.ns_node = parse_addresses(zone.addresses);
  data.ttl = whole_seconds(dns.ttl);
  data.negative_ttl = whole_seconds(dns.negative_ttl);
  data.soa.mname = data.ns_name;
  data.soa.rname = origin.child("hostmaster").value_or(origin);
  data.soa.serial = static_cast<uint32_t>(version);
  data.soa.refresh = kSoaRefresh;
  data.soa.retry = kSoaRetry;
  data.soa.expire = kSoaExpire;
  data.soa.minimum = data.negative_ttl;
  return data;
}

// Zones from config, the most specific (most labels) first.
std::vector<ZoneBuild> make_zones(const config::Dns& dns, uint64_t version) {
  std::vector<ZoneBuild> zones;
  for (const auto& zone : dns.zones) {
    const auto origin = Name::parse(zone.name);
    if (!origin) continue;
    ZoneBuild build;
    build.config = &zone;
    build.data = make_zone_data(dns, zone, *origin, version);
    zones.push_back(std::move(build));
  }
  std::stable_sort(zones.begin(), zones.end(), [](const ZoneBuild& a, const ZoneBuild& b) {
    return a.data.origin.label_count() > b.data.origin.label_count();
  });
  return zones;
}

// The zone that holds `name`: the most specific one it is under, if the name
// is strictly below that zone's apex and is not its name server.
ZoneBuild* owner_of(const Name& name, std::vector<ZoneBuild>& zones) {
  for (auto& zone : zones) {
    if (!name.is_at_or_below(zone.data.origin)) continue;
    if (name == zone.data.origin || name == zone.data.ns_name) return nullptr;
    return &zone;
  }
  return nullptr;
}

void collect_aliases(const discovery::Snapshot& snapshot, std::vector<ZoneBuild>& zones) {
  for (const auto& alias : snapshot.aliases()) {
    const auto name = Name::parse(alias.host);
    if (!name) continue;
    ZoneBuild* zone = owner_of(*name, zones);
    if (!zone) continue;
    zone->entries.insert_or_assign(name->key(), Entry{*name, parse_addresses(alias.addresses)});
  }
}

// <name>.<namespace>.<zone>; an alias of the same name keeps its addresses.
void collect_services(const discovery::Snapshot& snapshot, std::vector<ZoneBuild>& zones) {
  for (auto& zone : zones) {
    if (!zone.config->services) continue;
    const std::string suffix = "." + zone.data.origin.plain();
    for (const auto& service : snapshot.services()) {
      if (!service.host.empty()) continue;  // a ServiceEntry's host has no .global name
      const auto name = Name::parse(service.name + "." + service.ns + suffix);
      if (!name || owner_of(*name, zones) != &zone) continue;
      zone.entries.try_emplace(name->key(), Entry{*name, Node{}});
    }
  }
}

// VIPs for every address-less name of every `vip` zone, in one allocation.
std::map<std::string, Vips> allocate_vips(const discovery::Snapshot& snapshot,
                                          const std::vector<ZoneBuild>& zones,
                                          const VipAllocator& allocator) {
  std::vector<std::string> names;
  for (const auto& zone : zones) {
    if (zone.config->answer != config::DnsAnswer::kVip) continue;
    for (const auto& [key, entry] : zone.entries) {
      if (!has_addresses(entry.own)) names.push_back(entry.name.plain());
    }
  }
  std::vector<base::IpAddress> reserved;
  for (const auto& alias : snapshot.aliases()) {
    for (const auto& text : alias.addresses) {
      if (const auto address = base::parse_ip(text)) reserved.push_back(*address);
    }
  }
  return allocator.allocate(names, reserved);
}

Node answer_for(const ZoneBuild& zone, const Entry& entry,
                const std::map<std::string, Vips>& vips) {
  if (zone.config->answer == config::DnsAnswer::kGateway) return zone.data.ns_node;
  if (has_addresses(entry.own)) return entry.own;
  Node node;
  const auto found = vips.find(entry.name.plain());
  if (found == vips.end()) return node;
  if (found->second.v4) add_address(node, *found->second.v4);
  if (found->second.v6) add_address(node, *found->second.v6);
  return node;
}

// `from` and each of its ancestors strictly below the apex, as empty
// non-terminals where no node exists yet.
void add_empty_ancestors(Name from, const Name& origin, NodeMap& nodes) {
  const std::size_t apex_labels = origin.label_count();
  while (from.label_count() > apex_labels) {
    nodes.try_emplace(from.key());
    from = from.parent();
  }
}

void finish_zone(ZoneBuild& zone, const std::map<std::string, Vips>& vips) {
  auto& nodes = zone.data.nodes;
  for (const auto& [key, entry] : zone.entries) {
    Node node = answer_for(zone, entry, vips);
    if (entry.name.first_label() == "*") {
      zone.wildcards.insert_or_assign(entry.name.parent().key(), std::move(node));
    } else {
      nodes.insert_or_assign(key, std::move(node));
    }
  }
  for (const auto& [key, entry] : zone.entries) {
    add_empty_ancestors(entry.name.parent(), zone.data.origin, nodes);
  }
  nodes.insert_or_assign(zone.data.ns_name.key(), zone.data.ns_node);
  nodes.try_emplace(zone.data.origin.key());
}

}  // namespace

bool ZoneIndex::built_from(const discovery::Snapshot& snapshot) const {
  if (aliases_ != snapshot.shared_aliases()) return false;
  if (!lists_services_) return true;
  // collect_services() reads a service's name, namespace and whether it has a host.
  const auto same_name = [](const discovery::ServicePtr& a, const discovery::ServicePtr& b) {
    return a == b || (a->ns == b->ns && a->name == b->name && a->host.empty() == b->host.empty());
  };
  const auto& now = snapshot.services().pointers();
  return std::equal(services_.begin(), services_.end(), now.begin(), now.end(), same_name);
}

ZoneIndexPtr ZoneIndex::build(const config::Dns& dns, const discovery::Snapshot& snapshot,
                              const VipAllocator& allocator, const ZoneIndexPtr& previous) {
  if (previous && previous->built_from(snapshot)) return previous;
  std::vector<ZoneBuild> zones = make_zones(dns, snapshot.version());
  collect_aliases(snapshot, zones);
  collect_services(snapshot, zones);
  const auto vips = allocate_vips(snapshot, zones, allocator);

  auto index = std::make_shared<ZoneIndex>();
  index->version_ = snapshot.version();
  index->aliases_ = snapshot.shared_aliases();
  index->lists_services_ = std::any_of(dns.zones.begin(), dns.zones.end(),
                                       [](const config::DnsZone& zone) { return zone.services; });
  if (index->lists_services_) index->services_ = snapshot.services().pointers();
  for (auto& zone : zones) {
    finish_zone(zone, vips);
    index->zones_.push_back(std::move(zone.data));
    index->wildcards_.push_back(std::move(zone.wildcards));
  }
  return index;
}

Lookup ZoneIndex::find(const Name& qname) const {
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const ZoneData& zone = zones_[i];
    if (!qname.is_at_or_below(zone.origin)) continue;
    Lookup lookup;
    lookup.zone = &zone;
    std::array<char, kMaxNameBytes> key;  // the query's key, without an allocation
    if (const auto exact = zone.nodes.find(qname.key_into(key)); exact != zone.nodes.end()) {
      lookup.kind = LookupKind::kFound;
      lookup.node = &exact->second;
      lookup.apex = qname == zone.origin;
      return lookup;
    }
    // RFC 4592: only the wildcard child of the closest encloser answers. A
    // wildcard's own name exists too: a.*.foo.global is not below any
    // wildcard, its closest encloser is *.foo.global.
    const auto& wildcards = wildcards_[i];
    const auto exists = [&](const Name& name) {
      return zone.nodes.contains(name.key()) ||
             (name.first_label() == "*" && wildcards.contains(name.parent().key()));
    };
    Name encloser = qname.parent();
    while (encloser.label_count() > zone.origin.label_count() && !exists(encloser)) {
      encloser = encloser.parent();
    }
    const auto wildcard = wildcards.find(encloser.key());
    if (wildcard == wildcards.end()) {
      lookup.kind = LookupKind::kNxDomain;
      return lookup;
    }
    lookup.kind = LookupKind::kFound;
    lookup.node = &wildcard->second;
    lookup.wildcard = true;
    return lookup;
  }
  return Lookup{};
}

std::size_t ZoneIndex::host_count() const {
  std::size_t count = 0;
  for (const auto& zone : zones_) {
    const std::string ns_key = zone.ns_name.key();
    for (const auto& [key, node] : zone.nodes) {
      if (has_addresses(node) && key != ns_key) ++count;
    }
  }
  return count;
}

std::vector<HostEntry> ZoneIndex::host_entries() const {
  std::vector<HostEntry> entries;
  for (const auto& zone : zones_) {
    const std::string ns_key = zone.ns_name.key();
    for (const auto& [key, node] : zone.nodes) {
      if (!has_addresses(node) || key == ns_key) continue;
      const auto name = Name::from_wire(key);
      if (!name) continue;
      HostEntry entry{name->plain(), {}};
      for (const auto& a : node.a) {
        base::IpAddress address;
        std::copy(a.begin(), a.end(), address.bytes.begin());
        entry.addresses.push_back(base::to_string(address));
      }
      for (const auto& aaaa : node.aaaa) {
        entry.addresses.push_back(base::to_string(base::IpAddress{true, aaaa}));
      }
      entries.push_back(std::move(entry));
    }
  }
  std::sort(entries.begin(), entries.end(),
            [](const HostEntry& x, const HostEntry& y) { return x.name < y.name; });
  return entries;
}

}  // namespace meshgate::dns
