// tests/xdp/xdp_program_test.cc — the XDP program as the kernel runs it (BPF_PROG_TEST_RUN),
// fed from table images built by xdp/table_maps: on random sets of IPv4/IPv6 hosts and
// prefixes of every length and of domains, every probe (inside, on the edges and just outside
// each entry, random ones, look-alike names, VLAN/QinQ, extension headers, fragments, broken
// frames) gets the match value the dataplane's parser and IocTableView give (verdict, action,
// record, kind, generation in its event), counters agree with the probes, the switch between
// generations never mixes them, and fail-closed drops everything.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "tests/xdp/verdict_oracle.h"
#include "tests/xdp/xdp_test_support.h"
#include "xdp/table_maps.h"

namespace iocgate::test {
namespace {

using table::Action;

class XdpProgram : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!may_load_bpf()) GTEST_SKIP() << "loading BPF programs needs root";
    xdp::LoadOptions o;
    o.instance = "xdptest";
    o.flow_capacity = 1 << 17;
    auto l = xdp::XdpLoader::load(o);
    ASSERT_TRUE(l.ok()) << l.message();
    loader_ = std::move(*l);
  }

  void install(const TableSpec& spec, uint64_t generation) {
    blob_ = spec.build();
    std::string err;
    ASSERT_TRUE(view_.attach(blob_.data(), blob_.size(), &err)) << err;
    auto r = loader_->install(view_, generation);
    ASSERT_TRUE(r.ok()) << r.message();
    generation_ = generation;
  }

  // Runs the frame; checks the verdict and the event against the oracle. Each probe must be a
  // flow of its own (callers vary a port), so a match yields exactly one first-match event.
  void probe(const Bytes& frame, const std::string& what) {
    const Expected want = expected_verdict(view_, frame.data(), frame.size());
    const int got = run_frame(loader_->xdp_prog_fd(), frame);
    ASSERT_GE(got, 0) << what;
    // reject drops without an answer on the XDP path.
    const bool drops = want.action() == Action::kDrop || want.action() == Action::kReject;
    EXPECT_EQ(got, drops ? XDP_DROP : XDP_PASS) << what;
    const auto events = drain_events(*loader_);
    if (want.value == table::kNoMatch) {
      EXPECT_TRUE(events.empty()) << what << ": unexpected event, match " << (events.empty() ? 0 : events[0].match);
    } else {
      ASSERT_EQ(events.size(), 1u) << what;
      EXPECT_EQ(events[0].match, want.value) << what;
      EXPECT_EQ(events[0].kind, want.kind) << what;
      EXPECT_EQ(events[0].generation, generation_) << what;
      EXPECT_EQ(events[0].type, 0) << what;
    }
    // The next probe starts a new flow whatever its ports (GRE has none).
    loader_->sweep_flows(0, [](const iocgate_xdp_event&) {});
    ++tally_[static_cast<int>(want.action())];
    if (want.kind == 2) ++dns_;
    else if (want.kind == 1) ++(want.v6 ? v6_ : v4_);
    ++probes_;
  }

  void expect_counters_match(const iocgate_xdp_counters& before) {
    const iocgate_xdp_counters c = loader_->counters();
    EXPECT_EQ(c.rx_packets - before.rx_packets, probes_);
    const auto at = [&](Action a) { return tally_[static_cast<int>(a)]; };
    EXPECT_EQ(c.dropped - before.dropped, at(Action::kDrop) + at(Action::kReject));
    EXPECT_EQ(c.rejected - before.rejected, at(Action::kReject));
    EXPECT_EQ(c.alerted - before.alerted, at(Action::kAlert));
    EXPECT_EQ(c.mirrored - before.mirrored, at(Action::kMirror));
    EXPECT_EQ(c.allowed - before.allowed, at(Action::kAllow));
    EXPECT_EQ(c.passed - before.passed, probes_ - at(Action::kDrop) - at(Action::kReject));
    EXPECT_EQ(c.match_v4 - before.match_v4, v4_);
    EXPECT_EQ(c.match_v6 - before.match_v6, v6_);
    EXPECT_EQ(c.match_dns - before.match_dns, dns_);
    EXPECT_EQ(c.events_lost - before.events_lost, 0u);
  }

  std::unique_ptr<xdp::XdpLoader> loader_;
  table::TableBlob blob_;
  table::IocTableView view_;
  uint64_t generation_ = 0;
  uint64_t tally_[static_cast<int>(Action::kAllow) + 1] = {};
  uint64_t v4_ = 0, v6_ = 0, dns_ = 0, probes_ = 0;
  uint16_t port_ = 1024;
};

