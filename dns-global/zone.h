// The authoritative data of every configured zone, built once from a
// registry snapshot and never changed: the DNS servers only look names up.
//
// What a zone holds:
//  - each registry host alias under the zone, with its addresses, or its VIP
//    when it carries none (answer mode `vip`);
//  - with `services: true`, <name>.<namespace>.<zone> for every service;
//  - in answer mode `gateway`, every name answers the zone's `addresses`;
//  - at the apex: SOA and NS (the name server is ns.<zone>, whose A/AAAA
//    are the zone's `addresses`);
//  - every ancestor of a name, up to the apex, as an empty non-terminal
//    (NODATA, not NXDOMAIN: RFC 8020).
// Wildcards follow RFC 4592: "*.foo.global" answers for any name below
// foo.global whose closest existing ancestor is foo.global; foo.global itself
// is an empty non-terminal.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "discovery/snapshot.h"
#include "dns-global/message.h"
#include "dns-global/vip_allocator.h"

namespace meshgate::dns {

// The addresses one name answers. Both empty: the name exists with no
// addresses (an empty non-terminal, or the apex without addresses).
struct Node {
  std::vector<std::array<uint8_t, 4>> a;
  std::vector<std::array<uint8_t, 16>> aaaa;
  bool operator==(const Node&) const = default;
};

// Lets a node map be searched by a std::string_view key without making a
// std::string of it.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};
using NodeMap = std::unordered_map<std::string, Node, KeyHash, std::equal_to<>>;

struct ZoneData {
  Name origin;   // e.g. "global."
  Name ns_name;  // ns.<origin>
  SoaData soa;   // serial: the version of the snapshot it was built from (low 32 bits)
  Node ns_node;  // the name server's addresses (the zone's `addresses`)
  uint32_t ttl = 30;
  uint32_t negative_ttl = 30;
  NodeMap nodes;  // by Name::key(); includes the apex
};

enum class LookupKind {
  kOutside,   // under no zone: forward, or REFUSED
  kFound,     // the name exists; `node` may lack the asked type (NODATA)
  kNxDomain,  // under a zone, no such name
};

struct Lookup {
  LookupKind kind = LookupKind::kOutside;
  const ZoneData* zone = nullptr;  // set unless kOutside
  const Node* node = nullptr;      // set when kFound
  bool apex = false;               // the name is the zone's origin
  bool wildcard = false;           // answered by a wildcard
};

// One exact name and its addresses, for `meshgate dns-hosts`.
struct HostEntry {
  std::string name;  // presentation, no trailing dot
  std::vector<std::string> addresses;
};

class ZoneIndex;
using ZoneIndexPtr = std::shared_ptr<const ZoneIndex>;

class ZoneIndex {
 public:
  // Zones are tried longest origin first, so a zone nested in another wins.
  // `previous`, when given, was built with the same `dns` and `allocator`; it
  // is returned as it is (its serial too) when nothing it was built from
  // changed: the same aliases object and, if a zone lists services, the same
  // service names. A change that touches no name costs no rebuild.
  static ZoneIndexPtr build(const config::Dns& dns, const discovery::Snapshot& snapshot,
                            const VipAllocator& allocator, const ZoneIndexPtr& previous = nullptr);

  Lookup find(const Name& qname) const;
  uint64_t version() const { return version_; }  // the snapshot's
  const std::vector<ZoneData>& zones() const { return zones_; }
  // Every name with at least one address, wildcards and the ns name
  // excluded, sorted by name.
  std::vector<HostEntry> host_entries() const;
  // How many entries host_entries() would list, without building them.
  std::size_t host_count() const;

 private:
  // True when `snapshot` gives the zones this index was built from.
  bool built_from(const discovery::Snapshot& snapshot) const;

  uint64_t version_ = 0;
  // What the zones were built from: the aliases, and the services when a
  // zone lists them (empty otherwise).
  discovery::AliasesPtr aliases_;
  bool lists_services_ = false;
  std::vector<discovery::ServicePtr> services_;
  std::vector<ZoneData> zones_;  // longest origin first
  // wildcard hosts by the key of their parent ("foo.global" for *.foo.global)
  std::vector<std::unordered_map<std::string, Node>> wildcards_;  // parallel to zones_
};

}  // namespace meshgate::dns
