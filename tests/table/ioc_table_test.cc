// tests/table/ioc_table_test.cc — the compiled table against a brute-force reference on
// random sets, the suffix rules for domains, action merging, and refusal of bad blobs.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

namespace iocgate::table {
namespace {

Ioc v4(const char* text, uint8_t len = 32) {
  Ioc i;
  i.kind = IocKind::kIpv4;
  i.prefix_len = len;
  inet_pton(AF_INET, text, i.addr.data());
  return i;
}
Ioc v6(const char* text, uint8_t len = 128) {
  Ioc i;
  i.kind = IocKind::kIpv6;
  i.prefix_len = len;
  inet_pton(AF_INET6, text, i.addr.data());
  return i;
}
Ioc dom(const std::string& d, uint32_t line = 1) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.domain = d;
  i.line = line;
  return i;
}
uint32_t ip(const char* text) {
  uint32_t a;
  inet_pton(AF_INET, text, &a);
  return ntohl(a);
}

struct Built {
  TableBlob blob;
  IocTableView view;
};

Built build(IocTableBuilder& b) {
  std::string err;
  auto blob = b.build();
  EXPECT_TRUE(blob.ok()) << blob.message();
  Built out{std::move(*blob), {}};
  EXPECT_TRUE(out.view.attach(out.blob.data(), out.blob.size(), &err)) << err;
  return out;
}

TEST(IocTable, EmptyTableMissesEverything) {
  IocTableBuilder b;
  Built t = build(b);
  EXPECT_FALSE(t.view.lookup_v4(ip("1.2.3.4")).hit());
  uint8_t a[16] = {0x20, 0x01};
  EXPECT_FALSE(t.view.lookup_v6(a).hit());
  EXPECT_FALSE(t.view.lookup_domain("evil.com", 8).hit());
}

TEST(IocTable, Ipv4HostsAndPrefixes) {
  IocTableBuilder b;
  const uint32_t f = b.add_feed({"f", Action::kDrop, "", ""});
  b.add(f, v4("34.101.177.245"));
  b.add(f, v4("149.4.195.0", 24));
  b.add(f, v4("10.0.0.0", 8));
  b.add(f, v4("192.0.2.128", 25));
  Built t = build(b);
  EXPECT_TRUE(t.view.lookup_v4(ip("34.101.177.245")).hit());
  EXPECT_FALSE(t.view.lookup_v4(ip("34.101.177.244")).hit());
  EXPECT_TRUE(t.view.lookup_v4(ip("149.4.195.0")).hit());
  EXPECT_TRUE(t.view.lookup_v4(ip("149.4.195.255")).hit());
  EXPECT_FALSE(t.view.lookup_v4(ip("149.4.196.0")).hit());
  EXPECT_TRUE(t.view.lookup_v4(ip("10.200.1.1")).hit());
  EXPECT_FALSE(t.view.lookup_v4(ip("11.0.0.0")).hit());
  EXPECT_TRUE(t.view.lookup_v4(ip("192.0.2.200")).hit());
  EXPECT_FALSE(t.view.lookup_v4(ip("192.0.2.127")).hit());
  EXPECT_EQ(t.view.describe(t.view.lookup_v4(ip("149.4.195.7")).record()), "149.4.195.0/24");
  EXPECT_EQ(t.view.describe(t.view.lookup_v4(ip("34.101.177.245")).record()), "34.101.177.245");
}

TEST(IocTable, HostBitsOfAPrefixAreMasked) {
  IocTableBuilder b;
  b.add(b.add_feed({"f"}), v4("198.51.100.77", 24));
  Built t = build(b);
  EXPECT_TRUE(t.view.lookup_v4(ip("198.51.100.1")).hit());
}

TEST(IocTable, Ipv6HostsAndPrefixes) {
  IocTableBuilder b;
  const uint32_t f = b.add_feed({"f"});
  b.add(f, v6("2001:db8:c2ce::75a9"));
  b.add(f, v6("2001:db8:ff52::", 48));
  b.add(f, v6("2001:db8:aaaa:bbbb:cccc::", 71));
  Built t = build(b);
  auto hit = [&](const char* s) {
    uint8_t a[16];
    inet_pton(AF_INET6, s, a);
    return t.view.lookup_v6(a).hit();
  };
  EXPECT_TRUE(hit("2001:db8:c2ce::75a9"));
  EXPECT_FALSE(hit("2001:db8:c2ce::75aa"));
  EXPECT_TRUE(hit("2001:db8:ff52:1234::1"));
  EXPECT_FALSE(hit("2001:db8:ff53::1"));
  EXPECT_TRUE(hit("2001:db8:aaaa:bbbb:cdff:ffff::1"));  // 71 bits: 0xcc.. and 0xcd.. share 7
  EXPECT_FALSE(hit("2001:db8:aaaa:bbbb:ce00::1"));
  uint8_t a[16];
  inet_pton(AF_INET6, "2001:db8:ff52:9::1", a);
  EXPECT_EQ(t.view.describe(t.view.lookup_v6(a).record()), "2001:db8:ff52::/48");
}

TEST(IocTable, DomainsMatchExactlyAndOnLabelBoundaries) {
  IocTableBuilder b;
  const uint32_t f = b.add_feed({"f"});
  b.add(f, dom("evil.com"));
  b.add(f, dom("deep.sub.example.org"));
  Built t = build(b);
  auto hit = [&](const std::string& n) { return t.view.lookup_domain(n.data(), n.size()).hit(); };
  EXPECT_TRUE(hit("evil.com"));
  EXPECT_TRUE(hit("a.evil.com"));
  EXPECT_TRUE(hit("x.y.z.evil.com"));
  EXPECT_FALSE(hit("notevil.com"));
  EXPECT_FALSE(hit("evil.com.example.org"));
  EXPECT_FALSE(hit("com"));
  EXPECT_FALSE(hit("evil.co"));
  EXPECT_TRUE(hit("deep.sub.example.org"));
  EXPECT_FALSE(hit("sub.example.org"));
  EXPECT_EQ(t.view.describe(t.view.lookup_domain("a.evil.com", 10).record()), "evil.com");
}

TEST(IocTable, StrongestActionWinsAndAllowBeatsAll) {
  IocTableBuilder b;
  const uint32_t alert = b.add_feed({"alerts", Action::kAlert});
  const uint32_t drop = b.add_feed({"drops", Action::kDrop});
  const uint32_t allow = b.add_feed({"allow", Action::kAllow});
  b.add(alert, v4("203.0.113.5"));
  b.add(drop, v4("203.0.113.0", 24));   // covers the alert host: the host must drop too
  b.add(alert, v4("198.51.100.9"));
  b.add(drop, v4("198.51.100.9"));      // same key twice: drop
  b.add(drop, dom("bad.example"));
  b.add(allow, dom("ok.bad.example"));
  b.add(drop, v4("192.0.2.0", 24));
  b.add(allow, v4("192.0.2.53"));
  Built t = build(b);
  EXPECT_EQ(t.view.lookup_v4(ip("203.0.113.5")).action(), Action::kDrop);
  EXPECT_EQ(t.view.lookup_v4(ip("198.51.100.9")).action(), Action::kDrop);
  EXPECT_EQ(t.view.record(t.view.lookup_v4(ip("198.51.100.9")).record()).listings, 2);
  // The record names the listing whose action decided; every other listing is kept.
  const uint32_t rec = t.view.lookup_v4(ip("198.51.100.9")).record();
  EXPECT_EQ(t.view.record(rec).feed, drop);
  auto [first, last] = t.view.more_listings(rec);
  ASSERT_EQ(last - first, 1);
  EXPECT_EQ(first->feed, alert);
  EXPECT_EQ(first->record, rec);
  EXPECT_EQ(t.view.more_listings(t.view.lookup_v4(ip("203.0.113.5")).record()).first,
            t.view.more_listings(t.view.lookup_v4(ip("203.0.113.5")).record()).second);
  EXPECT_EQ(t.view.lookup_domain("x.bad.example", 13).action(), Action::kDrop);
  EXPECT_EQ(t.view.lookup_domain("x.ok.bad.example", 16).action(), Action::kAllow);
  EXPECT_EQ(t.view.lookup_v4(ip("192.0.2.53")).action(), Action::kAllow);
  EXPECT_EQ(t.view.lookup_v4(ip("192.0.2.54")).action(), Action::kDrop);
}

TEST(IocTable, RandomSetsAgreeWithBruteForce) {
  std::mt19937_64 rng(42);
  IocTableBuilder b;
  const uint32_t f = b.add_feed({"f"});
  std::vector<std::pair<uint32_t, uint8_t>> ref;
  for (int i = 0; i < 20000; ++i) {
    const uint8_t len = (i % 10 == 0) ? static_cast<uint8_t>(8 + rng() % 24) : 32;
    uint32_t a = static_cast<uint32_t>(rng());
    if (len < 32) a &= ~0u << (32 - len);
    ref.emplace_back(a, len);
    Ioc ioc;
    ioc.kind = IocKind::kIpv4;
    ioc.prefix_len = len;
    ioc.addr = {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16), static_cast<uint8_t>(a >> 8),
                static_cast<uint8_t>(a)};
    b.add(f, ioc);
  }
  Built t = build(b);
  auto brute = [&](uint32_t a) {
    for (auto [k, len] : ref)
      if (len == 0 || (a & (~0u << (32 - len))) == k) return true;
    return false;
  };
  int hits = 0;
  for (int i = 0; i < 4000; ++i) {
    // Half the probes are listed hosts or inside listed prefixes, half random.
    uint32_t a = (i % 2) ? static_cast<uint32_t>(rng()) : ref[rng() % ref.size()].first | (rng() & 0xff);
    const bool expect = brute(a);
    hits += expect;
    ASSERT_EQ(t.view.lookup_v4(a).hit(), expect) << a;
  }
  EXPECT_GT(hits, 1000);
  // The event path's O(1) describe agrees with the scanning one on every record.
  const std::vector<uint32_t> index = t.view.build_describe_index();
  for (uint32_t r = 0; r < t.view.record_count(); r += 7) ASSERT_EQ(t.view.describe(r, index), t.view.describe(r)) << r;
}