Action random_action(std::mt19937_64& r) {
  const uint32_t p = r() % 100;
  return p < 45 ? Action::kDrop
         : p < 55 ? Action::kReject
         : p < 75 ? Action::kAlert
         : p < 88 ? Action::kMirror
                  : Action::kAllow;
}

TEST_F(XdpProgram, Ipv4HostsAndPrefixesOfEveryLengthAgreeWithTheView) {
  std::mt19937_64 r(18);
  TableSpec spec;
  std::vector<std::pair<uint32_t, uint8_t>> entries;
  // Every length from /1 to /32: one /1, /2 and /3 over the top half of the space (so entries
  // there inherit their actions), the rest anywhere but 10/8, where the other ends live; below
  // /12 only in the top half, so the bottom half keeps unlisted space.
  spec.v4(Action::kAlert, {128, 0, 0, 0}, 1);
  spec.v4(Action::kMirror, {192, 0, 0, 0}, 2);
  spec.v4(Action::kDrop, {224, 0, 0, 0}, 3);
  entries.push_back({0x80000000u, 1});
  entries.push_back({0xc0000000u, 2});
  entries.push_back({0xe0000000u, 3});
  for (int i = 0; i < 3000; ++i) {
    const uint8_t len = i % 4 == 0 ? static_cast<uint8_t>(4 + r() % 29) : i % 4 == 1 ? static_cast<uint8_t>(16 + r() % 17) : 32;
    uint32_t a = static_cast<uint32_t>(r());
    if (i % 50 == 0 && !entries.empty()) a = entries[r() % entries.size()].first ^ static_cast<uint32_t>(r() % 256);
    if ((a >> 24) == 10) a ^= 0x01000000u;
    if (len < 12) a |= 0x80000000u;  // wide prefixes only in the top half
    spec.v4(random_action(r), v4_bytes(a), len);
    entries.push_back({a & (~0u << (32 - len)), len});
  }
  install(spec, 7);
  const iocgate_xdp_counters before = loader_->counters();
  auto frame = [&](uint32_t addr, bool as_src) {
    PacketBuilder b;
    const auto other = v4_bytes(0x0a000000u | (static_cast<uint32_t>(r()) & 0xffffu));  // 10/16: unlisted
    if (as_src) b.ipv4(v4_bytes(addr), other);
    else b.ipv4(other, v4_bytes(addr));
    if (r() % 2) b.udp(port_++, 443);
    else b.tcp(port_++, 443, 0x02);
    return b.payload("x").build();
  };
  for (const auto& [base, len] : entries) {
    const uint64_t size = len == 0 ? (1ull << 32) : (1ull << (32 - len));
    const uint32_t inside = static_cast<uint32_t>(base + (size > 1 ? r() % size : 0));
    for (uint32_t a : {base, inside, static_cast<uint32_t>(base + size - 1), static_cast<uint32_t>(base - 1),
                       static_cast<uint32_t>(base + size)})
      probe(frame(a, r() % 2), "IPv4 " + std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
                                   std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + " near /" +
                                   std::to_string(len));
    if (HasFailure()) return;
  }
  for (int i = 0; i < 4000; ++i) probe(frame(static_cast<uint32_t>(r()), r() % 2), "random IPv4");
  // Both ends listed: the stronger action decides, allow above all; a tie names the lower end.
  for (int i = 0; i < 500; ++i) {
    const auto& x = entries[r() % entries.size()];
    const auto& y = entries[r() % entries.size()];
    probe(PacketBuilder().ipv4(v4_bytes(x.first), v4_bytes(y.first)).udp(port_++, 80).build(), "two listed ends");
  }
  expect_counters_match(before);
  EXPECT_GT(tally_[static_cast<int>(Action::kDrop)], 1000u);
  EXPECT_GT(tally_[static_cast<int>(Action::kReject)], 100u);
  EXPECT_GT(tally_[static_cast<int>(Action::kAllow)], 100u);
  EXPECT_GT(tally_[static_cast<int>(Action::kNone)], 1000u);
}

