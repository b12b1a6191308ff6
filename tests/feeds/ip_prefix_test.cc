// tests/feeds/ip_prefix_test.cc — address and CIDR parsing in every textual form feeds use.
#include "feeds/ip_prefix.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

std::array<uint8_t, 16> v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

std::array<uint8_t, 16> v6(std::initializer_list<uint16_t> groups) {
  std::array<uint8_t, 16> out{};
  size_t i = 0;
  for (uint16_t g : groups) {
    out[i++] = static_cast<uint8_t>(g >> 8);
    out[i++] = static_cast<uint8_t>(g);
  }
  return out;
}

struct Good {
  const char* text;
  IocKind kind;
  std::array<uint8_t, 16> addr;
  uint8_t len;
  bool cidr;
  bool host_bits;
};

class IpPrefixGood : public testing::TestWithParam<Good> {};

TEST_P(IpPrefixGood, Parses) {
  const Good& g = GetParam();
  std::string error;
  auto p = parse_ip_prefix(g.text, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->kind, g.kind);
  EXPECT_EQ(p->addr, g.addr);
  EXPECT_EQ(p->prefix_len, g.len);
  EXPECT_EQ(p->is_cidr, g.cidr);
  EXPECT_EQ(p->host_bits_were_set, g.host_bits);
}

INSTANTIATE_TEST_SUITE_P(
    All, IpPrefixGood,
    testing::Values(
        Good{"1.2.3.4", IocKind::kIpv4, v4(1, 2, 3, 4), 32, false, false},
        Good{"0.0.0.0", IocKind::kIpv4, v4(0, 0, 0, 0), 32, false, false},
        Good{"255.255.255.255", IocKind::kIpv4, v4(255, 255, 255, 255), 32, false, false},
        Good{"10.0.0.0/8", IocKind::kIpv4, v4(10, 0, 0, 0), 8, true, false},
        Good{"1.2.3.4/32", IocKind::kIpv4, v4(1, 2, 3, 4), 32, true, false},
        Good{"0.0.0.0/0", IocKind::kIpv4, v4(0, 0, 0, 0), 0, true, false},
        // Host bits set: accepted and masked, as in many real feeds.
        Good{"192.168.1.77/24", IocKind::kIpv4, v4(192, 168, 1, 0), 24, true, true},
        Good{"1.2.3.255/25", IocKind::kIpv4, v4(1, 2, 3, 128), 25, true, true},
        Good{"2001:db8::1", IocKind::kIpv6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 128, false, false},
        Good{"2001:DB8::ABCD", IocKind::kIpv6, v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0xabcd}), 128, false, false},
        Good{"::", IocKind::kIpv6, v6({}), 128, false, false},
        Good{"::1", IocKind::kIpv6, v6({0, 0, 0, 0, 0, 0, 0, 1}), 128, false, false},
        Good{"fe80::", IocKind::kIpv6, v6({0xfe80}), 128, false, false},
        Good{"2001:0db8:0000:0000:0000:0000:0000:0001", IocKind::kIpv6,
             v6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}), 128, false, false},
        Good{"1:2:3:4:5:6:7:8", IocKind::kIpv6, v6({1, 2, 3, 4, 5, 6, 7, 8}), 128, false, false},
        Good{"::ffff:1.2.3.4", IocKind::kIpv6, v6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304}), 128, false, false},
        Good{"64:ff9b::192.0.2.33", IocKind::kIpv6, v6({0x64, 0xff9b, 0, 0, 0, 0, 0xc000, 0x0221}), 128, false, false},
        Good{"::/0", IocKind::kIpv6, v6({}), 0, true, false},
        Good{"2001:db8:ff52::/48", IocKind::kIpv6, v6({0x2001, 0xdb8, 0xff52}), 48, true, false},
        Good{"2001:db8::1/64", IocKind::kIpv6, v6({0x2001, 0xdb8}), 64, true, true},
        Good{"::ffff:1.2.3.4/120", IocKind::kIpv6, v6({0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0300}), 120, true, true}));

struct Bad {
  const char* text;
  const char* error;
};