Ioc v4_of(uint32_t a, uint8_t len) {
  Ioc ioc;
  ioc.kind = IocKind::kIpv4;
  ioc.prefix_len = len;
  if (len < 32) a = len == 0 ? 0 : a & (~0u << (32 - len));
  ioc.addr = {static_cast<uint8_t>(a >> 24), static_cast<uint8_t>(a >> 16), static_cast<uint8_t>(a >> 8),
              static_cast<uint8_t>(a)};
  return ioc;
}

// The same IoCs compiled twice, with and without the IPv4 direct index: every lookup must
// return the same value (action and record), the per-length hashes being the reference
// RandomSetsAgreeWithBruteForce checks.
struct TwoWays {
  Built hashed, direct;
};
TwoWays build_both(const std::vector<std::pair<uint32_t, Ioc>>& iocs, uint32_t feeds) {
  auto one = [&](IocTableBuilder::V4Direct mode) {
    IocTableBuilder b;
    const Action actions[] = {Action::kDrop, Action::kAlert, Action::kMirror, Action::kReject, Action::kAllow};
    for (uint32_t f = 0; f < feeds; ++f) b.add_feed({"f" + std::to_string(f), actions[f % 5]});
    for (const auto& [feed, ioc] : iocs) b.add(feed, ioc);
    b.set_v4_direct(mode);
    return build(b);
  };
  return {one(IocTableBuilder::V4Direct::kNever), one(IocTableBuilder::V4Direct::kAlways)};
}

