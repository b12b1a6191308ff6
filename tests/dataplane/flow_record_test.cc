// tests/dataplane/flow_record_test.cc — the flow records a classifier hands to its flow ring:
// when each is made (end, idle, active, eviction, shutdown, a new name), what it holds
// (endpoints, ports, counters per direction, flags, VLAN, names, DNS answers, the verdict),
// what the idle timeout removes and what it must keep (a verdict), and that a full ring
// counts instead of blocking. Clock units are arbitrary here: the config says how many.

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "control/ioc_table_builder.h"
#include "dataplane/classifier.h"
#include "table/ioc_table_view.h"
#include "tests/dataplane/dns_builder.h"
#include "tests/dataplane/packet_builder.h"
#include "tests/dataplane/tls_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::PacketBuilder;

// Timeouts of the classifiers below, in clock units.
constexpr uint64_t kIdle = 60'000, kActive = 300'000, kLinger = 2'000, kSweep = 1'000;

ClassifierConfig config(uint32_t flows = 1024) {
  ClassifierConfig c;
  c.flow_capacity = flows;
  c.reassembly_buffers = 16;
  c.fragment_contexts = 16;
  c.name_log_bytes = 1u << 16;
  c.idle_timeout = kIdle;
  c.active_timeout = kActive;
  c.end_linger = kLinger;
  c.sweep_period = kSweep;
  c.flush_wait = 0;
  return c;
}

bool v6(const std::string& s) { return s.find(':') != std::string::npos; }

PacketBuilder ip(const std::string& src, const std::string& dst, uint16_t vlan = 0) {
  PacketBuilder b;
  if (vlan != 0) b.vlan(0x8100, vlan);
  if (v6(src)) {
    std::array<uint8_t, 16> s{}, d{};
    inet_pton(AF_INET6, src.c_str(), s.data());
    inet_pton(AF_INET6, dst.c_str(), d.data());
    b.ipv6(s, d);
  } else {
    std::array<uint8_t, 4> s{}, d{};
    inet_pton(AF_INET, src.c_str(), s.data());
    inet_pton(AF_INET, dst.c_str(), d.data());
    b.ipv4(s, d);
  }
  return b;
}

std::string text(uint8_t version, const uint8_t* a) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(version == 4 ? AF_INET : AF_INET6, a, buf, sizeof buf);
  return buf;
}

// A TCP connection with running sequence numbers.
struct Conn {
  std::string client, server;
  uint16_t cport, sport, vlan = 0;
  uint32_t cseq = 1000, sseq = 9000;
  Bytes seg(bool from_client, uint8_t flags, const Bytes& data = {}) {
    uint32_t& seq = from_client ? cseq : sseq;
    Bytes f = ip(from_client ? client : server, from_client ? server : client, vlan)
                  .tcp(from_client ? cport : sport, from_client ? sport : cport, flags, seq)
                  .payload(data)
                  .build();
    seq += static_cast<uint32_t>(data.size()) + ((flags & 0x03) ? 1 : 0);
    return f;
  }
};

Bytes http_get(std::string_view host) {
  return test::bytes_of("GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\nAccept: */*\r\n\r\n");
}

// A DNS response to a query for `name` with the given A/AAAA answers (owner: a pointer to
// the question), each with `ttl`.
Bytes dns_answer(std::string_view name, const std::vector<std::string>& addrs, uint32_t ttl) {
  Bytes m = test::dns_query(name);
  m[2] = 0x81;
  m[3] = 0x80;
  test::set16(m, 6, static_cast<uint16_t>(addrs.size()));
  for (const std::string& a : addrs) {
    const bool six = v6(a);
    test::put16(m, 0xc00c);
    test::put16(m, six ? 28 : 1);
    test::put16(m, 1);
    test::put32(m, ttl);
    test::put16(m, six ? 16 : 4);
    uint8_t buf[16];
    inet_pton(six ? AF_INET6 : AF_INET, a.c_str(), buf);
    m.insert(m.end(), buf, buf + (six ? 16 : 4));
  }
  return m;
}

