// When a reload keeps a listener's socket instead of binding it again.
#include <gtest/gtest.h>

#include "gateway/gateway.h"

namespace meshgate::gateway {
namespace {

asio::ip::tcp::endpoint at(const char* address, uint16_t port) {
  return {asio::ip::make_address(address), port};
}

TEST(AlreadyBound, SameAddressAndSamePortOrAnyPort) {
  EXPECT_TRUE(already_bound({"127.0.0.1", 15443}, at("127.0.0.1", 15443)));
  EXPECT_TRUE(already_bound({"127.0.0.1", 0}, at("127.0.0.1", 40000)));  // port 0: any
  EXPECT_TRUE(already_bound({"::1", 0}, at("::1", 40000)));
}

TEST(AlreadyBound, AnotherAddressOrPortIsARebind) {
  EXPECT_FALSE(already_bound({"127.0.0.1", 15444}, at("127.0.0.1", 15443)));
  EXPECT_FALSE(already_bound({"127.0.0.2", 15443}, at("127.0.0.1", 15443)));
  EXPECT_FALSE(already_bound({"0.0.0.0", 15443}, at("127.0.0.1", 15443)));
  EXPECT_FALSE(already_bound({"not an address", 0}, at("127.0.0.1", 15443)));
}

}  // namespace
}  // namespace meshgate::gateway