TEST(IocTable, DirectIndexAgreesWithPerLengthHashes) {
  std::mt19937_64 rng(7);
  std::vector<std::pair<uint32_t, Ioc>> iocs;
  std::vector<uint32_t> probes;
  // Scattered hosts, prefixes of every length (nested ones among them), /24s split by many
  // hosts (blocks) or a few (runs), hosts on a /24's first and last address.
  for (int i = 0; i < 30000; ++i) {
    const uint32_t a = static_cast<uint32_t>(rng());
    const uint8_t len = i % 4 == 0 ? static_cast<uint8_t>(1 + rng() % 32) : 32;
    iocs.emplace_back(static_cast<uint32_t>(rng() % 5), v4_of(a, len));
    probes.push_back(a);
  }
  for (int c = 0; c < 200; ++c) {
    const uint32_t net = static_cast<uint32_t>(rng()) & ~0xffu;
    const int hosts = c % 2 ? 2 : 40;
    for (int k = 0; k < hosts; ++k) iocs.emplace_back(static_cast<uint32_t>(rng() % 5), v4_of(net | (rng() & 0xff), 32));
    iocs.emplace_back(static_cast<uint32_t>(rng() % 5), v4_of(net | 0x80, 25 + c % 7));
    iocs.emplace_back(0, v4_of(net, 32));
    iocs.emplace_back(1, v4_of(net | 0xff, 32));
    for (uint32_t o = 0; o < 256; ++o) probes.push_back(net | o);
  }
  iocs.emplace_back(2, v4_of(0, 0));  // a /0 under everything: no address misses
  TwoWays t = build_both(iocs, 5);
  ASSERT_NE(t.direct.view.header().v4_direct.size, 0u);
  ASSERT_EQ(t.hashed.view.header().v4_direct.size, 0u);
  EXPECT_GT(t.direct.view.header().v4_runs.size, 0u);
  EXPECT_GT(t.direct.view.header().v4_blocks.size, 0u);
  for (int i = 0; i < 200000; ++i) probes.push_back(static_cast<uint32_t>(rng()));
  for (uint32_t a : probes) {
    const Match h = t.hashed.view.lookup_v4(a);
    ASSERT_TRUE(h.hit()) << a;
    ASSERT_EQ(t.direct.view.lookup_v4(a).value, h.value) << a;
  }
  // The pipelined burst answers as the single lookups do, on both kinds of table.
  for (size_t i = 0; i + 32 <= probes.size(); i += 32) {
    Match burst[32];
    for (const Built* b : {&t.direct, &t.hashed}) {
      b->view.lookup_v4_burst(&probes[i], 32, burst);
      for (uint32_t k = 0; k < 32; ++k) ASSERT_EQ(burst[k].value, b->view.lookup_v4(probes[i + k]).value) << probes[i + k];
    }
  }
}