struct Rig {
  explicit Rig(ClassifierConfig c = config()) : cls(std::make_unique<Classifier>(c)), ring(std::make_unique<FlowRing>()) {
    cls->set_flow_ring(ring.get());
  }
  Verdict send(const Bytes& frame, uint64_t now) {
    const uint8_t* f = frame.data();
    const uint32_t len = static_cast<uint32_t>(frame.size());
    Verdict v;
    cls->classify_burst(&f, &len, 1, now, &v);
    return v;
  }
  // Lets the clock run to `until` with no traffic, the way an idle worker loop calls housekeep.
  void idle(uint64_t from, uint64_t until) {
    for (uint64_t t = from; t <= until; t += kSweep / 16) cls->housekeep(t);
  }
  std::vector<FlowRecord> take() {
    std::vector<FlowRecord> out;
    FlowRecord r;
    while (ring->pop(&r)) out.push_back(r);
    return out;
  }
  std::unique_ptr<Classifier> cls;
  std::unique_ptr<FlowRing> ring;
};

std::vector<std::pair<int, std::string>> names_of(const FlowRecord& r) {
  std::vector<std::pair<int, std::string>> out;
  size_t at = 0;
  for (int i = 0; i < r.name_count && at + 2 <= r.names_len; ++i) {
    const int kind = r.names[at];
    const size_t len = r.names[at + 1];
    out.emplace_back(kind, std::string(reinterpret_cast<const char*>(r.names + at + 2), len));
    at += 2 + len;
  }
  return out;
}

struct Tables {
  table::TableBlob blob;
  table::IocTableView view;
};
std::unique_ptr<Tables> table_of(table::Action action, std::vector<Ioc> iocs) {
  table::IocTableBuilder b;
  const uint32_t feed = b.add_feed({"t", action, "", ""});
  for (const Ioc& i : iocs) b.add(feed, i);
  std::string err;
  auto t = std::make_unique<Tables>();
  auto blob = b.build();
  EXPECT_TRUE(blob.ok()) << blob.message();
  t->blob = std::move(*blob);
  EXPECT_TRUE(t->view.attach(t->blob.data(), t->blob.size(), &err)) << err;
  return t;
}
Ioc domain(const char* d) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.form = IocForm::kDomain;
  i.domain = d;
  return i;
}

// --- TCP ------------------------------------------------------------------------------------

TEST(FlowRecord, ATcpConnectionIsOneRecordOnceItHasEnded) {
  for (const char* family : {"v4", "v6"}) {
    SCOPED_TRACE(family);
    const bool six = std::string(family) == "v6";
    Rig rig;
    Conn c{six ? "fd00::10" : "10.1.2.3", six ? "2001:db8::80" : "198.51.100.80", 40000, 8080};
    c.vlan = 42;
    uint64_t t = 100;
    std::vector<Bytes> frames = {c.seg(true, 0x02), c.seg(false, 0x12), c.seg(true, 0x10),
                                 c.seg(true, 0x18, Bytes(100, 'x')), c.seg(false, 0x18, Bytes(1000, 'y')),
                                 c.seg(true, 0x11), c.seg(false, 0x11), c.seg(true, 0x10)};
    uint64_t ip_c2s = 0, ip_s2c = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      rig.send(frames[i], t += 10);
      const bool c2s = i == 0 || i == 2 || i == 3 || i == 5 || i == 7;
      (c2s ? ip_c2s : ip_s2c) += frames[i].size() - 18;  // Ethernet + one VLAN tag
    }
    EXPECT_TRUE(rig.take().empty()) << "nothing before the flow's last packets have passed";
    rig.idle(t, t + kLinger + 2 * kSweep);
    const auto recs = rig.take();
    ASSERT_EQ(recs.size(), 1u);
    const FlowRecord& r = recs[0];
    EXPECT_EQ(r.end, static_cast<uint8_t>(FlowEnd::kEnd));
    EXPECT_EQ(r.ip_version, six ? 6 : 4);
    EXPECT_EQ(r.proto, 6);
    EXPECT_EQ(text(r.ip_version, r.client), c.client);
    EXPECT_EQ(text(r.ip_version, r.server), c.server);
    EXPECT_EQ(r.client_port, 40000);
    EXPECT_EQ(r.server_port, 8080);
    EXPECT_EQ(r.packets[0], 5u);
    EXPECT_EQ(r.packets[1], 3u);
    EXPECT_EQ(r.bytes[0], ip_c2s) << "IP bytes, client to server";
    EXPECT_EQ(r.bytes[1], ip_s2c);
    EXPECT_EQ(r.tcp_flags, 0x02 | 0x10 | 0x08 | 0x01);
    EXPECT_TRUE(r.flags & kFlowClientKnown);
    EXPECT_FALSE(r.flags & kFlowContinued);
    EXPECT_EQ(r.vlan, 42);
    EXPECT_EQ(r.vlan_count, 1);
    EXPECT_EQ(r.first_seen >> kSeenShift, uint64_t{110} >> kSeenShift);
    EXPECT_EQ(r.last_seen, 180u);
    EXPECT_EQ(r.action, 0);
    EXPECT_EQ(r.name_count, 0);
    EXPECT_EQ(rig.cls->flows().size(), 0u) << "an ended flow without a verdict leaves the table";
    EXPECT_EQ(rig.cls->counters().flow_records, 1u);
  }
}

