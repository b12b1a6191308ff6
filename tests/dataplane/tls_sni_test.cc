// tests/dataplane/tls_sni_test.cc — TLS ClientHello SNI extraction: real-shaped hellos, every
// split point, record-layer fragmentation, no-SNI, garbage, a ~1.8 KB post-quantum-sized hello.
#include "dataplane/tls_sni.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/dataplane/tls_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::ClientHelloSpec;

struct Result {
  ExtractStatus status;
  std::string name;
  size_t needed;
};

Result run(const uint8_t* p, size_t n) {
  char out[kMaxNameLen + 1];
  size_t out_len = 77, needed = 77;
  const ExtractStatus st = tls_client_hello_sni(p, n, out, &out_len, &needed);
  if (st != ExtractStatus::kFound) {
    EXPECT_EQ(0u, out_len);
  }
  if (st != ExtractStatus::kNeedMore) {
    EXPECT_EQ(0u, needed);
  }
  return {st, st == ExtractStatus::kFound ? std::string(out, out_len) : std::string(), needed};
}
Result run(const Bytes& b) { return run(b.data(), b.size()); }

struct Case {
  std::string description;
  Bytes stream;
  ExtractStatus status;
  std::string name;
};

Bytes hello_with(std::string_view sni) { return test::client_hello({.sni = sni}); }

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"one record", hello_with("www.example.com"), ExtractStatus::kFound,
               "www.example.com"});
  c.push_back({"upper-case SNI folded, trailing dot dropped", hello_with("Mail.EXAMPLE.org."),
               ExtractStatus::kFound, "mail.example.org"});
  c.push_back({"no SNI", hello_with(""), ExtractStatus::kNoName, ""});
  c.push_back({"SNI after a big key_share and padding",
               test::client_hello({.sni = "late.example", .key_share_len = 1216,
                                   .padding_len = 300, .sni_last = true}),
               ExtractStatus::kFound, "late.example"});
  {
    const Bytes hs = test::client_hello_handshake({.sni = "split.example"});
    c.push_back({"two records", test::tls_records(hs, {100}), ExtractStatus::kFound,
                 "split.example"});
    c.push_back({"three records, cut inside the handshake header and the SNI",
                 test::tls_records(hs, {2, 130}), ExtractStatus::kFound, "split.example"});
    c.push_back({"one-byte records for the first 50 bytes",
                 test::tls_records(hs, [] {
                   std::vector<size_t> v;
                   for (size_t i = 1; i <= 50; ++i) v.push_back(i);
                   return v;
                 }()),
                 ExtractStatus::kFound, "split.example"});
    c.push_back({"record version 0x0303", test::tls_records(hs, {}, 0x0303),
                 ExtractStatus::kFound, "split.example"});
    Bytes trailing = test::tls_records(hs);
    test::append(trailing, Bytes{0x14, 3, 3, 0, 1, 1});  // ChangeCipherSpec after the hello
    c.push_back({"records after the hello ignored", trailing, ExtractStatus::kFound,
                 "split.example"});
    Bytes alert = test::tls_records(hs, {60});
    alert[60 + 5] = 0x15;  // the second record becomes an alert
    c.push_back({"non-handshake record inside the hello", alert, ExtractStatus::kNotMine, ""});
  }
  c.push_back({"HTTP request is not TLS", test::bytes_of("GET / HTTP/1.1\r\n\r\n"),
               ExtractStatus::kNotMine, ""});
  c.push_back({"application data record first", Bytes{0x17, 3, 3, 0, 5, 1, 2, 3, 4, 5},
               ExtractStatus::kNotMine, ""});
  c.push_back({"SSLv2-style hello", Bytes{0x80, 0x2e, 1, 3, 1}, ExtractStatus::kNotMine, ""});
  c.push_back({"record version 3.5", Bytes{0x16, 3, 5, 0, 5}, ExtractStatus::kNotMine, ""});
  c.push_back({"zero-length record", Bytes{0x16, 3, 1, 0, 0}, ExtractStatus::kNotMine, ""});
  c.push_back({"oversized record", Bytes{0x16, 3, 1, 0x40, 0x01}, ExtractStatus::kNotMine, ""});
  c.push_back({"ServerHello is not a ClientHello", Bytes{0x16, 3, 3, 0, 60, 2, 0, 0, 56},
               ExtractStatus::kNotMine, ""});
  c.push_back({"hello length below the minimum", Bytes{0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0},
               ExtractStatus::kNotMine, ""});
  {
    Bytes b = hello_with("x.example");
    b[5 + 4] = 0x02;  // client_version 2.3
    c.push_back({"bad client_version", b, ExtractStatus::kNotMine, ""});
  }
  {
    Bytes b = hello_with("x.example");
    b[5 + 4 + 34] = 33;  // session id longer than 32
    c.push_back({"session id over 32 bytes", b, ExtractStatus::kNotMine, ""});
  }
  {
    // Extensions length one byte short of the handshake end.
    Bytes hs = test::client_hello_handshake({.sni = "x.example"});
    const size_t ext_len_at = 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2;
    hs[ext_len_at + 1] -= 1;
    c.push_back({"extensions length disagrees with handshake length", test::tls_records(hs),
                 ExtractStatus::kNotMine, ""});
  }
  {
    Bytes hs = test::client_hello_handshake({.sni = "x.example"});
    // server_name list length off by one
    const size_t sni_at = 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2 + 2 + 4;  // after the GREASE ext
    hs[sni_at + 4 + 1] += 1;
    c.push_back({"server_name list length wrong", test::tls_records(hs), ExtractStatus::kNotMine,
                 ""});
  }
  return c;
}