TEST(IocTable, DirectIndexBurstMissesAsSingleLookups) {
  std::mt19937_64 rng(11);
  std::vector<std::pair<uint32_t, Ioc>> iocs;
  for (int i = 0; i < 5000; ++i) {
    const uint8_t len = i % 3 == 0 ? static_cast<uint8_t>(12 + rng() % 21) : 32;
    iocs.emplace_back(static_cast<uint32_t>(rng() % 3), v4_of(static_cast<uint32_t>(rng()), len));
  }
  TwoWays t = build_both(iocs, 3);
  std::vector<uint32_t> probes(1 << 16);
  for (size_t i = 0; i < probes.size(); ++i)
    probes[i] = i % 2 ? static_cast<uint32_t>(rng()) : static_cast<uint32_t>(iocs[rng() % iocs.size()].second.addr[0]) << 24 | (rng() & 0xffffff);
  int misses = 0;
  for (size_t i = 0; i + 32 <= probes.size(); i += 32) {
    Match burst[32];
    t.direct.view.lookup_v4_burst(&probes[i], 32, burst);
    for (uint32_t k = 0; k < 32; ++k) {
      const Match h = t.hashed.view.lookup_v4(probes[i + k]);
      misses += !h.hit();
      ASSERT_EQ(burst[k].value, h.value) << probes[i + k];
    }
  }
  EXPECT_GT(misses, 1000);
  EXPECT_GT(static_cast<int>(probes.size()) - misses, 1000);  // and hits
}

