// IP literals with and without a port, as configs write them.
#include "base/ip.h"

#include <gtest/gtest.h>

namespace meshgate::base {
namespace {

TEST(IpPort, ReadsAddressWithAndWithoutPort) {
  EXPECT_EQ(parse_ip_port("10.0.0.10", 53)->port, 53);
  EXPECT_EQ(parse_ip_port("10.0.0.10:5353", 53)->port, 5353);
  EXPECT_EQ(parse_ip_port("fd00::10", 53)->port, 53);
  EXPECT_TRUE(parse_ip_port("fd00::10", 53)->address.v6);
  EXPECT_EQ(parse_ip_port("[fd00::10]:5353", 53)->port, 5353);
  EXPECT_EQ(parse_ip_port("[fd00::10]", 53)->port, 53);
  for (const char* bad :
       {"", "dns.google", "10.0.0.10:", "10.0.0.10:0", "10.0.0.10:65536", "[10.0.0.10]:53",
        "[10.0.0.10]", "[fd00::10]53", "[fd00::10]:", "10.0.0.10:5x"}) {
    EXPECT_FALSE(parse_ip_port(bad, 53)) << bad;
  }
}

TEST(Port, DecimalOneTo65535AndNothingElse) {
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("15443"), 15443);
  EXPECT_EQ(parse_port("65535"), 65535);
  for (const char* bad : {"", "0", "65536", "-1", "+1", "80 ", " 80", "8o", "99999999999"}) {
    EXPECT_FALSE(parse_port(bad)) << bad;
  }
}

}  // namespace
}  // namespace meshgate::base