TEST(TlsSni, Table) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.description);
    const Result r = run(c.stream);
    EXPECT_EQ(c.status, r.status);
    EXPECT_EQ(c.name, r.name);
  }
}

// The caller feeds growing prefixes of the stream: none of them may be refused, and the
// whole hello must yield the name. Checked for one record and for 2 and 3 records.
TEST(TlsSni, EveryPrefixIsNeedMoreOrFound) {
  const Bytes hs = test::client_hello_handshake({.sni = "prefix.example.net"});
  const std::vector<std::vector<size_t>> splits = {{}, {1}, {3}, {4}, {77}, {150, 151}, {40, 200}};
  for (const auto& cuts : splits) {
    const Bytes s = test::tls_records(hs, cuts);
    SCOPED_TRACE("records cut at " + ::testing::PrintToString(cuts));
    bool found_before_end = false;
    for (size_t n = 0; n <= s.size(); ++n) {
      Bytes prefix(s.begin(), s.begin() + n);  // exact size so ASan catches overreads
      const Result r = run(prefix);
      ASSERT_TRUE(r.status == ExtractStatus::kNeedMore || r.status == ExtractStatus::kFound)
          << "prefix " << n << " status " << int(r.status);
      if (r.status == ExtractStatus::kFound) {
        EXPECT_EQ("prefix.example.net", r.name);
        found_before_end |= n < s.size();
      } else if (r.needed != 0) {
        // needed is a lower bound of what the full hello takes, and beyond what we have.
        EXPECT_GT(r.needed, n);
        EXPECT_LE(r.needed, s.size());
      }
      looks_like_tls_handshake(prefix.data(), prefix.size());
      if (n > 0) {
        EXPECT_TRUE(looks_like_tls_handshake(prefix.data(), prefix.size()));
      }
    }
    EXPECT_EQ(ExtractStatus::kFound, run(s).status);
    // The name is read as soon as its extension is complete, before the hello's tail.
    EXPECT_TRUE(found_before_end);
  }
}

// Every prefix of a hello without SNI waits, and only the complete one says "no name".
TEST(TlsSni, NoSniOnlyWhenComplete) {
  const Bytes s = test::tls_records(test::client_hello_handshake({.sni = ""}), {90});
  for (size_t n = 0; n < s.size(); ++n) {
    Bytes prefix(s.begin(), s.begin() + n);
    ASSERT_EQ(ExtractStatus::kNeedMore, run(prefix).status) << n;
  }
  EXPECT_EQ(ExtractStatus::kNoName, run(s).status);
}

TEST(TlsSni, NeededFromRecordHeaders) {
  const Bytes hs = test::client_hello_handshake({.sni = "n.example", .sni_last = true});
  const Bytes one = test::tls_records(hs);
  EXPECT_EQ(one.size(), run(one.data(), 20).needed);
  // Two records: inside the first, the handshake header promises the whole message but the
  // second record's header is still to come.
  const Bytes two = test::tls_records(hs, {100});
  EXPECT_EQ(two.size(), run(two.data(), 50).needed);
  EXPECT_EQ(two.size(), run(two.data(), 105).needed);   // at the record boundary
  EXPECT_EQ(two.size(), run(two.data(), 107).needed);   // inside the second header
  EXPECT_EQ(two.size(), run(two.data(), 200).needed);   // inside the second record
  EXPECT_EQ(0u, run(two.data(), 7).needed);              // handshake length not yet known
}

