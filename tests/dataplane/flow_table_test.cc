// tests/dataplane/flow_table_test.cc — the per-worker flow table: one key for both directions
// and any VLAN tags, set-associative buckets that evict the least recently seen flow, and
// (through the classifier) what eviction and reassembly-pool exhaustion do to flows: summaries
// of evicted matched flows, verdicts kept under a flood, buffers returned to the pool, the
// least recently active buffer taken back and its stream then unreadable.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "dataplane/classifier.h"
#include "dataplane/flow_table.h"
#include "dataplane/packet_parser.h"
#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/tls_builder.h"

namespace iocgate {
namespace {

using table::Action;
using test::Bytes;
using test::PacketBuilder;

std::array<uint8_t, 4> a4(const char* s) {
  std::array<uint8_t, 4> a{};
  inet_pton(AF_INET, s, a.data());
  return a;
}
std::array<uint8_t, 16> a6(const char* s) {
  std::array<uint8_t, 16> a{};
  inet_pton(AF_INET6, s, a.data());
  return a;
}

PacketMeta parse(const Bytes& frame) {
  PacketMeta m;
  EXPECT_EQ(parse_packet(frame.data(), static_cast<uint32_t>(frame.size()), m), ParseStatus::kOk);
  return m;
}

FlowKey key_of(const Bytes& frame, bool* src_is_a = nullptr) {
  bool s;
  const FlowKey k = make_flow_key(parse(frame), &s);
  if (src_is_a) *src_is_a = s;
  return k;
}

Bytes tcp4(const char* src, uint16_t sport, const char* dst, uint16_t dport,
           std::vector<std::pair<uint16_t, uint16_t>> tags = {}, uint8_t flags = 0x10,
           uint32_t seq = 1, const Bytes& payload = {}) {
  PacketBuilder b;
  for (auto [tpid, vid] : tags) b.vlan(tpid, vid);
  return b.ipv4(a4(src), a4(dst)).tcp(sport, dport, flags, seq).payload(payload).build();
}

// --- keys -----------------------------------------------------------------------------------

TEST(FlowKey, BothDirectionsMapToOneKey) {
  struct Row {
    const char* what;
    Bytes fwd, rev;
  };
  const std::vector<Row> rows = {
      {"IPv4 TCP, client lower", tcp4("192.0.2.1", 40000, "198.51.100.7", 443),
       tcp4("198.51.100.7", 443, "192.0.2.1", 40000)},
      {"IPv4 TCP, client higher", tcp4("203.0.113.9", 40000, "10.0.0.1", 443),
       tcp4("10.0.0.1", 443, "203.0.113.9", 40000)},
      {"IPv4 UDP, same address both ends: ports decide",
       PacketBuilder().ipv4(a4("127.0.0.1"), a4("127.0.0.1")).udp(5000, 53).build(),
       PacketBuilder().ipv4(a4("127.0.0.1"), a4("127.0.0.1")).udp(53, 5000).build()},
      {"IPv6 UDP", PacketBuilder().ipv6(a6("2001:db8::1"), a6("2001:db8::2")).udp(5353, 53).build(),
       PacketBuilder().ipv6(a6("2001:db8::2"), a6("2001:db8::1")).udp(53, 5353).build()},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.what);
    bool fwd_a = false, rev_a = false;
    const FlowKey kf = key_of(r.fwd, &fwd_a), kr = key_of(r.rev, &rev_a);
    EXPECT_TRUE(kf == kr);
    EXPECT_EQ(hash_flow_key(kf), hash_flow_key(kr));
    EXPECT_EQ(hash_flow_key(kf, 0x5eed), hash_flow_key(kr, 0x5eed)) << "keyed, both directions still meet";
    EXPECT_NE(fwd_a, rev_a) << "src_is_a tells the directions apart";
  }
}

TEST(FlowKey, TheSeedMovesFlowsToOtherBuckets) {
  // Flows that share a bucket unkeyed (what an attacker reading the code can compute) are
  // spread again under another key: only about 1 in 1024 stays together.
  std::vector<FlowKey> keys;
  for (uint16_t port = 1; keys.size() < 64; ++port) {
    bool a = false;
    const FlowKey k = key_of(PacketBuilder().ipv4(a4("10.0.0.1"), a4("203.0.113.9")).tcp(port, 443).build(), &a);
    if ((hash_flow_key(k) & 1023) == 0) keys.push_back(k);
  }
  size_t still_together = 0;
  for (const FlowKey& k : keys) still_together += (hash_flow_key(k, 0x9e3779b97f4a7c15ULL) & 1023) == 0;
  EXPECT_LE(still_together, 3u);
}

TEST(FlowKey, VlanTagsDoNotSplitAFlow) {
  const FlowKey plain = key_of(tcp4("192.0.2.1", 40000, "198.51.100.7", 443));
  const std::vector<Bytes> tagged = {
      tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {{0x8100, 100}}),
      tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {{0x8100, 200}}),
      tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {{0x88a8, 1}, {0x8100, 2}}),
      tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {{0x9100, 3}, {0x8100, 4}}),
  };
  for (size_t i = 0; i < tagged.size(); ++i) EXPECT_TRUE(key_of(tagged[i]) == plain) << i;
}