TEST(FlowRecord, ARstEndsTheFlowAndASynOnTheTupleStartsANewOneReadAgain) {
  auto table = table_of(table::Action::kDrop, {domain("evil.example")});
  Rig rig;
  rig.cls->set_table(&table->view, 1);
  Conn c{"10.0.0.5", "203.0.113.5", 41000, 443};
  uint64_t t = 10;
  rig.send(c.seg(true, 0x02), ++t);
  rig.send(c.seg(false, 0x12), ++t);
  rig.send(c.seg(true, 0x18, test::client_hello({.sni = "www.example.org"})), ++t);
  rig.send(c.seg(false, 0x14), ++t);  // RST
  // The same 5-tuple again at once: a new connection, its hello read from the start.
  Conn again{"10.0.0.5", "203.0.113.5", 41000, 443, 0, 50000, 60000};
  EXPECT_EQ(rig.send(again.seg(true, 0x02), ++t), Verdict::kForward);
  rig.send(again.seg(false, 0x12), ++t);
  EXPECT_EQ(rig.send(again.seg(true, 0x18, test::client_hello({.sni = "c2.evil.example"})), ++t),
            Verdict::kDrop)
      << "the new connection's ClientHello is read";
  auto recs = rig.take();
  ASSERT_EQ(recs.size(), 1u) << "the first connection's record, made when the second began";
  EXPECT_EQ(recs[0].packets[0] + recs[0].packets[1], 4u);
  EXPECT_EQ(recs[0].tcp_flags & 0x04, 0x04);
  ASSERT_EQ(names_of(recs[0]).size(), 1u);
  EXPECT_EQ(names_of(recs[0])[0], std::make_pair(int(FlowNameKind::kSni), std::string("www.example.org")));
  // The dropped connection keeps its verdict after its end and after the idle timeout.
  rig.send(again.seg(true, 0x14), ++t);
  rig.idle(t, t + kIdle + 2 * kSweep);
  recs = rig.take();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, static_cast<uint8_t>(table::Action::kDrop));
  EXPECT_EQ(recs[0].kind, static_cast<uint8_t>(MatchKind::kSni));
  EXPECT_TRUE(recs[0].flags & kFlowMatchResolved);
  EXPECT_EQ(table::Match{recs[0].match}.action(), table::Action::kDrop);
  EXPECT_EQ(names_of(recs[0])[0].second, "c2.evil.example");
  EXPECT_EQ(rig.cls->flows().size(), 1u) << "a flow holding a verdict stays";
  const uint64_t later = t + kIdle + 4 * kSweep;
  EXPECT_EQ(rig.send(again.seg(true, 0x18, Bytes(10, 'z')), later), Verdict::kDrop)
      << "waiting out the idle timeout does not shed the verdict";
}

TEST(FlowRecord, TheIdleTimeoutRemovesAQuietFlowAfterItsRecord) {
  Rig rig;
  const Bytes out = ip("10.0.0.9", "192.0.2.9").udp(5000, 6000).payload(Bytes(20, 1)).build();
  const Bytes back = ip("192.0.2.9", "10.0.0.9").udp(6000, 5000).payload(Bytes(30, 1)).build();
  rig.send(out, 1000);
  rig.send(back, 1001);
  rig.idle(1001, 1000 + kIdle - kSweep);
  EXPECT_TRUE(rig.take().empty());
  EXPECT_EQ(rig.cls->flows().size(), 1u);
  rig.idle(1000 + kIdle - kSweep, 1000 + kIdle + 2 * kSweep);
  auto recs = rig.take();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].end, static_cast<uint8_t>(FlowEnd::kIdle));
  EXPECT_EQ(recs[0].packets[0], 1u);
  EXPECT_EQ(recs[0].packets[1], 1u);
  EXPECT_EQ(recs[0].bytes[0], 20u + 8 + 20);
  EXPECT_EQ(recs[0].bytes[1], 30u + 8 + 20);
  EXPECT_FALSE(recs[0].flags & kFlowClientKnown) << "UDP: the first sender is taken as the client";
  EXPECT_EQ(rig.cls->flows().size(), 0u);
  EXPECT_EQ(rig.cls->counters().flows_expired_idle, 1u);
  // Without records the timeout still frees the table.
  Rig quiet;
  quiet.cls->set_flow_ring(nullptr);
  quiet.send(out, 1000);
  quiet.idle(1000, 1000 + kIdle + 2 * kSweep);
  EXPECT_EQ(quiet.cls->flows().size(), 0u);
  EXPECT_EQ(quiet.cls->counters().flow_records, 0u);
}

