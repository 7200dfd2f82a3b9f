// Virtual IPs for names that carry no address, as Istio's auto-allocation
// hands them out, but a pure function of the set of names: every replica,
// and every restart, computes the same VIPs from the same names whatever
// order they arrived in.
//
// Each name has a probe sequence of slots in the range, from FNV-1a (64-bit)
// over its lower-case name and the probe number. Allocation runs in rounds:
// in round k every name still without a VIP asks for its k-th slot; a slot
// taken in an earlier round or reserved is refused; when several names ask
// for one free slot the smallest name (byte order) gets it and the others go
// on to round k+1. A name that wins its first slot therefore keeps its VIP
// while other names come and go, unless a new name that sorts before it
// wants the same slot; only names that collide ever move.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/cidr.h"

namespace meshgate::dns {

struct Vips {
  std::optional<base::IpAddress> v4;
  std::optional<base::IpAddress> v6;
  bool operator==(const Vips&) const = default;
};

class VipAllocator {
 public:
  // At most one IPv4 and one IPv6 range (config checks this). Usable slots:
  // every address of the range except the first, and for IPv4 the last
  // (network and broadcast). A family without a range gets no VIPs.
  explicit VipAllocator(const std::vector<base::Cidr>& ranges);

  // VIPs for every name in `names` (lower-case presentation form, e.g.
  // "httpbin.bar.global" or "*.foo.global"; duplicates are ignored).
  // Addresses in `reserved` (addresses other names carry) are never handed
  // out. A name gets no VIP in a family whose range is full.
  std::map<std::string, Vips> allocate(const std::vector<std::string>& names,
                                       const std::vector<base::IpAddress>& reserved) const;

 private:
  std::optional<base::Cidr> v4_;
  std::optional<base::Cidr> v6_;
};

}  // namespace meshgate::dns