TEST(FlowKey, DistinctTuplesAreDistinctKeys) {
  const FlowKey base = key_of(tcp4("192.0.2.1", 40000, "198.51.100.7", 443));
  EXPECT_FALSE(key_of(tcp4("192.0.2.1", 40001, "198.51.100.7", 443)) == base) << "client port";
  EXPECT_FALSE(key_of(tcp4("192.0.2.1", 40000, "198.51.100.7", 444)) == base) << "server port";
  EXPECT_FALSE(key_of(tcp4("192.0.2.2", 40000, "198.51.100.7", 443)) == base) << "address";
  EXPECT_FALSE(key_of(PacketBuilder().ipv4(a4("192.0.2.1"), a4("198.51.100.7")).udp(40000, 443).build()) ==
               base)
      << "protocol";
  // A port-swapped tuple between the same hosts is another connection.
  EXPECT_FALSE(key_of(tcp4("192.0.2.1", 443, "198.51.100.7", 40000)) == base);
}

// --- the table alone ------------------------------------------------------------------------

FlowKey numbered_key(uint16_t n) {
  return key_of(tcp4("192.0.2.1", n, "198.51.100.7", 443));
}

TEST(FlowTable, CapacityRoundsUpToWholeBuckets) {
  EXPECT_EQ(FlowTable(0).capacity(), 4u);
  EXPECT_EQ(FlowTable(4).capacity(), 4u);
  EXPECT_EQ(FlowTable(5).capacity(), 4u) << "5 / 4 ways = 1 bucket";
  EXPECT_EQ(FlowTable(100).capacity(), 128u);
  EXPECT_EQ(FlowTable(1u << 16).capacity(), 1u << 16);
}

TEST(FlowTable, FindOrCreateReturnsTheSameFlowForBothDirections) {
  FlowTable t(64);
  const FlowKey k = key_of(tcp4("192.0.2.1", 40000, "198.51.100.7", 443));
  const FlowKey r = key_of(tcp4("198.51.100.7", 443, "192.0.2.1", 40000));
  bool created = false, did_evict = true;
  Flow ev;
  Flow* f = t.find_or_create(k, hash_flow_key(k), 10, &created, &ev, &did_evict);
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(created);
  EXPECT_FALSE(did_evict);
  // A new flow starts clean.
  EXPECT_EQ(f->last_seen, 10u);
  EXPECT_EQ(f->reasm_slot, kNoSlot);
  EXPECT_EQ(f->addr_match, table::kNoMatch);
  EXPECT_EQ(f->l7_match, table::kNoMatch);
  EXPECT_EQ(f->pending_match, table::kNoMatch);
  EXPECT_EQ(f->generation, ~0ULL);
  EXPECT_EQ(f->inspect, static_cast<uint8_t>(Inspect::kFresh));
  EXPECT_EQ(f->matched_packets, 0u);
  EXPECT_EQ(f->in_use, 1);
  EXPECT_EQ(f->name_len, 0);
  EXPECT_EQ(f->unreadable, 0);

  Flow* g = t.find_or_create(r, hash_flow_key(r), 11, &created, &ev, &did_evict);
  EXPECT_EQ(g, f);
  EXPECT_FALSE(created);
  EXPECT_FALSE(did_evict);
  EXPECT_EQ(t.size(), 1u);
}

