// tests/dataplane/dns_answer_test.cc — the answer addresses of DNS responses: A and AAAA
// records whatever their owner (CNAME chains), the smallest TTL, the bounds, and hostile
// messages (pointer loops, lengths past the end, queries, errors) refused without reading out
// of bounds.

#include "dataplane/dns_answer.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/dataplane/dns_builder.h"

namespace iocgate {
namespace {

using test::Bytes;

struct Rr {
  uint16_t type;
  Bytes data;
  uint32_t ttl = 60;
  Bytes owner = {0xc0, 0x0c};  // a pointer to the question's name
  uint16_t klass = 1;
};

Bytes response(std::string_view name, const std::vector<Rr>& rrs, uint8_t rcode = 0) {
  Bytes m = test::dns_query(name);
  m[2] = 0x81;
  m[3] = static_cast<uint8_t>(0x80 | rcode);
  test::set16(m, 6, static_cast<uint16_t>(rrs.size()));
  for (const Rr& r : rrs) {
    test::append(m, r.owner);
    test::put16(m, r.type);
    test::put16(m, r.klass);
    test::put32(m, r.ttl);
    test::put16(m, static_cast<uint16_t>(r.data.size()));
    test::append(m, r.data);
  }
  return m;
}

Bytes v4(const char* s) {
  Bytes b(4);
  inet_pton(AF_INET, s, b.data());
  return b;
}
Bytes v6(const char* s) {
  Bytes b(16);
  inet_pton(AF_INET6, s, b.data());
  return b;
}
std::string addr(const DnsAnswers& a, uint32_t i) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop((a.v6_mask >> i) & 1 ? AF_INET6 : AF_INET, a.addr[i], buf, sizeof buf);
  return buf;
}

ExtractStatus read(const Bytes& m, std::string* name, DnsAnswers* out) {
  char buf[kMaxNameLen + 1];
  size_t n = 0;
  const ExtractStatus st = dns_response_answers(m.data(), m.size(), buf, &n, out);
  name->assign(buf, n);
  return st;
}

TEST(DnsAnswer, AddressesOfEveryARecordWhateverItsOwner) {
  // www.evil.example CNAME cdn.example.net; cdn A 192.0.2.7, AAAA 2001:db8::7.
  Bytes cname_target = {3, 'c', 'd', 'n', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
  const Bytes m = response("WWW.evil.example", {{5, cname_target, 3600},
                                                {1, v4("192.0.2.7"), 120, {0xc0, 0x2e}},
                                                {28, v6("2001:db8::7"), 90, {0xc0, 0x2e}}});
  std::string name;
  DnsAnswers a;
  ASSERT_EQ(read(m, &name, &a), ExtractStatus::kFound);
  EXPECT_EQ(name, "www.evil.example");
  ASSERT_EQ(a.count, 2u);
  EXPECT_EQ(addr(a, 0), "192.0.2.7");
  EXPECT_EQ(addr(a, 1), "2001:db8::7");
  EXPECT_EQ(a.min_ttl, 90u) << "the smallest TTL of the addresses (the CNAME's does not count)";
  EXPECT_FALSE(a.cut);
}

TEST(DnsAnswer, BoundsAndOddRecords) {
  std::vector<Rr> many;
  for (int i = 0; i < 12; ++i) many.push_back({1, v4(("192.0.2." + std::to_string(i + 1)).c_str())});
  std::string name;
  DnsAnswers a;
  ASSERT_EQ(read(response("a.example", many), &name, &a), ExtractStatus::kFound);
  EXPECT_EQ(a.count, kMaxDnsAnswerAddrs);
  EXPECT_TRUE(a.cut);
  EXPECT_EQ(addr(a, 7), "192.0.2.8");

  // Not IN, a wrong rdlength, a TTL with the top bit set (read as 0).
  ASSERT_EQ(read(response("a.example", {{1, v4("192.0.2.1"), 60, {0xc0, 0x0c}, 3}, {1, Bytes(5, 1)},
                                        {28, v4("192.0.2.2")}, {1, v4("192.0.2.3"), 0x80000001u}}),
                 &name, &a),
            ExtractStatus::kFound);
  ASSERT_EQ(a.count, 1u);
  EXPECT_EQ(addr(a, 0), "192.0.2.3");
  EXPECT_EQ(a.min_ttl, 0u);

  // No answer at all: the name, no address.
  ASSERT_EQ(read(response("none.example", {}), &name, &a), ExtractStatus::kFound);
  EXPECT_EQ(a.count, 0u);
  EXPECT_EQ(name, "none.example");
}

TEST(DnsAnswer, RefusesWhatIsNotANoErrorResponse) {
  std::string name;
  DnsAnswers a;
  EXPECT_EQ(read(test::dns_query("a.example"), &name, &a), ExtractStatus::kNotMine) << "a query";
  EXPECT_EQ(read(response("a.example", {{1, v4("192.0.2.1")}}, 3), &name, &a), ExtractStatus::kNotMine)
      << "NXDOMAIN";
  Bytes m = response("a.example", {{1, v4("192.0.2.1")}});
  for (size_t cut = 0; cut < m.size(); ++cut) {
    Bytes part(m.begin(), m.begin() + cut);
    const ExtractStatus st = read(part, &name, &a);
    EXPECT_NE(st, ExtractStatus::kFound) << "cut at " << cut;
  }
  // An answer whose rdlength runs past the message.
  Bytes past = response("a.example", {{1, v4("192.0.2.1")}});
  past[past.size() - 5] = 0x40;
  EXPECT_EQ(read(past, &name, &a), ExtractStatus::kNotMine);
  // Owner names that are long label chains without an end, or extended label types.
  Bytes chain = response("a.example", {{1, v4("192.0.2.1"), 60, Bytes(300, 1)}});
  EXPECT_EQ(read(chain, &name, &a), ExtractStatus::kNotMine);
  Bytes ext = response("a.example", {{1, v4("192.0.2.1"), 60, {0x41, 0}}});
  EXPECT_EQ(read(ext, &name, &a), ExtractStatus::kNotMine);
}

TEST(DnsAnswer, PointerLoopsAreNeverFollowed) {
  // The owner is a pointer to itself: skipping (not following) it ends at once.
  Bytes m = response("a.example", {{1, v4("192.0.2.1")}});
  const size_t owner = 12 + 11 + 4;
  m[owner] = 0xc0;
  m[owner + 1] = static_cast<uint8_t>(owner);
  std::string name;
  DnsAnswers a;
  ASSERT_EQ(read(m, &name, &a), ExtractStatus::kFound);
  EXPECT_EQ(a.count, 1u);
}

}  // namespace
}  // namespace iocgate