TEST_F(XdpProgram, Ipv6HostsAndPrefixesOfEveryLengthAgreeWithTheView) {
  std::mt19937_64 r(19);
  TableSpec spec;
  struct E {
    std::array<uint8_t, 16> a;
    uint8_t len;
  };
  std::vector<E> entries;
  for (int i = 0; i < 2000; ++i) {
    std::array<uint8_t, 16> a;
    for (auto& b : a) b = static_cast<uint8_t>(r());
    a[0] = 0x20 | (a[0] & 0x0f);
    const uint8_t len = i % 3 == 0 ? static_cast<uint8_t>(16 + r() % 113) : i % 3 == 1 ? 64 : 128;
    if (i % 40 == 0 && !entries.empty()) {
      a = entries[r() % entries.size()].a;
      a[15] ^= static_cast<uint8_t>(r());
    }
    spec.v6(random_action(r), a, len);
    for (int bit = len; bit < 128; ++bit) a[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    entries.push_back({a, len});
  }
  install(spec, 8);
  const iocgate_xdp_counters before = loader_->counters();
  const std::array<uint8_t, 16> unlisted = {0xfd, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  auto frame = [&](std::array<uint8_t, 16> a, bool as_src) {
    PacketBuilder b;
    if (as_src) b.ipv6(a, unlisted);
    else b.ipv6(unlisted, a);
    return b.tcp(port_++, 443, 0x02).build();
  };
  for (const E& e : entries) {
    std::array<uint8_t, 16> in = e.a, edge_lo = e.a, below = e.a, above = e.a;
    for (int bit = e.len; bit < 128; ++bit)
      if (r() % 2) in[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
    // One below the prefix's first address, one past its last: flip the last prefix bit's neighbourhood.
    auto add = [](std::array<uint8_t, 16>& x, int delta) {
      for (int i = 15; i >= 0; --i) {
        const int v = x[i] + delta;
        x[i] = static_cast<uint8_t>(v);
        if (v >= 0 && v <= 255) break;
        delta = v < 0 ? -1 : 1;
      }
    };
    add(below, -1);
    if (e.len < 128) {
      for (int bit = e.len; bit < 128; ++bit) above[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
    }
    add(above, 1);
    for (const auto& a : {edge_lo, in, below, above}) probe(frame(a, r() % 2), "IPv6 near /" + std::to_string(e.len));
    if (HasFailure()) return;
  }
  for (int i = 0; i < 3000; ++i) {
    std::array<uint8_t, 16> a;
    for (auto& b : a) b = static_cast<uint8_t>(r());
    probe(frame(a, r() % 2), "random IPv6");
  }
  expect_counters_match(before);
  EXPECT_GT(v6_, 3000u);
}

std::string random_label(std::mt19937_64& r, size_t min, size_t max) {
  const size_t n = min + r() % (max - min + 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += "abcdefghijklmnopqrstuvwxyz0123456789-"[i == 0 ? r() % 26 : r() % 37];
  return s;
}

TEST_F(XdpProgram, DnsQuestionNamesMatchOnLabelBoundariesOnly) {
  std::mt19937_64 r(53);
  TableSpec spec;
  std::vector<std::string> names;
  const char* tlds[] = {"com", "net", "org", "example", "co.uk", "vn"};
  for (int i = 0; i < 3000; ++i) {
    std::string d = random_label(r, 1, 20) + "." + tlds[r() % 6];
    if (r() % 4 == 0) d = random_label(r, 1, 10) + "." + d;
    names.push_back(d);
    spec.domain(random_action(r), d);
  }
  // A listed parent and a more specific listed child with another action: the child decides.
  spec.domain(Action::kDrop, "evil.example");
  spec.domain(Action::kAllow, "safe.evil.example");
  spec.domain(Action::kAlert, "x.y.z.deep.example");
  // The longest name a question can carry: 253 characters.
  std::string longest;
  while (longest.size() < 240) longest += random_label(r, 8, 8) + ".";
  longest += std::string(253 - longest.size() - 4, 'q') + ".com";
  ASSERT_EQ(longest.size(), 253u);
  spec.domain(Action::kDrop, longest);
  spec.v4(Action::kAlert, {203, 0, 113, 66}, 32);  // to see a DNS match beat an address match
  install(spec, 9);
  const iocgate_xdp_counters before = loader_->counters();
  auto query = [&](const Bytes& msg, bool response, bool listed_server = false) {
    PacketBuilder b;
    const std::array<uint8_t, 4> server = listed_server ? std::array<uint8_t, 4>{203, 0, 113, 66}
                                                        : std::array<uint8_t, 4>{198, 51, 100, 53};
    Bytes m = msg;
    if (response) m[2] |= 0x80;
    if (response) b.ipv4(server, {10, 0, 0, 2}).udp(53, port_++);
    else b.ipv4({10, 0, 0, 2}, server).udp(port_++, 53);
    return b.payload(m).build();
  };
  auto upper = [&](std::string s) {
    for (char& c : s)
      if (c >= 'a' && c <= 'z' && r() % 2) c = static_cast<char>(c - 32);
    return s;
  };
  for (const std::string& n : names) {
    for (const std::string& q : {n, "www." + n, random_label(r, 1, 5) + "." + random_label(r, 1, 5) + "." + n,
                                 "not" + n, n + ".org", n.substr(1), upper(n), n.substr(0, n.rfind('.'))})
      probe(query(dns_query(q), r() % 2), "DNS " + q);
    if (HasFailure()) return;
  }
  for (const std::string& q : {std::string("evil.example"), std::string("a.evil.example"), std::string("safe.evil.example"),
                               std::string("a.safe.evil.example"), std::string("notevil.example"),
                               std::string("evil.example.org"), std::string("deep.example"), std::string("z.deep.example"),
                               std::string("x.y.z.deep.example"), std::string("w.x.y.z.deep.example"), longest,
                               longest.substr(1)})
    probe(query(dns_query(q), false), "DNS " + q);
  // The name over an address match: DNS wins ties and stronger actions, the address otherwise.
  probe(query(dns_query("evil.example"), false, true), "listed name to listed server");
  probe(query(dns_query("good.example"), false, true), "unlisted name to listed server");
  // Questions the dataplane does not read are not read here either.
  Bytes compressed = dns_header(1);
  compressed.push_back(0xc0);
  compressed.push_back(0x0c);
  put32(compressed, 0x00010001);
  probe(query(compressed, false), "compression pointer");
  probe(query(dns_query_labels({"evil", "exam.ple"}), false), "a dot inside a label");
  probe(query(dns_query_labels({"ev", std::string("i\0l", 3), "example"}), false), "a NUL inside a label");
  Bytes no_qtype = dns_query("evil.example");
  no_qtype.resize(no_qtype.size() - 3);
  probe(query(no_qtype, false), "question cut before QTYPE");
  Bytes zero_qd = dns_query("evil.example");
  zero_qd[5] = 0;
  probe(query(zero_qd, false), "QDCOUNT 0");
  probe(query(dns_query(longest + "x"), false), "254 characters");
  probe(query(dns_query_labels({std::string(64, 'a'), "evil", "example"}), false), "a 64-byte label");
  probe(query(dns_query(""), false), "the root name");
  probe(query(Bytes(5, 0), false), "5 bytes of DNS");
  // DNS over TCP is the dataplane's (reassembly): not judged here, nor by the oracle.
  probe(PacketBuilder().ipv4({10, 0, 0, 2}, {198, 51, 100, 53}).tcp(port_++, 53).payload(dns_query("evil.example")).build(),
        "DNS over TCP");
  // Random bytes after a DNS header.
  for (int i = 0; i < 2000; ++i) {
    Bytes m = dns_header(1);
    const size_t n = r() % 300;
    for (size_t k = 0; k < n; ++k) m.push_back(r() % 4 == 0 ? static_cast<uint8_t>(r() % 64) : static_cast<uint8_t>(r()));
    probe(query(m, r() % 2), "random question");
  }
  expect_counters_match(before);
  EXPECT_GT(dns_, 3000u);
}

TEST_F(XdpProgram, VlanQinqExtensionHeadersFragmentsAndBrokenFramesAgreeWithTheDataplane) {
  std::mt19937_64 r(802);
  TableSpec spec;
  spec.v4(Action::kDrop, {203, 0, 113, 66}, 32);
  spec.v4(Action::kAlert, {198, 18, 0, 0}, 15);
  spec.v6(Action::kDrop, {0x20, 0x01, 0x0d, 0xb8, 0, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66}, 128);
  spec.v6(Action::kMirror, {0x20, 0x01, 0x0d, 0xb8, 0, 0x82}, 48);
  spec.domain(Action::kDrop, "evil.example");
  install(spec, 10);
  const iocgate_xdp_counters before = loader_->counters();
  const std::array<uint8_t, 4> v4s[] = {{203, 0, 113, 66}, {203, 0, 113, 67}, {198, 19, 7, 1}, {10, 1, 1, 1}};
  const std::array<uint8_t, 16> v6s[] = {{0x20, 0x01, 0x0d, 0xb8, 0, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x66},
                                         {0x20, 0x01, 0x0d, 0xb8, 0, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x67},
                                         {0x20, 0x01, 0x0d, 0xb8, 0, 0x82, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1},
                                         {0xfd, 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  const uint16_t tpids[] = {0x8100, 0x88a8, 0x9100};
  uint64_t frags = 0;
  for (int i = 0; i < 6000; ++i) {
    PacketBuilder b;
    const int tags = r() % 10 == 0 ? static_cast<int>(r() % 10) : static_cast<int>(r() % 3);
    for (int t = 0; t < tags; ++t) b.vlan(tpids[r() % 3], static_cast<uint16_t>(r() % 4096));
    const bool v6 = r() % 2;
    if (v6) {
      b.ipv6(v6s[r() % 4], v6s[r() % 4]);
      const int exts = r() % 5 == 0 ? static_cast<int>(r() % 11) : static_cast<int>(r() % 3);
      for (int e = 0; e < exts; ++e) {
        switch (r() % 5) {
          case 0: b.ipv6_ext(0, static_cast<uint8_t>(r() % 4)); break;
          case 1: b.ipv6_ext(43, static_cast<uint8_t>(r() % 3)); break;
          case 2: b.ipv6_ext(60, static_cast<uint8_t>(r() % 30)); break;
          case 3: b.ipv6_ah(static_cast<uint8_t>(r() % 6)); break;
          default: b.ipv6_fragment(static_cast<uint16_t>(r() % 3), r() % 2); break;
        }
      }
    } else {
      b.ipv4(v4s[r() % 4], v4s[r() % 4]);
      if (r() % 5 == 0) b.ipv4_options(Bytes(static_cast<size_t>(r() % 40), 1));
      if (r() % 6 == 0) b.ipv4_fragment(static_cast<uint16_t>(r() % 3), r() % 2);
    }
    if (r() % 3 == 0) b.udp(port_++, 53).payload(dns_query(r() % 2 ? "evil.example" : "good.example"));
    else if (r() % 2) b.tcp(port_++, 80).payload("GET / HTTP/1.1\r\n\r\n");
    else b.protocol(47).payload("gre");
    Bytes f = b.build();
    // Every fourth frame is broken on purpose: cut short, or a byte changed.
    if (i % 4 == 1 && f.size() > 15) f.resize(14 + r() % (f.size() - 14));
    if (i % 4 == 2) f[14 + r() % (f.size() - 14)] = static_cast<uint8_t>(r());
    PacketMeta m;
    parse_packet(f.data(), static_cast<uint32_t>(f.size()), m);
    frags += m.is_fragment && m.ip_version != 0;
    probe(f, "frame " + std::to_string(i));
    if (HasFailure()) return;
  }
  expect_counters_match(before);
  EXPECT_EQ(loader_->counters().fragments - before.fragments, frags);
  EXPECT_GT(frags, 100u);
}

TEST_F(XdpProgram, EventsNameClientServerSidePortsAndVlanAndSummariesCountPackets) {
  TableSpec spec;
  spec.v4(Action::kDrop, {203, 0, 113, 66}, 32);
  spec.domain(Action::kAlert, "evil.example");
  install(spec, 11);
  // The inside client opens a TCP connection to the listed server, on VLAN 42 in QinQ.
  const Bytes syn = PacketBuilder().vlan(0x88a8, 42).vlan(0x8100, 7).ipv4({10, 0, 0, 2}, {203, 0, 113, 66})
                        .tcp(40000, 443, 0x02).build();
  const Bytes synack = PacketBuilder().vlan(0x88a8, 42).vlan(0x8100, 7).ipv4({203, 0, 113, 66}, {10, 0, 0, 2})
                           .tcp(443, 40000, 0x12).build();
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), syn), XDP_DROP);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), synack), XDP_DROP);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), syn), XDP_DROP);
  auto ev = drain_events(*loader_);
  ASSERT_EQ(ev.size(), 1u) << "one event per flow, not per packet";
  const iocgate_xdp_event& e = ev[0];
  EXPECT_EQ(e.kind, 1);
  EXPECT_EQ(e.ioc_side, 2) << "the server is the IoC";
  EXPECT_EQ(e.ip_version, 4);
  EXPECT_EQ(e.proto, 6);
  EXPECT_EQ(e.vlan, 42);
  EXPECT_EQ(e.vlan_count, 2);
  EXPECT_EQ(e.client_port, 40000);
  EXPECT_EQ(e.server_port, 443);
  EXPECT_EQ(std::vector<uint8_t>(e.client, e.client + 4), (std::vector<uint8_t>{10, 0, 0, 2}));
  EXPECT_EQ(std::vector<uint8_t>(e.server, e.server + 4), (std::vector<uint8_t>{203, 0, 113, 66}));
  EXPECT_EQ(table::Match{e.match}.action(), Action::kDrop);
  EXPECT_EQ(view_.describe(table::Match{e.match}.record()), "203.0.113.66");
  // The listed host opens a connection inbound: it is the client and the IoC.
  const Bytes in_syn = PacketBuilder().ipv4({203, 0, 113, 66}, {10, 0, 0, 2}).tcp(51000, 22, 0x02).build();
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), in_syn), XDP_DROP);
  ev = drain_events(*loader_);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].ioc_side, 1);
  EXPECT_EQ(ev[0].client_port, 51000);
  // A DNS reply seen first (the query went another way): the client is the receiver.
  const Bytes reply = PacketBuilder().ipv4({198, 51, 100, 53}, {10, 0, 0, 9}).udp(53, 33333)
                          .payload([] { Bytes m = dns_query("www.evil.example"); m[2] |= 0x80; return m; }()).build();
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), reply), XDP_PASS);
  ev = drain_events(*loader_);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, 2);
  EXPECT_EQ(ev[0].ioc_side, 0);
  EXPECT_EQ(ev[0].client_port, 33333);
  EXPECT_EQ(view_.describe(table::Match{ev[0].match}.record()), "evil.example");
  // Summaries: one per matched flow, with its matched packets.
  std::map<uint16_t, uint32_t> packets;
  EXPECT_EQ(loader_->sweep_flows(0, [&](const iocgate_xdp_event& s) {
    EXPECT_EQ(s.type, 1);
    packets[s.client_port] = s.packets;
  }), 3u);
  EXPECT_EQ(packets[40000], 3u);
  EXPECT_EQ(packets[51000], 1u);
  EXPECT_EQ(packets[33333], 1u);
  EXPECT_EQ(loader_->flow_count(), 0u);
}