TEST(FlowTable, FindChangesNothingAndCreateFillsFreeWaysFirst) {
  FlowTable t(4);  // one bucket of four ways
  ASSERT_EQ(t.capacity(), 4u);
  std::vector<FlowKey> keys;
  for (uint16_t i = 0; i < 6; ++i) keys.push_back(key_of(tcp4("192.0.2.1", static_cast<uint16_t>(40000 + i), "198.51.100.7", 443)));
  Flow ev;
  bool did_evict = true, verdict = true;
  EXPECT_EQ(t.find(keys[0], hash_flow_key(keys[0])), nullptr);
  EXPECT_EQ(t.size(), 0u) << "a miss creates nothing";
  std::vector<Flow*> flows;
  for (size_t i = 0; i < 4; ++i) {
    flows.push_back(t.create(keys[i], hash_flow_key(keys[i]), 10 + i, &ev, &did_evict, &verdict));
    EXPECT_FALSE(did_evict);
    EXPECT_FALSE(verdict);
  }
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(t.find(keys[i], hash_flow_key(keys[i])), flows[i]);
  // A full bucket: the least recently seen flow (keys[0]) gives its way to keys[4].
  Flow* f4 = t.create(keys[4], hash_flow_key(keys[4]), 20, &ev, &did_evict, &verdict);
  EXPECT_TRUE(did_evict);
  EXPECT_EQ(f4, flows[0]);
  EXPECT_TRUE(ev.key == keys[0]);
  EXPECT_EQ(t.find(keys[0], hash_flow_key(keys[0])), nullptr) << "the way now holds another key";
  EXPECT_EQ(t.find(keys[4], hash_flow_key(keys[4])), f4);
  // A removed flow's key stays in its way but is not found, and its way is reused first.
  t.remove(*flows[2]);
  EXPECT_EQ(t.find(keys[2], hash_flow_key(keys[2])), nullptr);
  Flow* f5 = t.create(keys[5], hash_flow_key(keys[5]), 30, &ev, &did_evict, &verdict);
  EXPECT_FALSE(did_evict);
  EXPECT_EQ(f5, flows[2]);
  EXPECT_EQ(t.size(), 4u);
}

TEST(FlowTable, KeysDifferingInAnyWordAreDifferentFlows) {
  // The compare is word by word: a key differing only past the first word (ports, protocol,
  // the upper half of an IPv6 address) is another flow.
  const FlowKey base = key_of(tcp4("192.0.2.1", 40000, "198.51.100.7", 443));
  for (size_t byte = 0; byte < sizeof(FlowKey); ++byte) {
    FlowKey k = base;
    reinterpret_cast<uint8_t*>(&k)[byte] ^= 0x40;
    EXPECT_FALSE(k == base) << "byte " << byte;
  }
  FlowTable t(64);
  Flow ev;
  bool did_evict = false;
  FlowKey other = base;
  other.pad[1] = 1;  // a word the hash may not separate by bucket: the compare must
  Flow* f = t.create(base, hash_flow_key(base), 1, &ev, &did_evict);
  EXPECT_EQ(t.find(other, hash_flow_key(base)), nullptr);
  EXPECT_EQ(t.find(base, hash_flow_key(base)), f);
}

TEST(FlowTable, KeyOrderIsTheAddressesNumericOrder) {
  // a is the endpoint whose address sorts lower as a big-endian number (then port).
  bool src_is_a = false;
  FlowKey k = key_of(tcp4("10.0.0.2", 1, "9.255.255.255", 2), &src_is_a);
  EXPECT_FALSE(src_is_a);
  EXPECT_EQ(k.port_a, 2);
  k = key_of(tcp4("10.0.0.2", 5, "10.0.0.2", 4), &src_is_a);
  EXPECT_FALSE(src_is_a) << "same address: the lower port is a";
  PacketBuilder b6;
  b6.ipv6(a6("2001:db8::1:0"), a6("2001:db8::ffff")).tcp(1, 2);
  k = key_of(b6.build(), &src_is_a);
  EXPECT_FALSE(src_is_a) << "IPv6: the low half decides when the high half is equal";
  PacketBuilder c6;
  c6.ipv6(a6("2001:db7:ffff::"), a6("2001:db8::")).tcp(1, 2);
  k = key_of(c6.build(), &src_is_a);
  EXPECT_TRUE(src_is_a);
  EXPECT_EQ(k.a[3], 0xb7);
}