TEST(FlowRecord, ALongFlowGivesARecordPerActiveTimeout) {
  Rig rig;
  Conn c{"10.0.0.7", "198.51.100.7", 42000, 22};
  uint64_t t = 0;
  rig.send(c.seg(true, 0x02), t);
  rig.send(c.seg(false, 0x12), ++t);
  // A packet every tenth of the idle timeout for 2.5 active timeouts.
  while (t < 2 * kActive + kActive / 2) {
    rig.idle(t, t + kIdle / 10);
    t += kIdle / 10;
    rig.send(c.seg(true, 0x18, Bytes(10, 'a')), t);
  }
  auto recs = rig.take();
  ASSERT_EQ(recs.size(), 2u);
  for (const FlowRecord& r : recs) EXPECT_EQ(r.end, static_cast<uint8_t>(FlowEnd::kActive));
  EXPECT_FALSE(recs[0].flags & kFlowContinued);
  EXPECT_TRUE(recs[1].flags & kFlowContinued);
  EXPECT_TRUE(recs[1].flags & kFlowClientKnown) << "a continued record keeps the orientation";
  EXPECT_GE(recs[0].last_seen - recs[0].first_seen, kActive - kIdle / 10);
  // first_seen is kept to 2^kSeenShift clock units (22 us at 3 GHz).
  EXPECT_LE(recs[0].last_seen - recs[0].first_seen, kActive + kSweep + (1u << kSeenShift));
  EXPECT_GE(recs[1].first_seen, recs[0].last_seen);
  uint64_t packets = 0;
  for (const FlowRecord& r : recs) packets += r.packets[0] + r.packets[1];
  rig.cls->flush_summaries();
  auto rest = rig.take();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].end, static_cast<uint8_t>(FlowEnd::kForced));
  packets += rest[0].packets[0] + rest[0].packets[1];
  EXPECT_EQ(packets, rig.cls->counters().rx_packets) << "every packet in exactly one record";
}

// --- names ----------------------------------------------------------------------------------

TEST(FlowRecord, ADnsExchangeEndsAtItsResponseWithTheAnswersAddresses) {
  Rig rig;  // no table at all: records still read names
  const Bytes q = ip("10.0.0.2", "10.255.0.53").udp(33333, 53).payload(test::dns_query("WWW.Evil.example")).build();
  const Bytes r = ip("10.255.0.53", "10.0.0.2")
                      .udp(53, 33333)
                      .payload(dns_answer("www.evil.example", {"192.0.2.44", "2001:db8::44", "192.0.2.45"}, 300))
                      .build();
  rig.send(q, 10);
  rig.send(r, 12);
  auto recs = rig.take();
  ASSERT_EQ(recs.size(), 1u) << "made at the response, without waiting";
  const FlowRecord& rec = recs[0];
  EXPECT_EQ(rec.end, static_cast<uint8_t>(FlowEnd::kEnd));
  ASSERT_EQ(names_of(rec).size(), 1u);
  EXPECT_EQ(names_of(rec)[0], std::make_pair(int(FlowNameKind::kDnsQuery), std::string("www.evil.example")));
  ASSERT_EQ(rec.answer_count, 3);
  EXPECT_EQ(text(4, rec.answers[0]), "192.0.2.44");
  EXPECT_EQ(text(6, rec.answers[1]), "2001:db8::44");
  EXPECT_EQ(text(4, rec.answers[2]), "192.0.2.45");
  EXPECT_EQ(rec.answer_v6, 0b010);
  EXPECT_EQ(rec.answer_ttl, 300u);
  EXPECT_EQ(rec.packets[0], 1u);
  EXPECT_EQ(rec.packets[1], 1u);
  EXPECT_EQ(rig.cls->counters().dns_answers_read, 1u);
  rig.idle(12, 12 + kLinger + 2 * kSweep);
  EXPECT_TRUE(rig.take().empty()) << "no second record of the same exchange";
  EXPECT_EQ(rig.cls->flows().size(), 0u);
  // A query that is never answered is recorded when the flow goes idle, with its name.
  rig.send(ip("10.0.0.3", "10.255.0.53").udp(44444, 53).payload(test::dns_query("lost.example")).build(), 100);
  rig.idle(100, 100 + kIdle + 2 * kSweep);
  recs = rig.take();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].end, static_cast<uint8_t>(FlowEnd::kIdle));
  EXPECT_EQ(names_of(recs[0])[0].second, "lost.example");
  EXPECT_EQ(recs[0].answer_count, 0);
}