TEST_F(XdpProgram, AStrongerActionLaterInAFlowIsReportedAgain) {
  TableSpec spec;
  spec.v4(Action::kAlert, {203, 0, 113, 70}, 32);
  spec.domain(Action::kDrop, "evil.example");
  install(spec, 12);
  const Bytes q1 = PacketBuilder().ipv4({10, 0, 0, 2}, {203, 0, 113, 70}).udp(5000, 53).payload(dns_query("good.example")).build();
  const Bytes q2 = PacketBuilder().ipv4({10, 0, 0, 2}, {203, 0, 113, 70}).udp(5000, 53).payload(dns_query("evil.example")).build();
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), q1), XDP_PASS);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), q1), XDP_PASS);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), q2), XDP_DROP);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), q2), XDP_DROP);
  const auto ev = drain_events(*loader_);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, 1);
  EXPECT_EQ(table::Match{ev[0].match}.action(), Action::kAlert);
  EXPECT_EQ(ev[1].kind, 2);
  EXPECT_EQ(table::Match{ev[1].match}.action(), Action::kDrop);
}

TEST_F(XdpProgram, WithoutATableItPassesOrFailsClosed) {
  const Bytes f = PacketBuilder().ipv4().udp(1, 2).build();
  iocgate_xdp_counters c0 = loader_->counters();
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), XDP_PASS) << "a fresh appliance passes";
  ASSERT_TRUE(loader_->set_settings(true, 0, 0).ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), XDP_DROP);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), PacketBuilder().ethertype(0x0806).payload("arp").build()), XDP_DROP)
      << "fail-closed drops everything";
  iocgate_xdp_counters c1 = loader_->counters();
  EXPECT_EQ(c1.dropped_no_table - c0.dropped_no_table, 2u);
  // A table ends fail-closed once it is installed and the flag is cleared (the follower does both).
  TableSpec spec;
  spec.v4(Action::kDrop, {203, 0, 113, 66}, 32);
  install(spec, 13);
  ASSERT_TRUE(loader_->set_settings(false, 0, 0).ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), XDP_PASS);
  ASSERT_TRUE(loader_->set_settings(true, 0, 0).ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), XDP_PASS) << "fail-closed applies only without a table";
  ASSERT_TRUE(loader_->clear().ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), XDP_DROP);
}