TEST(FlowTable, FullBucketEvictsTheLeastRecentlySeenFlow) {
  struct Row {
    const char* what;
    std::vector<uint64_t> last_seen;  // of the 4 resident flows
    size_t victim;
  };
  const std::vector<Row> rows = {
      {"oldest first", {1, 2, 3, 4}, 0},
      {"oldest last", {9, 8, 7, 2}, 3},
      {"oldest in the middle", {10, 20, 5, 30}, 2},
      {"ties: the first way", {5, 5, 5, 5}, 0},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.what);
    FlowTable t(4);  // one bucket of 4 ways
    std::vector<Flow*> flows;
    bool created, did_evict;
    Flow ev;
    for (uint16_t i = 0; i < 4; ++i) {
      const FlowKey k = numbered_key(1000 + i);
      Flow* f = t.find_or_create(k, hash_flow_key(k), i, &created, &ev, &did_evict);
      EXPECT_TRUE(created);
      EXPECT_FALSE(did_evict) << "free ways are used before anything is evicted";
      f->last_seen = r.last_seen[i];
      f->matched_packets = 100 + i;
      flows.push_back(f);
    }
    EXPECT_EQ(t.size(), 4u);
    const FlowKey nk = numbered_key(2000);
    Flow* nf = t.find_or_create(nk, hash_flow_key(nk), 99, &created, &ev, &did_evict);
    EXPECT_TRUE(created);
    ASSERT_TRUE(did_evict);
    EXPECT_EQ(nf, flows[r.victim]) << "the new flow takes the victim's way";
    EXPECT_TRUE(ev.key == numbered_key(static_cast<uint16_t>(1000 + r.victim)));
    EXPECT_EQ(ev.matched_packets, 100 + r.victim) << "the evicted copy keeps its state";
    EXPECT_EQ(nf->matched_packets, 0u) << "the new flow starts clean";
    EXPECT_TRUE(nf->key == nk);
    EXPECT_EQ(t.size(), 4u);
    // The others are still found; the victim comes back as a new flow.
    for (size_t i = 0; i < 4; ++i) {
      if (i == r.victim) continue;
      const FlowKey k = numbered_key(static_cast<uint16_t>(1000 + i));
      EXPECT_EQ(t.find_or_create(k, hash_flow_key(k), 100, &created, &ev, &did_evict), flows[i]);
      EXPECT_FALSE(created);
    }
  }
}

TEST(FlowTable, EvictionStaysWithinTheBucket) {
  FlowTable t(64);  // 16 buckets
  // Five keys that share a bucket, and some that do not.
  std::vector<FlowKey> same, other;
  const FlowKey first = numbered_key(1);
  const uint64_t bucket = hash_flow_key(first) & 15;
  for (uint16_t p = 1; same.size() < 5 || other.size() < 20; ++p) {
    const FlowKey k = numbered_key(p);
    if ((hash_flow_key(k) & 15) == bucket) {
      if (same.size() < 5) same.push_back(k);
    } else if (other.size() < 20) {
      other.push_back(k);
    }
  }
  bool created, did_evict;
  Flow ev;
  uint64_t now = 1;
  for (size_t i = 0; i < 4; ++i) {
    t.find_or_create(same[i], hash_flow_key(same[i]), now++, &created, &ev, &did_evict);
    EXPECT_FALSE(did_evict);
  }
  // Newer flows elsewhere do not protect the bucket's oldest, nor get evicted for it.
  size_t evictions_elsewhere = 0;
  for (const FlowKey& k : other) {
    t.find_or_create(k, hash_flow_key(k), now++, &created, &ev, &did_evict);
    evictions_elsewhere += did_evict;
  }
  t.find_or_create(same[4], hash_flow_key(same[4]), now++, &created, &ev, &did_evict);
  ASSERT_TRUE(did_evict);
  EXPECT_TRUE(ev.key == same[0]);
  (void)evictions_elsewhere;  // the other buckets may fill up among themselves
}

// --- through the classifier -----------------------------------------------------------------

struct Table {
  table::TableBlob blob;
  table::IocTableView view;
};

// A table with one drop feed of IPv4 hosts and domains.
std::unique_ptr<Table> drop_table_of(const std::vector<std::string>& entries) {
  table::IocTableBuilder b;
  const uint32_t f = b.add_feed(table::FeedMeta{"t", Action::kDrop, "", ""});
  for (const std::string& text : entries) {
    Ioc i;
    if (text.find_first_not_of("0123456789.") == std::string::npos) {
      i.kind = IocKind::kIpv4;
      i.prefix_len = 32;
      inet_pton(AF_INET, text.c_str(), i.addr.data());
    } else {
      i.kind = IocKind::kDomain;
      i.form = IocForm::kDomain;
      i.domain = text;
    }
    b.add(f, i);
  }
  std::string err;
  auto blob = b.build();
  EXPECT_TRUE(blob.ok()) << blob.message();
  auto t = std::make_unique<Table>();
  t->blob = std::move(*blob);
  EXPECT_TRUE(t->view.attach(t->blob.data(), t->blob.size(), &err)) << err;
  return t;
}

