#include "base/connection_table.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace meshgate::base {
namespace {

using Eviction = ConnectionTable::Eviction;

PrefixKey client(uint8_t last) {
  return prefix_key(std::array<uint8_t, 4>{127, 0, 0, last}, 32, 64);
}

TEST(ConnectionTable, RoomIsFreeUnderTheLimits) {
  ConnectionTable table(3, 2);
  for (uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(table.make_room(client(static_cast<uint8_t>(id))).evict, 0u);
    table.add(id, client(static_cast<uint8_t>(id)));
  }
  EXPECT_EQ(table.size(), 3u);
}

TEST(ConnectionTable, WhenFullTheLeastRecentlyActiveGoes) {
  ConnectionTable table(3, 0);
  table.add(1, client(1));
  table.add(2, client(2));
  table.add(3, client(3));
  table.touch(1);  // 1 finished a request: now the most recent
  const ConnectionTable::Room room = table.make_room(client(4));
  EXPECT_EQ(room.evict, 2u);
  EXPECT_EQ(room.why, Eviction::kFull);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_FALSE(table.remove(2));  // already out: its own close finds nothing
  table.add(4, client(4));
  EXPECT_EQ(table.ids(), (std::vector<uint64_t>{3, 1, 4}));
}

TEST(ConnectionTable, AClientAtItsCapGivesUpItsOwnStalest) {
  ConnectionTable table(10, 2);
  table.add(1, client(9));  // the stalest of all, another client's
  table.add(2, client(7));
  table.add(3, client(7));
  const ConnectionTable::Room room = table.make_room(client(7));
  EXPECT_EQ(room.evict, 2u);
  EXPECT_EQ(room.why, Eviction::kClientCap);
  EXPECT_EQ(table.count(client(7)), 1u);
  EXPECT_EQ(table.count(client(9)), 1u);
}

TEST(ConnectionTable, LoweredLimitsEvictOneAtATimeUntilThereIsRoom) {
  ConnectionTable table(4, 0);
  for (uint64_t id = 1; id <= 4; ++id)
    table.add(id, client(1));
  table.set_limits(2, 0);
  std::vector<uint64_t> evicted;
  for (auto room = table.make_room(client(1)); room.evict != 0; room = table.make_room(client(1)))
    evicted.push_back(room.evict);
  EXPECT_EQ(evicted, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(table.size(), 1u);
}

TEST(ConnectionTable, RemovedConnectionsFreeTheirClientsCount) {
  ConnectionTable table(10, 1);
  table.add(1, client(5));
  EXPECT_TRUE(table.remove(1));
  EXPECT_EQ(table.count(client(5)), 0u);
  EXPECT_EQ(table.make_room(client(5)).evict, 0u);
}

TEST(ConnectionTable, TouchOfAnUnknownIdChangesNothing) {
  ConnectionTable table(2, 0);
  table.add(1, client(1));
  table.touch(42);
  EXPECT_EQ(table.ids(), (std::vector<uint64_t>{1}));
}

}  // namespace
}  // namespace meshgate::base