TEST_F(XdpProgram, AlertAndMirrorFramesCarryTheMarkOnlyWhenOneIsSet) {
  TableSpec spec;
  spec.v4(Action::kAlert, {203, 0, 113, 1}, 32);
  spec.v4(Action::kMirror, {203, 0, 113, 2}, 32);
  spec.v4(Action::kDrop, {203, 0, 113, 3}, 32);
  install(spec, 14);
  auto to = [&](uint8_t last) { return PacketBuilder().ipv4({10, 0, 0, 2}, {203, 0, 113, last}).udp(port_++, 9).build(); };
  const uint64_t m0 = loader_->counters().marked;
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(1)), XDP_PASS);
  EXPECT_EQ(loader_->counters().marked, m0) << "no mark configured";
  ASSERT_TRUE(loader_->set_settings(false, 0x100, 0).ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(1)), XDP_PASS);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(2)), XDP_PASS);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(3)), XDP_DROP);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(9)), XDP_PASS);
  EXPECT_EQ(loader_->counters().marked, m0 + 1) << "alert marked; mirror has no mark set; drop and unlisted none";
  ASSERT_TRUE(loader_->set_settings(false, 0x100, 0x200).ok());
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), to(2)), XDP_PASS);
  EXPECT_EQ(loader_->counters().marked, m0 + 2);
}

