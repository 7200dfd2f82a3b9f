// A route table built with the one before it (borrowing routes, patching
// the host index) must route every name exactly as a table built from
// scratch: random snapshots that share, change, add and drop services,
// with hostnames, aliases and host clashes, checked name by name.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "gateway/routing/route_table.h"

namespace meshgate::gateway {
namespace {

using discovery::Service;
using discovery::ServicePtr;

class Mesh {
 public:
  explicit Mesh(uint32_t seed) : random_(seed) {
    for (int i = 0; i < 12; ++i)
      services_.push_back(make(i));
    aliases_ = make_aliases();
  }

  // One step: change a service, drop or re-add one, or change the aliases.
  discovery::Snapshot next(uint64_t version) {
    const int what = pick(10);
    const int i = pick(static_cast<int>(services_.size()));
    if (what < 5) {
      services_[i] = make(i);
    } else if (what < 7) {
      services_[i] = services_[i] ? nullptr : make(i);
    } else if (what < 8) {
      aliases_ = make_aliases();
    }
    std::vector<ServicePtr> present;
    for (const ServicePtr& service : services_) {
      if (service) present.push_back(service);
    }
    discovery::sort_by_key(present);
    return discovery::Snapshot(version, discovery::SharedParts{present, aliases_});
  }

  // Every name a lookup might use.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (int i = 0; i < 12; ++i) {
      out.push_back("s" + std::to_string(i) + ".ns.svc.cluster.local");
      out.push_back("extra" + std::to_string(i) + ".example");
      out.push_back("extra" + std::to_string(i + 12) + ".example");
      out.push_back("s" + std::to_string(i) + ".ns.global");
      out.push_back("alias" + std::to_string(i) + ".global");
    }
    return out;
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }

  ServicePtr make(int i) {
    Service s;
    s.name = "s" + std::to_string(i);
    s.ns = "ns";
    s.ports = {{"tls", static_cast<uint16_t>(8000 + pick(2)), 0}};
    // Hostnames sometimes clash with another service's host or hostname.
    if (pick(3) == 0) s.hostnames.push_back("extra" + std::to_string(pick(24)) + ".example");
    if (pick(40) == 0)
      s.hostnames.push_back("s" + std::to_string(pick(12)) + ".ns.svc.cluster.local");
    discovery::Endpoint ep;
    ep.address = "10.0." + std::to_string(i) + "." + std::to_string(1 + pick(200));
    ep.mtls_capable = true;
    s.endpoints = {ep};
    return std::make_shared<const Service>(std::move(s));
  }

  discovery::AliasesPtr make_aliases() {
    std::vector<discovery::HostAlias> aliases;
    for (int a = 0; a < 6; ++a) {
      const int target = pick(12);
      std::string host = pick(16) == 0 ? "s" + std::to_string(pick(12)) + ".ns.svc.cluster.local"
                                       : "alias" + std::to_string(pick(12)) + ".global";
      aliases.push_back({host, {}, "s" + std::to_string(target), "ns"});
    }
    discovery::sort_by_host(aliases);
    aliases.erase(std::unique(aliases.begin(), aliases.end(),
                              [](const auto& a, const auto& b) { return a.host == b.host; }),
                  aliases.end());
    return std::make_shared<const std::vector<discovery::HostAlias>>(std::move(aliases));
  }

  std::mt19937 random_;
  std::vector<ServicePtr> services_;  // by index; null: not in the snapshot
  discovery::AliasesPtr aliases_;
};

std::string routed(const RouteTable& table, const std::string& host, uint16_t port) {
  sni::IstioName name;
  name.outbound = true;
  name.port = port;
  name.host = host;
  const RouteLookup found = table.find(name);
  if (found.cluster == nullptr) return "miss";
  std::string out = found.cluster->name;
  for (const UpstreamEndpoint& ep : found.cluster->endpoints)
    out += " " + ep.address.address().to_string();
  return out;
}

TEST(RouteTablePatch, AHostnameAServiceDropsStopsRouting) {
  const RouteOptions options{"network1", "cluster.local", true, {}};
  Service a;
  a.name = "a";
  a.ns = "ns";
  a.ports = {{"tls", 8000, 0}};
  a.hostnames = {"x.example"};
  discovery::Endpoint ep;
  ep.address = "10.0.0.1";
  ep.mtls_capable = true;
  a.endpoints = {ep};
  const auto aliases = std::make_shared<const std::vector<discovery::HostAlias>>(
      std::vector<discovery::HostAlias>{{"a.global", {}, "a", "ns"}});
  const discovery::Snapshot first(1, {{std::make_shared<const Service>(a)}, aliases});
  const RouteTablePtr before = RouteTable::build(first, options);
  ASSERT_NE(routed(*before, "x.example", 8000), "miss");
  a.hostnames.clear();
  const discovery::Snapshot second(2, {{std::make_shared<const Service>(a)}, aliases});
  const RouteTablePtr after = RouteTable::build(second, options, before.get());
  EXPECT_TRUE(after->index_patched());
  EXPECT_EQ(routed(*after, "x.example", 8000), "miss");
  EXPECT_EQ(routed(*after, "a.global", 8000), "outbound|8000||a.ns.svc.cluster.local 10.0.0.1");
  EXPECT_EQ(routed(*after, "a.ns.svc.cluster.local", 8000),
            "outbound|8000||a.ns.svc.cluster.local 10.0.0.1");
}

TEST(RouteTablePatch, RoutesEveryNameAsATableBuiltFromScratch) {
  const RouteOptions options{"network1", "cluster.local", true, {}};
  std::size_t patched = 0;
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    Mesh mesh(seed);
    RouteTablePtr kept;
    for (uint64_t version = 1; version <= 80; ++version) {
      const discovery::Snapshot snapshot = mesh.next(version);
      // Held through the checks: a stale entry would route to its old
      // routes (a visible difference), not to freed memory.
      const RouteTablePtr previous = kept;
      kept = RouteTable::build(snapshot, options, previous.get());
      const RouteTablePtr fresh = RouteTable::build(snapshot, options);
      patched += kept->index_patched() ? 1 : 0;
      for (const std::string& host : mesh.names()) {
        for (uint16_t port : {8000, 8001}) {
          ASSERT_EQ(routed(*kept, host, port), routed(*fresh, host, port))
              << "seed " << seed << ", version " << version << ", " << host << ":" << port;
        }
      }
      ASSERT_EQ(kept->cluster_count(), fresh->cluster_count());
    }
  }
  EXPECT_GT(patched, 600u) << "most tables should patch the index they borrow";
}

}  // namespace
}  // namespace meshgate::gateway