TEST(TlsSni, PostQuantumSizedHello) {
  // Chrome's X25519MLKEM768 share is 1216 bytes; with padding the hello is ~1.8 KB and
  // spans two TCP segments at MTU 1500.
  const Bytes hs = test::client_hello_handshake(
      {.sni = "pq.example.com", .key_share_len = 1216, .padding_len = 350, .sni_last = true});
  const Bytes s = test::tls_records(hs);
  ASSERT_GT(s.size(), 1700u);
  ASSERT_LT(s.size(), 1900u);
  EXPECT_EQ(ExtractStatus::kNeedMore, run(s.data(), 1448).status);
  EXPECT_EQ(s.size(), run(s.data(), 1448).needed);
  const Result r = run(s);
  EXPECT_EQ(ExtractStatus::kFound, r.status);
  EXPECT_EQ("pq.example.com", r.name);
  // The same hello fragmented into 3 records at the record layer.
  const Result r3 = run(test::tls_records(hs, {700, 1400}));
  EXPECT_EQ(ExtractStatus::kFound, r3.status);
  EXPECT_EQ("pq.example.com", r3.name);
}

TEST(TlsSni, HelloOver16KiBRefused) {
  const Bytes hs = test::client_hello_handshake({.sni = "big.example", .padding_len = 17000});
  const Bytes s = test::tls_records(hs, {16000});
  EXPECT_EQ(ExtractStatus::kNotMine, run(s).status);
}

TEST(TlsSni, SniOfMaximumLength) {
  const std::string host(255, 'h');
  EXPECT_EQ(host, run(hello_with(host)).name);
  const std::string longer(256, 'h');
  EXPECT_EQ(ExtractStatus::kNotMine, run(hello_with(longer)).status);
}

// The classifier holds a verdict on an early SNI until the hello is complete: completeness
// must flip exactly at the last handshake byte, whatever the record split.
TEST(TlsSni, HelloCompleteAtItsLastByte) {
  const Bytes hs = test::client_hello_handshake({.sni = "c.example", .key_share_len = 1216});
  const std::vector<std::vector<size_t>> splits = {{}, {2}, {4}, {300, 301, 900}};
  for (const auto& cuts : splits) {
    SCOPED_TRACE("records cut at " + ::testing::PrintToString(cuts));
    Bytes s = test::tls_records(hs, cuts);
    test::append(s, Bytes{0x14, 3, 3, 0, 1, 1});  // ChangeCipherSpec after the hello
    const size_t hello_end = s.size() - 6;
    for (size_t n = 0; n <= s.size(); ++n) {
      Bytes prefix(s.begin(), s.begin() + n);
      const bool complete = tls_client_hello_complete(prefix.data(), prefix.size());
      ASSERT_EQ(n >= hello_end, complete) << n;
      // A complete hello never waits for more.
      if (complete) {
        ASSERT_NE(ExtractStatus::kNeedMore, run(prefix).status) << n;
      }
    }
  }
  EXPECT_FALSE(tls_client_hello_complete(nullptr, 0));
  const Bytes http = test::bytes_of("GET / HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(tls_client_hello_complete(http.data(), http.size()));
}

TEST(TlsSni, LooksLikeHandshake) {
  const uint8_t ok[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
  for (size_t n = 1; n <= sizeof ok; ++n) EXPECT_TRUE(looks_like_tls_handshake(ok, n)) << n;
  EXPECT_FALSE(looks_like_tls_handshake(ok, 0));
  const uint8_t bad1[] = {0x17};
  const uint8_t bad2[] = {0x16, 0x02};
  const uint8_t bad3[] = {0x16, 0x03, 0x07};
  EXPECT_FALSE(looks_like_tls_handshake(bad1, 1));
  EXPECT_FALSE(looks_like_tls_handshake(bad2, 2));
  EXPECT_FALSE(looks_like_tls_handshake(bad3, 3));
  const uint8_t http[] = {'G', 'E', 'T', ' '};
  EXPECT_FALSE(looks_like_tls_handshake(http, sizeof http));
}

}  // namespace
}  // namespace iocgate
