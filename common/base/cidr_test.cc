#include "common/base/cidr.h"

#include <gtest/gtest.h>

namespace csops {
namespace {

TEST(CidrTest, ParsesAndMatchesIpv4Ipv6AndMappedAddresses) {
  auto office = ParseCidr("10.20.0.0/16");
  auto loop6 = ParseCidr("::1/128");
  ASSERT_TRUE(office.ok() && loop6.ok());
  const std::vector<Cidr> nets = {*office, *loop6};
  EXPECT_TRUE(InAnyNetwork("10.20.3.4", nets));
  EXPECT_TRUE(InAnyNetwork("::ffff:10.20.255.1", nets));  // IPv4 seen by an IPv6 socket
  EXPECT_FALSE(InAnyNetwork("10.21.0.1", nets));
  EXPECT_TRUE(InAnyNetwork("::1", nets));
  EXPECT_FALSE(InAnyNetwork("::2", nets));
  EXPECT_FALSE(InAnyNetwork("not-an-ip", nets));
  auto odd = ParseCidr("192.168.1.128/25");
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(InAnyNetwork("192.168.1.200", {*odd}));
  EXPECT_FALSE(InAnyNetwork("192.168.1.127", {*odd}));
  EXPECT_TRUE(InAnyNetwork("8.8.8.8", {*ParseCidr("0.0.0.0/0")}));
  EXPECT_FALSE(ParseCidr("10.0.0.0").ok());
  EXPECT_FALSE(ParseCidr("10.0.0.0/33").ok());
  EXPECT_FALSE(ParseCidr("10.0.0/8").ok());
  EXPECT_NE(ParseCidr("::/129").status().message().find("0-128"), std::string::npos);
}

}  // namespace
}  // namespace csops