const Table& drop_table() {
  static const std::unique_ptr<Table> t = drop_table_of({"203.0.113.66", "evil.com"});
  return *t;
}

Verdict one(Classifier& cls, const Bytes& frame, uint64_t now) {
  const uint8_t* p = frame.data();
  const uint32_t len = static_cast<uint32_t>(frame.size());
  Verdict v = Verdict::kMirror;
  cls.classify_burst(&p, &len, 1, now, &v);
  return v;
}

std::vector<MatchEvent> drain(Classifier& cls) {
  std::vector<MatchEvent> ev;
  MatchEvent e;
  while (cls.events().pop(&e)) ev.push_back(e);
  return ev;
}

std::unique_ptr<Classifier> make(uint32_t flows, uint16_t buffers) {
  ClassifierConfig c;
  c.flow_capacity = flows;
  c.reassembly_buffers = buffers;
  auto cls = std::make_unique<Classifier>(c);
  cls->set_table(&drop_table().view, 1);
  return cls;
}

Bytes hello(const char* sni, bool sni_last) {
  test::ClientHelloSpec s;
  s.sni = sni;
  s.sni_last = sni_last;
  return test::client_hello(s);
}
Bytes head(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + n); }
Bytes tail(const Bytes& b, size_t n) { return Bytes(b.begin() + n, b.end()); }

constexpr uint32_t kSeq = 1000;

TEST(FlowTableClassifier, BothDirectionsAndAnyTagsAreOneFlow) {
  auto cls = make(1024, 4);
  const Bytes h = hello("www.evil.com", false);
  uint64_t now = 1;
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {{0x8100, 10}}, 0x02, kSeq - 1), now++),
            Verdict::kForward);
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {{0x8100, 20}}, 0x12), now++),
            Verdict::kForward);
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {{0x88a8, 1}, {0x8100, 10}}, 0x18, kSeq, h),
                now++),
            Verdict::kDrop);
  // The reply arrives with another tag: same flow, so blocked by the client's SNI.
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {{0x8100, 20}}, 0x18), now++),
            Verdict::kDrop);
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40000), now++), Verdict::kDrop);
  EXPECT_EQ(cls->counters().flows_created, 1u);
  EXPECT_EQ(cls->flows().size(), 1u);
}

TEST(FlowTable, FullBucketEvictsFlowsWithoutAVerdictFirst) {
  struct Row {
    const char* what;
    std::vector<bool> verdict;  // of the 4 resident flows, seen in order (way 0 oldest)
    size_t victim;
    bool victim_held_verdict;
  };
  const std::vector<Row> rows = {
      {"no verdicts: the oldest", {false, false, false, false}, 0, false},
      {"oldest matched: the oldest without a verdict", {true, false, false, false}, 1, false},
      {"only the newest without a verdict: it goes", {true, true, true, false}, 3, false},
      {"every way holds a verdict: the oldest, reported", {true, true, true, true}, 0, true},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.what);
    FlowTable t(4);
    std::vector<Flow*> flows;
    bool created, did_evict, held = false;
    Flow ev;
    for (uint16_t i = 0; i < 4; ++i) {
      const FlowKey k = numbered_key(1000 + i);
      Flow* f = t.find_or_create(k, hash_flow_key(k), i, &created, &ev, &did_evict, &held);
      if (r.verdict[i]) f->l7_match = 7;
      flows.push_back(f);
    }
    const FlowKey nk = numbered_key(2000);
    Flow* nf = t.find_or_create(nk, hash_flow_key(nk), 99, &created, &ev, &did_evict, &held);
    ASSERT_TRUE(did_evict);
    EXPECT_EQ(nf, flows[r.victim]);
    EXPECT_TRUE(ev.key == numbered_key(static_cast<uint16_t>(1000 + r.victim)));
    EXPECT_EQ(held, r.victim_held_verdict);
  }
}

TEST(FlowTable, EachKindOfVerdictIsKept) {
  // matched packets (an address match), a name match, a name seen before its hello was
  // complete, and a stream dropped as unreadable: each is a verdict a re-created flow lacks.
  const std::vector<std::function<void(Flow&)>> verdicts = {
      [](Flow& f) { f.matched_packets = 1; }, [](Flow& f) { f.l7_match = 3; },
      [](Flow& f) { f.pending_match = 3; }, [](Flow& f) { f.unreadable = 1; }};
  for (size_t v = 0; v < verdicts.size(); ++v) {
    SCOPED_TRACE(v);
    FlowTable t(4);
    bool created, did_evict;
    Flow ev;
    for (uint16_t i = 0; i < 4; ++i) {
      const FlowKey k = numbered_key(1000 + i);
      Flow* f = t.find_or_create(k, hash_flow_key(k), i, &created, &ev, &did_evict);
      if (i == 0) verdicts[v](*f);
    }
    for (uint16_t n = 0; n < 50; ++n) {
      const FlowKey k = numbered_key(3000 + n);
      t.find_or_create(k, hash_flow_key(k), 100 + n, &created, &ev, &did_evict);
    }
    const FlowKey k0 = numbered_key(1000);
    t.find_or_create(k0, hash_flow_key(k0), 500, &created, &ev, &did_evict);
    EXPECT_FALSE(created) << "50 newer flows did not evict the flow with the verdict";
  }
}