class IpPrefixBad : public testing::TestWithParam<Bad> {};

TEST_P(IpPrefixBad, ExplainsWhy) {
  std::string error;
  EXPECT_FALSE(parse_ip_prefix(GetParam().text, error));
  EXPECT_EQ(error, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    All, IpPrefixBad,
    testing::Values(
        Bad{"300.1.2.3", "'300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
        Bad{"1.2.3", "'1.2.3' is not an IPv4 address: expected 4 dotted octets, found 3"},
        Bad{"1.2.3.4.5", "'1.2.3.4.5' is not an IPv4 address: expected 4 dotted octets, found 5"},
        Bad{"010.1.1.1", "'010.1.1.1' is not an IPv4 address: octet '010' has a leading zero (octal or decimal?)"},
        Bad{"1..2.3", "'1..2.3' is not an IPv4 address: empty octet"},
        Bad{"1.2.3.4/33", "'1.2.3.4/33' is not a CIDR: prefix length 33 is out of range for IPv4 (0..32)"},
        Bad{"::/129", "'::/129' is not a CIDR: prefix length 129 is out of range for IPv6 (0..128)"},
        Bad{"1.2.3.4/", "'1.2.3.4/' is not a CIDR: prefix length '' is not a number"},
        Bad{"1.2.3.4/-1", "'1.2.3.4/-1' is not a CIDR: prefix length '-1' is not a number"},
        Bad{"1.2.3.4/1234", "'1.2.3.4/1234' is not a CIDR: prefix length '1234' is not a number"},
        Bad{"1:2:3:4:5:6:7:8:9", "'1:2:3:4:5:6:7:8:9' is not an IPv6 address: more than 8 groups"},
        Bad{"1::2::3", "'1::2::3' is not an IPv6 address: '::' appears more than once"},
        Bad{"1:2:3", "'1:2:3' is not an IPv6 address: expected 8 groups, found 3"},
        Bad{"12345::", "'12345::' is not an IPv6 address: group '12345' has more than 4 hex digits"},
        Bad{"2001:db8::g", "'2001:db8::g' is not an IPv6 address: group 'g' is not hexadecimal"},
        Bad{"1:2:3:4:5:6:7::8", "'1:2:3:4:5:6:7::8' is not an IPv6 address: '::' stands for no group: the address already has 8"},
        Bad{":1::", "':1::' is not an IPv6 address: empty group (single ':' where '::' or a group was expected)"},
        Bad{"::ffff:1.2.3.256", "'::ffff:1.2.3.256' is not an IPv6 address: embedded IPv4 '1.2.3.256': octet 256 is above 255"},
        Bad{"fe80::1%eth0", "'fe80::1%eth0' is not an IPv6 address: zone indexes ('%') have no meaning in a feed"}));

TEST(IpPrefix, LooksLikeIp) {
  EXPECT_TRUE(looks_like_ip("1.2.3.4"));
  EXPECT_TRUE(looks_like_ip("300.1.2"));
  EXPECT_TRUE(looks_like_ip("10.0.0.0/8"));
  EXPECT_TRUE(looks_like_ip("2001:db8::/32"));
  EXPECT_TRUE(looks_like_ip("::ffff:1.2.3.4"));
  EXPECT_FALSE(looks_like_ip("example.com"));
  EXPECT_FALSE(looks_like_ip("deadbeef"));  // a hex word without ':' is not an address
  EXPECT_FALSE(looks_like_ip(""));
}

TEST(IpPrefix, IocFromPrefix) {
  std::string error;
  auto p = parse_ip_prefix("2001:db8::/32", error);
  ASSERT_TRUE(p);
  Ioc ioc = ioc_from_prefix(*p, IocForm::kCidr);
  EXPECT_EQ(ioc.kind, IocKind::kIpv6);
  EXPECT_EQ(ioc.form, IocForm::kCidr);
  EXPECT_EQ(ioc.prefix_len, 32);
  EXPECT_EQ(ioc.addr, p->addr);
}

}  // namespace
}  // namespace iocgate