TEST(IocTable, DirectIndexRunsAndBlocksAtTheirLimits) {
  // A /24 split into exactly kV4RunsMax runs stays a runs group; one more run makes a block.
  std::vector<std::pair<uint32_t, Ioc>> iocs;
  const uint32_t six = ip("198.51.100.0"), seven = ip("203.0.113.0");
  for (uint32_t host : {10u, 20u}) iocs.emplace_back(0, v4_of(six | host, 32));  // runs: 0,10,11,20,21
  iocs.emplace_back(0, v4_of(six | 255, 32));                                     // + 255: six runs
  for (uint32_t host : {0u, 10u, 20u, 30u}) iocs.emplace_back(0, v4_of(seven | host, 32));  // 7 runs
  TwoWays t = build_both(iocs, 1);
  EXPECT_EQ(t.direct.view.header().v4_runs.size, sizeof(V4Runs));
  EXPECT_EQ(t.direct.view.header().v4_blocks.size, 256u * 4);
  for (uint32_t net : {six, seven})
    for (uint32_t o = 0; o < 256; ++o)
      ASSERT_EQ(t.direct.view.lookup_v4(net | o).value, t.hashed.view.lookup_v4(net | o).value) << o;
  EXPECT_TRUE(t.direct.view.lookup_v4(six | 255).hit());
  EXPECT_FALSE(t.direct.view.lookup_v4(six | 254).hit());
  EXPECT_FALSE(t.direct.view.lookup_v4(ip("192.0.2.1")).hit());
}

TEST(IocTable, DirectIndexOnlyForLargePrefixSetsByDefault) {
  // Small sets, and large sets of hosts (one probe each anyway), keep the per-length hashes
  // alone; a large set with prefixes of several lengths gets the direct index.
  auto direct_bytes = [](uint32_t keys, uint32_t prefix_lengths) {
    IocTableBuilder b;
    const uint32_t f = b.add_feed({"f"});
    for (uint32_t i = 0; i < keys; ++i) {
      const uint8_t len = i < prefix_lengths ? static_cast<uint8_t>(20 + i) : 32;
      b.add(f, v4_of(0x0a000000u + i * 4096, len));
    }
    return build(b).view.header().v4_direct.size;
  };
  const uint32_t large = static_cast<uint32_t>(IocTableBuilder::kV4DirectMinEntries);
  const uint32_t lengths = IocTableBuilder::kV4DirectMinLengths;
  EXPECT_EQ(direct_bytes(100, lengths), 0u);
  EXPECT_EQ(direct_bytes(large, 0), 0u);
  EXPECT_EQ(direct_bytes(large, lengths - 1), 0u);
  EXPECT_EQ(direct_bytes(large, lengths), uint64_t{kV4DirectWords} * 4);
}

TEST(IocTable, DamagedDirectIndexIsRefusedOrMisses) {
  std::vector<std::pair<uint32_t, Ioc>> iocs;
  for (uint32_t host : {1u, 9u}) iocs.emplace_back(0, v4_of(ip("198.51.100.0") | host, 32));
  TwoWays t = build_both(iocs, 1);
  std::vector<uint8_t> copy(t.direct.blob.data(), t.direct.blob.data() + t.direct.blob.size());
  auto* h = reinterpret_cast<Header*>(copy.data());
  IocTableView v;
  std::string err;
  // A direct index of the wrong size is refused even with a freshly sealed header.
  h->v4_direct.size -= 4;
  stamp_identity(*h, "", 0);
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
  EXPECT_NE(err.find("direct index"), std::string::npos) << err;
  h->v4_direct.size += 4;
  stamp_identity(*h, "", 0);
  ASSERT_TRUE(v.attach(copy.data(), copy.size(), &err)) << err;
  // A word naming a runs group past the end (a compiler bug the checksum would seal) misses
  // instead of reading outside the blob.
  auto* words = reinterpret_cast<uint32_t*>(copy.data() + h->v4_direct.offset);
  words[ip("198.51.100.0") >> 8] = kV4DirectRuns | 12345;
  words[ip("198.51.101.0") >> 8] = kV4DirectBlock | 12345;
  ASSERT_TRUE(v.attach(copy.data(), copy.size(), &err, /*verify_checksum=*/false)) << err;
  EXPECT_FALSE(v.lookup_v4(ip("198.51.100.1")).hit());
  EXPECT_FALSE(v.lookup_v4(ip("198.51.101.1")).hit());
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
}