TEST(FlowTableClassifier, EvictingAMatchedFlowEmitsItsSummary) {
  auto cls = make(4, 4);  // one bucket of four flows
  uint64_t now = 1;
  // Flows 0..3 all match (listed server): a fifth flow must evict one of them.
  for (uint16_t p = 0; p < 4; ++p)
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(one(*cls, tcp4("192.0.2.1", static_cast<uint16_t>(40000 + p), "203.0.113.66", 443), now++),
                Verdict::kDrop);
  auto ev = drain(*cls);
  ASSERT_EQ(ev.size(), 4u);
  EXPECT_EQ(ev[0].type, static_cast<uint8_t>(EventType::kFirstMatch));

  // A fifth flow evicts flow 0 (least recently seen): its summary carries 3 matched packets.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 41000, "198.51.100.7", 443), now), Verdict::kForward);
  EXPECT_EQ(cls->counters().flows_evicted, 1u);
  EXPECT_EQ(cls->counters().flows_evicted_verdict, 1u) << "every way held a verdict: counted";
  EXPECT_EQ(cls->flows().size(), 4u);
  ev = drain(*cls);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].type, static_cast<uint8_t>(EventType::kSummary));
  EXPECT_EQ(ev[0].packets, 3u);
  EXPECT_EQ(ev[0].client_port, 40000);
  EXPECT_EQ(ev[0].server_port, 443);
  EXPECT_EQ(ev[0].kind, static_cast<uint8_t>(MatchKind::kIp));
  EXPECT_EQ(ev[0].time, now);

  // Unmatched flows leave silently: the new unmatched flow is the one evicted next.
  for (uint16_t p = 1; p <= 3; ++p)
    one(*cls, tcp4("192.0.2.1", static_cast<uint16_t>(42000 + p), "198.51.100.7", 443), ++now);
  EXPECT_EQ(cls->counters().flows_evicted, 4u);
  EXPECT_EQ(cls->counters().flows_evicted_verdict, 1u) << "the matched flows 1..3 stayed";
  EXPECT_TRUE(drain(*cls).empty());

  // The evicted flow, seen again, is a new flow: judged again, a new first match.
  EXPECT_EQ(one(*cls, tcp4("203.0.113.66", 443, "192.0.2.1", 40000), ++now), Verdict::kDrop);
  ev = drain(*cls);
  ASSERT_GE(ev.size(), 1u);
  EXPECT_EQ(ev.back().type, static_cast<uint8_t>(EventType::kFirstMatch));
  EXPECT_EQ(ev.back().ioc_side, static_cast<uint8_t>(IocSide::kClient))
      << "the re-created flow's client is whoever sent its first packet since";
}

TEST(FlowTableClassifier, AFloodOfNewFlowsKeepsAnSniVerdict) {
  // The SNI verdict lives in the flow; a full bucket evicts flows without a verdict first,
  // so new flows cannot wash it out and let the rest of the connection through.
  auto cls = make(4, 4);
  uint64_t now = 1;
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {}, 0x18, kSeq, hello("evil.com", false)),
                now++),
            Verdict::kDrop);
  for (uint16_t p = 1; p <= 200; ++p)
    one(*cls, tcp4("192.0.2.1", static_cast<uint16_t>(40000 + p), "198.51.100.9", 443), now++);
  EXPECT_GE(cls->counters().flows_evicted, 190u);
  EXPECT_EQ(cls->counters().flows_evicted_verdict, 0u);
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {}, 0x18), now++), Verdict::kDrop);
}