// The switch under load: one thread judges frames without pause while the other installs two
// tables in turn. Each event must be consistent with the generation it names; a frame judged
// by a mix of both images would carry a match neither table gives it.
TEST_F(XdpProgram, TheSwitchNeverMixesGenerations) {
  TableSpec a, b;
  a.v4(Action::kDrop, {203, 0, 113, 1}, 32);
  a.v6(Action::kAlert, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128);
  a.domain(Action::kDrop, "one.example");
  b.v4(Action::kAlert, {203, 0, 113, 2}, 32);
  b.v6(Action::kDrop, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}, 128);
  b.domain(Action::kAllow, "two.example");
  for (int i = 0; i < 2000; ++i) {  // bulk, so each switch copies a real image
    a.v4(Action::kDrop, v4_bytes(0xc6120000u + static_cast<uint32_t>(i)), 32);
    b.domain(Action::kDrop, "bulk" + std::to_string(i) + ".example");
  }
  table::TableBlob ba = a.build(), bb = b.build();
  table::IocTableView va, vb;
  std::string err;
  ASSERT_TRUE(va.attach(ba.data(), ba.size(), &err));
  ASSERT_TRUE(vb.attach(bb.data(), bb.size(), &err));
  ASSERT_TRUE(loader_->install(va, 1).ok());
  // A frame listed in both tables, differently: v4 203.0.113.1 -> .2, question one.example.
  const Bytes f = PacketBuilder().ipv4({203, 0, 113, 1}, {203, 0, 113, 2}).udp(4000, 53)
                      .payload(dns_query("one.example")).build();
  const Expected want[2] = {expected_verdict(va, f.data(), f.size()), expected_verdict(vb, f.data(), f.size())};
  ASSERT_NE(want[0].value, want[1].value);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> judged{0};
  uint64_t per_gen[3] = {};
  std::string bad;
  std::thread judge([&] {
    // Each frame its own flow (the source port), so each yields one event.
    Bytes g = f;
    const size_t sport_at = g.size() - dns_query("one.example").size() - 8;
    for (uint32_t i = 0; !stop.load(); ++i) {
      g[sport_at] = static_cast<uint8_t>(i >> 8);
      g[sport_at + 1] = static_cast<uint8_t>(i);
      if (i % 65536 == 65535) loader_->sweep_flows(0, [](const iocgate_xdp_event&) {});
      const int v = run_frame(loader_->xdp_prog_fd(), g);
      for (const iocgate_xdp_event& e : drain_events(*loader_)) {
        if (e.generation < 1 || e.generation > 2 || e.match != want[e.generation - 1].value ||
            v != (want[e.generation - 1].action() == Action::kDrop ? XDP_DROP : XDP_PASS)) {
          bad = "generation " + std::to_string(e.generation) + " match " + std::to_string(e.match) + " verdict " +
                std::to_string(v);
          stop.store(true);
        }
        ++per_gen[e.generation];
      }
      judged.fetch_add(1);
    }
  });
  for (int s = 0; s < 40 && !stop.load(); ++s) {
    auto r = loader_->install(s % 2 == 0 ? vb : va, s % 2 == 0 ? 2 : 1);
    if (!r.ok()) {
      ADD_FAILURE() << r.message();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop.store(true);
  judge.join();
  EXPECT_EQ(bad, "");
  EXPECT_GT(per_gen[1], 0u);
  EXPECT_GT(per_gen[2], 0u);
  // After install() returns, the very next frame is judged by the new generation.
  ASSERT_TRUE(loader_->install(vb, 2).ok());
  loader_->sweep_flows(0, [](const iocgate_xdp_event&) {});
  drain_events(*loader_);
  EXPECT_EQ(run_frame(loader_->xdp_prog_fd(), f), want[1].action() == Action::kDrop ? XDP_DROP : XDP_PASS);
  auto ev = drain_events(*loader_);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].generation, 2u);
}

TEST(XdpLoader, RefusesToAttachWhereAnotherProgramRunsAndToNamesThatDoNotExist) {
  if (!may_load_bpf()) GTEST_SKIP() << "needs root";
  xdp::LoadOptions o;
  o.instance = "xdptest";
  auto l = xdp::XdpLoader::load(o);
  ASSERT_TRUE(l.ok()) << l.message();
  auto a = (*l)->attach("iocgate-nope0", xdp::AttachMode::kNative, false, false);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.message().find("iocgate-nope0"), std::string::npos) << a.message();
}

}  // namespace
}  // namespace iocgate::test