TEST(IocTable, LengthsOrNamesWithoutEntriesAreRefused) {
  // Sealed as the compiler would seal it, but claiming no entries while its IPv6 lengths or
  // name table are present: the lookups would read a filter that is not there.
  IocTableBuilder b;
  const uint32_t f = b.add_feed({"f"});
  b.add(f, v6("2001:db8::1"));
  b.add(f, dom("evil.com"));
  Built t = build(b);
  for (int which = 0; which < 2; ++which) {
    std::vector<uint8_t> copy(t.blob.data(), t.blob.data() + t.blob.size());
    auto* h = reinterpret_cast<Header*>(copy.data());
    (which == 0 ? h->v6_entries : h->domain_entries) = 0;
    stamp_identity(*h, "", 0);
    IocTableView v;
    std::string err;
    EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err)) << which;
    EXPECT_NE(err.find("filter missing"), std::string::npos) << err;
  }
}

TEST(IocTable, BlobWorksAtAnotherAddress) {
  IocTableBuilder b;
  b.add(b.add_feed({"f"}), dom("evil.com"));
  Built t = build(b);
  std::vector<uint8_t> copy(t.blob.data(), t.blob.data() + t.blob.size());
  IocTableView v;
  std::string err;
  ASSERT_TRUE(v.attach(copy.data(), copy.size(), &err)) << err;
  EXPECT_TRUE(v.lookup_domain("a.evil.com", 10).hit());
  EXPECT_STREQ(v.string_at(v.feed(0).name_off), "f");
}

TEST(IocTable, CorruptedOrTruncatedBlobIsRefused) {
  IocTableBuilder b;
  b.add(b.add_feed({"f"}), v4("1.2.3.4"));
  Built t = build(b);
  std::vector<uint8_t> copy(t.blob.data(), t.blob.data() + t.blob.size());
  std::string err;
  IocTableView v;
  EXPECT_FALSE(v.attach(copy.data(), copy.size() - 64, &err));
  copy[copy.size() / 2] ^= 0x40;
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
  EXPECT_NE(err.find("checksum"), std::string::npos) << err;
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(v.lookup_v4(ip("1.2.3.4")).hit());
  copy[copy.size() / 2] ^= 0x40;
  // The identity is sealed: a patched generation or instance is refused, a stamped one read.
  reinterpret_cast<Header*>(copy.data())->generation = 77;
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
  EXPECT_NE(err.find("identity"), std::string::npos) << err;
  stamp_identity(*reinterpret_cast<Header*>(copy.data()), "edge-1", 77);
  ASSERT_TRUE(v.attach(copy.data(), copy.size(), &err)) << err;
  EXPECT_EQ(v.header().generation, 77u);
  EXPECT_STREQ(v.header().instance, "edge-1");
  reinterpret_cast<Header*>(copy.data())->instance[0] = 'X';
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
  stamp_identity(*reinterpret_cast<Header*>(copy.data()), "edge-1", 77);
  reinterpret_cast<Header*>(copy.data())->v4_by_len[32].offset += 8;
  EXPECT_FALSE(v.attach(copy.data(), copy.size(), &err));
}

}  // namespace
}  // namespace iocgate::table