TEST(FlowTableClassifier, EvictionForgetsAnSniVerdictOnlyWhenEveryWayHoldsOne) {
  // Four flows blocked by SNI fill the bucket: the fifth evicts the oldest of them (counted),
  // and the rest of that connection is a new flow whose first payload is not a hello.
  auto cls = make(4, 4);
  uint64_t now = 1;
  for (uint16_t p = 0; p < 4; ++p)
    EXPECT_EQ(one(*cls, tcp4("192.0.2.1", static_cast<uint16_t>(40000 + p), "198.51.100.7", 443, {}, 0x18, kSeq,
                             hello("evil.com", false)),
                  now++),
              Verdict::kDrop);
  one(*cls, tcp4("192.0.2.1", 41000, "198.51.100.9", 443), now++);
  EXPECT_EQ(cls->counters().flows_evicted_verdict, 1u);
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40000, {}, 0x18), now++), Verdict::kForward);
  EXPECT_EQ(one(*cls, tcp4("198.51.100.7", 443, "192.0.2.1", 40001, {}, 0x18), now++), Verdict::kDrop);
}

TEST(FlowTableClassifier, EvictedFlowReturnsItsReassemblyBuffer) {
  auto cls = make(4, 1);  // one bucket, one reassembly buffer
  const Bytes h = hello("www.evil.com", true);
  uint64_t now = 1;
  // Flow A holds the only buffer with the first bytes of its hello.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {}, 0x18, kSeq, head(h, 100)), now++),
            Verdict::kForward);
  EXPECT_EQ(cls->counters().reasm_started, 1u);
  // Four more flows: the fourth evicts A.
  for (uint16_t p = 1; p <= 4; ++p)
    one(*cls, tcp4("192.0.2.1", static_cast<uint16_t>(40000 + p), "198.51.100.9", 443), now++);
  EXPECT_EQ(cls->counters().flows_evicted, 1u);
  // Flow B buffers its hello with the buffer A gave back: no steal needed.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 50000, "198.51.100.8", 443, {}, 0x18, kSeq, head(h, 100)), now++),
            Verdict::kForward);
  EXPECT_EQ(cls->counters().reasm_started, 2u);
  EXPECT_EQ(cls->counters().reasm_pool_empty, 0u);
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 50000, "198.51.100.8", 443, {}, 0x18, kSeq + 100, tail(h, 100)), now++),
            Verdict::kDrop)
      << "B's reassembly completes in the returned buffer";
  // A's rest arrives: A was evicted, so this is a new flow whose first payload is no hello.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 40000, "198.51.100.7", 443, {}, 0x18, kSeq + 100, tail(h, 100)), now++),
            Verdict::kForward);
}

