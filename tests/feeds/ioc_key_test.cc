// tests/feeds/ioc_key_test.cc — DistinctIocs: one entry per IoC whatever its line or label,
// kinds, prefixes and names kept apart, numbers in first-seen order through every rehash.
#include "feeds/ioc_key.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>

namespace iocgate {
namespace {

Ioc v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t len = 32) {
  Ioc i;
  i.kind = IocKind::kIpv4;
  i.prefix_len = len;
  i.addr = {a, b, c, d};
  return i;
}

Ioc name(std::string n) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.domain = std::move(n);
  return i;
}

TEST(DistinctIocs, ARepeatedIocIsOneEntryWhateverItsLineAndLabel) {
  Ioc a = v4(203, 0, 113, 5), again = v4(203, 0, 113, 5);
  again.line = 99;
  again.label = "other";
  again.valid_until = 12345;
  DistinctIocs s;
  bool is_new = false;
  EXPECT_EQ(s.insert(a, &is_new), 0u);
  EXPECT_TRUE(is_new);
  EXPECT_EQ(s.insert(again, &is_new), 0u);
  EXPECT_FALSE(is_new);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_TRUE(s.contains(again));
}

TEST(DistinctIocs, KindsPrefixesAndNamesAreKeptApart) {
  std::deque<Ioc> iocs = {v4(10, 0, 0, 0, 8), v4(10, 0, 0, 0, 16), name("evil.example"), name("evil.example.org"),
                          name(""), v4(0, 0, 0, 0, 0)};
  Ioc v6;
  v6.kind = IocKind::kIpv6;
  v6.prefix_len = 8;
  v6.addr[0] = 10;
  iocs.push_back(v6);  // the IPv6 /8 with the bytes of the IPv4 10.0.0.0/8
  DistinctIocs s;
  for (size_t k = 0; k < iocs.size(); ++k) {
    bool is_new = false;
    EXPECT_EQ(s.insert(iocs[k], &is_new), k);
    EXPECT_TRUE(is_new) << k;
  }
  EXPECT_FALSE(s.contains(name("EVIL.example")));  // names arrive lower-cased; the set does not fold
}

TEST(DistinctIocs, NumbersStayInFirstSeenOrderThroughGrowth) {
  // Sized for nothing: it grows from 16 slots, rehashing many times.
  std::deque<Ioc> iocs;
  for (uint32_t k = 0; k < 100000; ++k) iocs.push_back(v4(11, static_cast<uint8_t>(k >> 16), static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k)));
  for (uint32_t k = 0; k < 1000; ++k) iocs.push_back(name("n" + std::to_string(k) + ".example"));
  DistinctIocs s;
  for (size_t k = 0; k < iocs.size(); ++k) ASSERT_EQ(s.insert(iocs[k]), k);
  for (size_t k = 0; k < iocs.size(); k += 7) {
    bool is_new = true;
    ASSERT_EQ(s.insert(iocs[k], &is_new), k);
    ASSERT_FALSE(is_new);
  }
  EXPECT_EQ(s.size(), iocs.size());
  EXPECT_FALSE(s.contains(v4(12, 0, 0, 1)));
}

}  // namespace
}  // namespace iocgate