TEST(FlowRecord, EachHttpHostOfAKeptAliveConnectionHasItsRecord) {
  Rig rig;
  Conn c{"10.0.0.8", "198.51.100.8", 43000, 80};
  uint64_t t = 0;
  rig.send(c.seg(true, 0x02), ++t);
  rig.send(c.seg(false, 0x12), ++t);
  rig.send(c.seg(true, 0x18, http_get("one.example")), ++t);
  rig.send(c.seg(false, 0x18, test::bytes_of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), ++t);
  rig.send(c.seg(true, 0x18, http_get("two.example:8080")), ++t);
  rig.send(c.seg(true, 0x11), ++t);
  rig.send(c.seg(false, 0x11), ++t);
  rig.idle(t, t + kLinger + 2 * kSweep);
  const auto recs = rig.take();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(names_of(recs[0])[0], std::make_pair(int(FlowNameKind::kHttpHost), std::string("one.example")));
  EXPECT_EQ(names_of(recs[1])[0], std::make_pair(int(FlowNameKind::kHttpHost), std::string("two.example")));
  EXPECT_EQ(recs[0].end, static_cast<uint8_t>(FlowEnd::kActive));
  EXPECT_EQ(recs[1].end, static_cast<uint8_t>(FlowEnd::kEnd));
  EXPECT_EQ(recs[0].packets[0] + recs[0].packets[1] + recs[1].packets[0] + recs[1].packets[1], 7u);
}

// --- pressure -------------------------------------------------------------------------------

TEST(FlowRecord, AnEvictedFlowHasItsRecord) {
  Rig rig(config(4));  // one bucket
  for (uint16_t i = 0; i < 5; ++i)
    rig.send(ip("10.0.0.1", "192.0.2.1").udp(static_cast<uint16_t>(1000 + i), 7).payload(Bytes(4, 0)).build(), i);
  const auto recs = rig.take();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].end, static_cast<uint8_t>(FlowEnd::kEvicted));
  EXPECT_EQ(recs[0].client_port, 1000);
}

TEST(FlowRecord, AFullRingIsCountedAndNeverBlocks) {
  Rig rig(config(1u << 15));
  const uint32_t n = FlowRing::kSlots + 100;
  for (uint32_t i = 0; i < n; ++i) {
    const Bytes q = ip("10.0.0.4", "10.255.0.53").udp(static_cast<uint16_t>(1024 + i % 60000), 53).payload(test::dns_query("a.example")).build();
    const Bytes r = ip("10.255.0.53", "10.0.0.4").udp(53, static_cast<uint16_t>(1024 + i % 60000)).payload(dns_answer("a.example", {"192.0.2.1"}, 60)).build();
    const uint64_t t = uint64_t{i} * 10'000'000;  // far apart: every exchange a new flow
    EXPECT_EQ(rig.send(q, t), Verdict::kForward);
    EXPECT_EQ(rig.send(r, t + 1), Verdict::kForward);
  }
  EXPECT_EQ(rig.cls->counters().flow_records, uint64_t{FlowRing::kSlots});
  EXPECT_EQ(rig.cls->counters().flow_records_lost, 100u);
  EXPECT_EQ(rig.take().size(), size_t{FlowRing::kSlots});
}

TEST(FlowRecord, RecordsOffMeansNoRecordsAndNoCounting) {
  Rig rig;
  rig.cls->set_flow_ring(nullptr);
  Conn c{"10.0.0.6", "198.51.100.6", 44000, 443};
  rig.send(c.seg(true, 0x02), 1);
  rig.send(c.seg(false, 0x12), 2);
  rig.cls->flush_summaries();
  EXPECT_EQ(rig.cls->counters().flow_records, 0u);
  EXPECT_TRUE(rig.take().empty());
}

}  // namespace
}  // namespace iocgate
