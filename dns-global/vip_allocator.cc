// Deterministic VIP allocation: probe rounds over FNV-1a slots.
#include "dns-global/vip_allocator.h"

#include <algorithm>
#include <cstdint>
#include <unordered_set>

namespace meshgate::dns {

namespace {

__extension__ typedef unsigned __int128 Uint128;

constexpr uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr uint64_t kFnvPrime = 1099511628211ULL;
constexpr unsigned kMaxRounds = 64;
// Folded into the second hash of an IPv6 probe so its bits differ from the first.
constexpr uint8_t kSecondHashFlag = 0x80;

uint64_t fnv_step(uint64_t hash, uint8_t byte) {
  return (hash ^ byte) * kFnvPrime;
}

uint64_t fnv(std::string_view bytes) {
  uint64_t hash = kFnvOffset;
  for (const char c : bytes)
    hash = fnv_step(hash, static_cast<uint8_t>(c));
  return hash;
}

struct Uint128Hash {
  std::size_t operator()(Uint128 value) const {
    const auto low = static_cast<uint64_t>(value);
    const auto high = static_cast<uint64_t>(value >> 64);
    return std::hash<uint64_t>()(low ^ (high * kFnvPrime));
  }
};

// One family's range as numbers: slot s is address first + 1 + s.
struct Range {
  bool v6 = false;
  Uint128 first = 0;   // the range's base address
  Uint128 usable = 0;  // slot count
};

Uint128 to_number(const base::IpAddress& address) {
  const std::size_t length = address.v6 ? 16 : 4;
  Uint128 value = 0;
  for (std::size_t i = 0; i < length; ++i)
    value = (value << 8) | address.bytes[i];
  return value;
}

base::IpAddress to_address(Uint128 value, bool v6) {
  base::IpAddress address;
  address.v6 = v6;
  const std::size_t length = v6 ? 16 : 4;
  for (std::size_t i = length; i-- > 0;) {
    address.bytes[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
  return address;
}

Range range_of(const base::Cidr& cidr) {
  Range range;
  range.v6 = cidr.base.v6;
  range.first = to_number(cidr.base);
  const unsigned host_bits = (cidr.base.v6 ? 128u : 32u) - cidr.prefix;
  if (cidr.base.v6) {
    // 2^host_bits - 1 slots (all but the first address); 2^128 - 1 for ::/0.
    if (host_bits == 128) {
      range.usable = ~Uint128{0};
    } else {
      range.usable = (Uint128{1} << host_bits) - 1;
    }
  } else if (host_bits >= 2) {
    range.usable = (Uint128{1} << host_bits) - 2;  // without network and broadcast
  }
  return range;
}

// The address as the family of `range` sees it: IPv4-mapped IPv6 counts as IPv4.
std::optional<Uint128> in_family(const base::IpAddress& address, const Range& range) {
  if (address.v6 == range.v6) return to_number(address);
  if (range.v6) return std::nullopt;
  const bool mapped = std::all_of(address.bytes.begin(), address.bytes.begin() + 10,
                                  [](uint8_t b) { return b == 0; }) &&
                      address.bytes[10] == 0xff && address.bytes[11] == 0xff;
  if (!mapped) return std::nullopt;
  base::IpAddress v4;
  std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
  return to_number(v4);
}

Uint128 probe_slot(uint64_t name_hash, unsigned round, const Range& range) {
  const auto k = static_cast<uint8_t>(round);
  if (!range.v6) return fnv_step(name_hash, k) % range.usable;
  const Uint128 high = fnv_step(name_hash, k);
  const Uint128 low = fnv_step(name_hash, static_cast<uint8_t>(k | kSecondHashFlag));
  return ((high << 64) | low) % range.usable;
}

// The taken slots: a bitmap for ranges up to kMaxBitmapSlots, else a hash set.
class SlotSet {
 public:
  SlotSet(Uint128 usable, std::size_t expected) : bitmap_(usable <= kMaxBitmapSlots) {
    if (bitmap_) {
      bits_.resize(static_cast<std::size_t>(usable));
    } else {
      set_.reserve(expected);
    }
  }

  // True if the slot was free and is now taken.
  bool insert(Uint128 slot) {
    if (bitmap_) {
      auto bit = bits_[static_cast<std::size_t>(slot)];
      if (bit) return false;
      bit = true;
    } else if (!set_.insert(slot).second) {
      return false;
    }
    ++size_;
    return true;
  }

  Uint128 size() const { return size_; }

 private:
  static constexpr Uint128 kMaxBitmapSlots = Uint128{1} << 26;  // 8 MiB of bits at most

  bool bitmap_;
  std::vector<bool> bits_;
  std::unordered_set<Uint128, Uint128Hash> set_;
  Uint128 size_ = 0;
};

SlotSet reserved_slots(const Range& range, const std::vector<base::IpAddress>& reserved,
                       std::size_t names) {
  SlotSet taken(range.usable, names + reserved.size());
  for (const auto& address : reserved) {
    const auto number = in_family(address, range);
    if (!number || *number <= range.first) continue;
    const Uint128 slot = *number - range.first - 1;
    if (slot < range.usable) taken.insert(slot);
  }
  return taken;
}

// Runs the rounds for one family; `names` sorted and unique. Returns the
// slot each name won, by index into `names`, or nothing.
std::vector<std::optional<Uint128>> run_rounds(const std::vector<std::string>& names,
                                               const Range& range,
                                               const std::vector<base::IpAddress>& reserved) {
  std::vector<std::optional<Uint128>> won(names.size());
  SlotSet taken = reserved_slots(range, reserved, names.size());
  std::vector<uint64_t> hashes(names.size());
  std::vector<std::size_t> pending(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    hashes[i] = fnv(names[i]);
    pending[i] = i;
  }
  // Within a round names ask in byte order, so the first to ask, the
  // smallest, wins a contested slot; a refused name tries again next round.
  for (unsigned round = 0; round < kMaxRounds && !pending.empty(); ++round) {
    std::vector<std::size_t> losers;
    for (const std::size_t i : pending) {
      if (taken.size() >= range.usable) return won;  // the range is full
      const Uint128 slot = probe_slot(hashes[i], round, range);
      if (taken.insert(slot)) {
        won[i] = slot;
      } else {
        losers.push_back(i);
      }
    }
    pending.swap(losers);
  }
  return won;
}

}  // namespace

VipAllocator::VipAllocator(const std::vector<base::Cidr>& ranges) {
  for (const auto& cidr : ranges) {
    auto& slot = cidr.base.v6 ? v6_ : v4_;
    if (!slot) slot = cidr;
  }
}

std::map<std::string, Vips> VipAllocator::allocate(
    const std::vector<std::string>& names, const std::vector<base::IpAddress>& reserved) const {
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());

  std::vector<Vips> vips(sorted.size());
  for (const auto* cidr : {&v4_, &v6_}) {
    if (!*cidr) continue;
    const Range range = range_of(**cidr);
    if (range.usable == 0) continue;
    const auto won = run_rounds(sorted, range, reserved);
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      if (!won[i]) continue;
      (range.v6 ? vips[i].v6 : vips[i].v4) = to_address(range.first + 1 + *won[i], range.v6);
    }
  }

  std::map<std::string, Vips> result;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    result.emplace_hint(result.end(), std::move(sorted[i]), vips[i]);
  }
  return result;
}

}  // namespace meshgate::dns
