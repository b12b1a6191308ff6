// tests/dataplane/dns_qname_test.cc — table-driven tests of the DNS question-name extractor
// (UDP form and TCP length-prefixed form): case folding, root, compression, limits, truncation.
#include "dataplane/dns_qname.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/dataplane/dns_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::dns_query;

struct Case {
  std::string description;
  Bytes msg;
  ExtractStatus status;
  std::string name;
};

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"plain query", dns_query("www.example.com"), ExtractStatus::kFound,
               "www.example.com"});
  c.push_back({"upper-case folded", dns_query("WWW.ExAmPlE.COM"), ExtractStatus::kFound,
               "www.example.com"});
  c.push_back({"single label", dns_query("localhost"), ExtractStatus::kFound, "localhost"});
  c.push_back({"underscore and digits kept", dns_query("_dmarc.x-1.io"), ExtractStatus::kFound,
               "_dmarc.x-1.io"});
  c.push_back({"root name has no name", dns_query(""), ExtractStatus::kNoName, ""});
  {
    Bytes m = dns_query("a.example");
    m[2] |= 0x80;  // a response still names what was asked
    c.push_back({"response", m, ExtractStatus::kFound, "a.example"});
  }
  {
    Bytes m = test::dns_header(1);
    test::append(m, Bytes{0xc0, 0x0c, 0, 1, 0, 1});
    c.push_back({"compression pointer in the question refused", m, ExtractStatus::kNotMine, ""});
  }
  {
    Bytes m = test::dns_header(1);
    test::append(m, Bytes{3, 'w', 'w', 'w', 0xc0, 0x0c, 0, 1, 0, 1});
    c.push_back({"compression pointer after a label refused", m, ExtractStatus::kNotMine, ""});
  }
  {
    Bytes m = test::dns_header(1);
    test::append(m, Bytes{0x41, 'x', 0, 0, 1, 0, 1});
    c.push_back({"extended label type refused", m, ExtractStatus::kNotMine, ""});
  }
  c.push_back({"QDCOUNT 0 refused", [] {
                 Bytes m = dns_query("a.example");
                 m[5] = 0;
                 return m;
               }(),
               ExtractStatus::kNotMine, ""});
  c.push_back({"dot inside a label refused", test::dns_query_labels({"a.b", "com"}),
               ExtractStatus::kNotMine, ""});
  c.push_back({"NUL inside a label refused",
               test::dns_query_labels({std::string("a\0b", 3), "com"}), ExtractStatus::kNotMine,
               ""});
  {
    std::string l63(63, 'a');
    c.push_back({"63-byte label accepted", test::dns_query_labels({l63, "com"}),
                 ExtractStatus::kFound, l63 + ".com"});
    Bytes m = test::dns_query_labels({l63, "com"});
    m[12] = 64;
    c.push_back({"64-byte label refused", m, ExtractStatus::kNotMine, ""});
  }
  {
    // 4 x 63 + 3 dots = 255 > 253; 3 x 63 + 61 + 3 dots = 253.
    std::string l63(63, 'b'), l61(61, 'c');
    c.push_back({"253-character name accepted", test::dns_query_labels({l63, l63, l63, l61}),
                 ExtractStatus::kFound, l63 + "." + l63 + "." + l63 + "." + l61});
    c.push_back({"254-character name refused",
                 test::dns_query_labels({l63, l63, l63, l61 + "c"}), ExtractStatus::kNotMine,
                 ""});
  }
  c.push_back({"short header needs more", Bytes{0x12, 0x34, 1, 0, 0, 1}, ExtractStatus::kNeedMore,
               ""});
  return c;
}

ExtractStatus run(const Bytes& m, std::string* name, bool* qr = nullptr) {
  char out[kMaxNameLen + 1];
  size_t n = 99;
  const ExtractStatus st = dns_query_name(m.data(), m.size(), out, &n, qr);
  *name = st == ExtractStatus::kFound ? std::string(out, n) : std::string();
  if (st != ExtractStatus::kFound) {
    EXPECT_EQ(0u, n);
  }
  return st;
}

TEST(DnsQname, Table) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.description);
    std::string name;
    EXPECT_EQ(c.status, run(c.msg, &name));
    EXPECT_EQ(c.name, name);
  }
}

TEST(DnsQname, ResponseBit) {
  Bytes m = dns_query("a.example");
  bool qr = true;
  std::string name;
  EXPECT_EQ(ExtractStatus::kFound, run(m, &name, &qr));
  EXPECT_FALSE(qr);
  m[2] |= 0x80;
  EXPECT_EQ(ExtractStatus::kFound, run(m, &name, &qr));
  EXPECT_TRUE(qr);
}

// Every strict prefix of a well-formed query ends inside the header or the question.
TEST(DnsQname, EveryPrefixNeedsMore) {
  const Bytes m = dns_query("mail.Example.ORG");
  for (size_t cut = 0; cut < m.size(); ++cut) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    Bytes p(m.begin(), m.begin() + cut);
    std::string name;
    EXPECT_EQ(ExtractStatus::kNeedMore, run(p, &name));
  }
  std::string name;
  EXPECT_EQ(ExtractStatus::kFound, run(m, &name));
  EXPECT_EQ("mail.example.org", name);
}

TEST(DnsTcpQname, LengthPrefixed) {
  const Bytes m = dns_query("WWW.Google.com");
  Bytes s;
  test::put16(s, static_cast<uint16_t>(m.size()));
  test::append(s, m);
  char out[kMaxNameLen + 1];
  size_t n = 0;
  ASSERT_EQ(ExtractStatus::kFound, dns_tcp_query_name(s.data(), s.size(), out, &n));
  EXPECT_EQ("www.google.com", std::string_view(out, n));

  for (size_t cut = 0; cut < s.size(); ++cut) {
    SCOPED_TRACE("cut " + std::to_string(cut));
    Bytes p(s.begin(), s.begin() + cut);
    EXPECT_EQ(ExtractStatus::kNeedMore, dns_tcp_query_name(p.data(), p.size(), out, &n));
  }
  // A second message behind the first does not disturb it.
  Bytes two = s;
  test::append(two, s);
  EXPECT_EQ(ExtractStatus::kFound, dns_tcp_query_name(two.data(), two.size(), out, &n));
}

TEST(DnsTcpQname, LengthPrefixTooShortForQuestion) {
  const Bytes m = dns_query("www.google.com");
  Bytes s;
  test::put16(s, 20);  // the header and part of the question
  test::append(s, m);
  char out[kMaxNameLen + 1];
  size_t n = 0;
  EXPECT_EQ(ExtractStatus::kNotMine, dns_tcp_query_name(s.data(), s.size(), out, &n));
  s[1] = 5;  // shorter than a DNS header
  EXPECT_EQ(ExtractStatus::kNotMine, dns_tcp_query_name(s.data(), s.size(), out, &n));
}

}  // namespace
}  // namespace iocgate