TEST(FlowTableClassifier, PoolExhaustionStealsTheLeastRecentlyActiveBuffer) {
  struct Row {
    const char* what;
    bool a_sni_first;     // A's SNI is in its first segment (pending when stolen)
    bool drop_unreadable; // [dataplane] unreadable
    Verdict a_rest;       // verdict on A's completing segment after the steal
  };
  const std::vector<Row> rows = {
      {"stolen before its SNI was seen, unreadable = drop: A can no longer be read and is dropped",
       false, true, Verdict::kDrop},
      {"stolen before its SNI was seen, unreadable = pass: A passes unread", false, false, Verdict::kForward},
      {"stolen after its SNI was seen: the pending name decides A", true, true, Verdict::kDrop},
      {"stolen after its SNI was seen, unreadable = pass: the name still decides", true, false, Verdict::kDrop},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.what);
    auto mk = [&] {
      ClassifierConfig c;
      c.flow_capacity = 1024;
      c.reassembly_buffers = 2;
      c.unreadable_drop = r.drop_unreadable;
      auto cls = std::make_unique<Classifier>(c);
      cls->set_table(&drop_table().view, 1);
      return cls;
    };
    auto cls = mk();
    const Bytes ha = hello("a.evil.com", !r.a_sni_first);
    const Bytes hb = hello("b.evil.com", true);
    const Bytes hc = hello("c.evil.com", true);
    const size_t cut = r.a_sni_first ? ha.size() - 20 : 100;
    auto seg = [](uint16_t port, uint32_t seq, const Bytes& data) {
      return tcp4("192.0.2.1", port, "198.51.100.7", 443, {}, 0x18, seq, data);
    };
    uint64_t now = 1;
    EXPECT_EQ(one(*cls, seg(1, kSeq, head(ha, cut)), now++), Verdict::kForward);   // A takes buffer 1
    EXPECT_EQ(one(*cls, seg(2, kSeq, head(hb, 100)), now++), Verdict::kForward);   // B takes buffer 2
    // A is seen again (a retransmission): B is now the least recently active holder.
    EXPECT_EQ(one(*cls, seg(1, kSeq, head(ha, cut)), now++), Verdict::kForward);
    EXPECT_EQ(cls->counters().reasm_pool_empty, 0u);
    // C needs a buffer: B's is taken back, not A's (which was taken first but seen later).
    EXPECT_EQ(one(*cls, seg(3, kSeq, head(hc, 100)), now++), Verdict::kForward);
    EXPECT_EQ(cls->counters().reasm_pool_empty, 1u);
    EXPECT_EQ(cls->counters().reasm_started, 3u);
    EXPECT_EQ(one(*cls, seg(2, kSeq + 100, tail(hb, 100)), now++),
              r.drop_unreadable ? Verdict::kDrop : Verdict::kForward)
        << "B lost its buffer before its SNI: unreadable";
    EXPECT_EQ(one(*cls, seg(3, kSeq + 100, tail(hc, 100)), now++), Verdict::kDrop) << "C completes";
    EXPECT_EQ(one(*cls, seg(1, kSeq + static_cast<uint32_t>(cut), tail(ha, cut)), now++), Verdict::kDrop)
        << "A kept its buffer and completes";
    EXPECT_EQ(cls->counters().unreadable_dropped, r.drop_unreadable ? 1u : 0u);
    EXPECT_EQ(cls->counters().unreadable_passed, r.drop_unreadable ? 0u : 1u);

    // Now both buffers are free again; exhaust them with D and E, then F takes D's.
    auto cls2 = mk();
    now = 1;
    EXPECT_EQ(one(*cls2, seg(10, kSeq, head(ha, cut)), now++), Verdict::kForward);  // D, like A
    EXPECT_EQ(one(*cls2, seg(11, kSeq, head(hb, 100)), now++), Verdict::kForward);  // E
    EXPECT_EQ(one(*cls2, seg(12, kSeq, head(hc, 100)), now++), Verdict::kForward);  // F takes D's
    EXPECT_EQ(cls2->counters().reasm_pool_empty, 1u);
    EXPECT_EQ(one(*cls2, seg(10, kSeq + static_cast<uint32_t>(cut), tail(ha, cut)), now++), r.a_rest);
    EXPECT_EQ(one(*cls2, seg(11, kSeq + 100, tail(hb, 100)), now++), Verdict::kDrop);
    EXPECT_EQ(one(*cls2, seg(12, kSeq + 100, tail(hc, 100)), now++), Verdict::kDrop);
  }
}

TEST(FlowTableClassifier, PartialHelloFloodStaysWithinThePool) {
  // Many more stalled hellos than buffers: each new one takes back the least recently active
  // buffer; the pool never grows, and every stalled stream is dropped as unreadable later.
  auto cls = make(1u << 14, 16);
  const Bytes h = hello("www.evil.com", true);
  uint64_t now = 1;
  for (uint16_t p = 1; p <= 2000; ++p)
    EXPECT_EQ(one(*cls, tcp4("192.0.2.1", p, "198.51.100.7", 443, {}, 0x18, kSeq, head(h, 100)), now++),
              Verdict::kForward);
  EXPECT_EQ(cls->counters().reasm_started, 2000u);
  EXPECT_EQ(cls->counters().reasm_pool_empty, 2000u - 16);
  // A stream whose buffer was taken cannot be read: its rest is dropped.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 1, "198.51.100.7", 443, {}, 0x18, kSeq + 100, tail(h, 100)), now++),
            Verdict::kDrop);
  EXPECT_EQ(cls->counters().unreadable_dropped, 1u);
  EXPECT_EQ(cls->counters().dropped_packets, 0u) << "not an IoC drop";
  // One of the 16 still holding a buffer completes and is judged by its SNI.
  EXPECT_EQ(one(*cls, tcp4("192.0.2.1", 2000, "198.51.100.7", 443, {}, 0x18, kSeq + 100, tail(h, 100)), now++),
            Verdict::kDrop);
  EXPECT_EQ(cls->counters().dropped_packets, 1u);
}

TEST(FlowTableClassifier, ManyFlowsStayWithinCapacity) {
  auto cls = make(256, 4);
  uint64_t now = 1;
  std::set<uint16_t> ports;
  for (uint16_t p = 1; p <= 2000; ++p) one(*cls, tcp4("192.0.2.1", p, "198.51.100.7", 443), now++);
  EXPECT_EQ(cls->counters().flows_created, 2000u);
  EXPECT_LE(cls->flows().size(), cls->flows().capacity());
  EXPECT_EQ(cls->counters().flows_created - cls->counters().flows_evicted, cls->flows().size());
}

}  // namespace
}  // namespace iocgate
