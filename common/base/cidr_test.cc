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

TEST(ClientAddressTest, BelievesForwardedForOnlyFromTrustedProxies) {
  const std::vector<Cidr> proxies = {*ParseCidr("127.0.0.1/32"), *ParseCidr("10.9.0.0/24")};
  // Straight from a browser: its own address, whatever header it sends.
  EXPECT_EQ(ClientAddress("203.0.113.7", "198.51.100.1", proxies), "203.0.113.7");
  // Without trusted proxies nothing is believed.
  EXPECT_EQ(ClientAddress("127.0.0.1", "198.51.100.1", {}), "127.0.0.1");
  // Through the local proxy: the address the proxy appended.
  EXPECT_EQ(ClientAddress("127.0.0.1", "198.51.100.1", proxies), "198.51.100.1");
  // A client that sends its own header cannot choose: the proxy appends what it saw.
  EXPECT_EQ(ClientAddress("127.0.0.1", "1.1.1.1, 2.2.2.2,198.51.100.1", proxies), "198.51.100.1");
  // Through two trusted proxies: the first untrusted entry from the right.
  EXPECT_EQ(ClientAddress("127.0.0.1", "1.1.1.1, 198.51.100.1, 10.9.0.4", proxies), "198.51.100.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", " 2001:db8::5 ", proxies), "2001:db8::5");
  // A proxy with no header, an empty header, or only proxies in it: the last trusted hop.
  EXPECT_EQ(ClientAddress("127.0.0.1", "", proxies), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", " , ", proxies), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", "10.9.0.5", proxies), "10.9.0.5");
  // Reading stops at what is not an address: the hop that wrote it is the client.
  EXPECT_EQ(ClientAddress("127.0.0.1", "198.51.100.1, unknown, 10.9.0.4", proxies), "10.9.0.4");
  EXPECT_EQ(ClientAddress("127.0.0.1", "198.51.100.1:5555", proxies), "127.0.0.1");
  EXPECT_EQ(ClientAddress("127.0.0.1", "<script>", proxies), "127.0.0.1");
}

}  // namespace
}  // namespace csops
