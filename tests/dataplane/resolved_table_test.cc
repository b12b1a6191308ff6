// tests/dataplane/resolved_table_test.cc — DNS answers bound to addresses, live: the table
// alone (bind, lookup, expiry, long names, full buckets, concurrent writers and readers), and
// the classifier with it: an answer for a listed name that passes (alert feed) makes a later
// connection without SNI to its address match as "resolved" with the name's action; an answer
// seen before the push is enforced once the push lists the name, on new and open connections;
// a shared table serves a connection on another worker; the TTL ends it.

#include "dataplane/resolved_table.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "control/ioc_table_builder.h"
#include "dataplane/classifier.h"
#include "table/ioc_table_view.h"
#include "tests/dataplane/dns_builder.h"
#include "tests/dataplane/packet_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::PacketBuilder;

std::array<uint8_t, 16> addr(const char* s) {
  std::array<uint8_t, 16> a{};
  inet_pton(std::string(s).find(':') != std::string::npos ? AF_INET6 : AF_INET, s, a.data());
  return a;
}

std::string lookup(const ResolvedTable& t, const char* a, uint64_t now) {
  char out[ResolvedTable::kNameBytes];
  const auto x = addr(a);
  const size_t n = t.lookup(std::string(a).find(':') != std::string::npos ? 6 : 4, x.data(), now, out);
  return std::string(out, n);
}

void bind_name(ResolvedTable& t, const char* a, const std::string& name, uint64_t expires, uint64_t now, bool listed = false) {
  const auto x = addr(a);
  t.bind(std::string(a).find(':') != std::string::npos ? 6 : 4, x.data(), name.data(), name.size(), expires, now, listed);
}

TEST(ResolvedTable, BindLookupExpire) {
  ResolvedTable t(1024);
  bind_name(t, "192.0.2.7", "www.evil.example", 1000, 0);
  bind_name(t, "2001:db8::7", "v6.evil.example", 1000, 0);
  EXPECT_EQ(lookup(t, "192.0.2.7", 10), "www.evil.example");
  EXPECT_EQ(lookup(t, "2001:db8::7", 10), "v6.evil.example");
  EXPECT_EQ(lookup(t, "192.0.2.8", 10), "");
  EXPECT_EQ(lookup(t, "192.0.2.7", 1000), "") << "the TTL has passed";
  // A newer answer for the address replaces the older.
  bind_name(t, "192.0.2.7", "other.example", 2000, 10);
  EXPECT_EQ(lookup(t, "192.0.2.7", 1500), "other.example");
  // IPv4 192.0.2.7 and the IPv6 address with the same first bytes are different keys.
  EXPECT_EQ(lookup(t, "c000:207::", 10), "");
}

TEST(ResolvedTable, ALongNameKeepsItsLastWholeLabels) {
  ResolvedTable t(64);
  std::string name;
  for (int i = 0; i < 20; ++i) name += "label" + std::to_string(i) + ".";
  name += "c2.evil.example";
  bind_name(t, "192.0.2.9", name, 100, 0);
  const std::string kept = lookup(t, "192.0.2.9", 1);
  ASSERT_FALSE(kept.empty());
  EXPECT_LE(kept.size(), ResolvedTable::kNameBytes);
  EXPECT_EQ(name.compare(name.size() - kept.size(), kept.size(), kept), 0) << "a suffix of the name";
  EXPECT_EQ(name[name.size() - kept.size() - 1], '.') << "that starts at a label: " << kept;
}

TEST(ResolvedTable, AFullBucketKeepsListedNamesOverOthers) {
  ResolvedTable t(4);  // one bucket of four
  bind_name(t, "192.0.2.1", "listed.example", 500, 0, true);
  for (int i = 2; i < 40; ++i) bind_name(t, ("192.0.2." + std::to_string(i)).c_str(), "n.example", 1000 + i, 0);
  EXPECT_EQ(lookup(t, "192.0.2.1", 10), "listed.example");
  EXPECT_EQ(lookup(t, "192.0.2.39", 10), "n.example") << "the newest unlisted one is there";
  EXPECT_EQ(lookup(t, "192.0.2.2", 10), "") << "older unlisted ones made room";
}

TEST(ResolvedTable, WritersAndReadersOnOtherThreadsNeverSeeATornName) {
  ResolvedTable t(64);
  const std::string names[2] = {std::string(60, 'a') + ".example", std::string(70, 'b') + ".example"};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> torn{0}, reads{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w)
    writers.emplace_back([&, w] {
      for (uint64_t i = 0; !stop.load(); ++i) bind_name(t, "192.0.2.77", names[(i + w) & 1], ~0ull, 0);
    });
  std::thread reader([&] {
    while (!stop.load()) {
      const std::string got = lookup(t, "192.0.2.77", 1);
      ++reads;
      if (!got.empty() && got != names[0] && got != names[1]) ++torn;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& th : writers) th.join();
  reader.join();
  EXPECT_EQ(torn.load(), 0u) << "of " << reads.load() << " reads";
  EXPECT_GT(reads.load(), 1000u);
}

// --- the classifier --------------------------------------------------------------------------

struct Tables {
  table::TableBlob blob;
  table::IocTableView view;
};
std::unique_ptr<Tables> table_of(table::Action action, const char* domain) {
  table::IocTableBuilder b;
  const uint32_t feed = b.add_feed({"advisory", action, "", ""});
  Ioc i;
  i.kind = IocKind::kDomain;
  i.form = IocForm::kDomain;
  i.domain = domain;
  b.add(feed, i);
  std::string err;
  auto t = std::make_unique<Tables>();
  auto blob = b.build();
  EXPECT_TRUE(blob.ok()) << blob.message();
  t->blob = std::move(*blob);
  EXPECT_TRUE(t->view.attach(t->blob.data(), t->blob.size(), &err)) << err;
  return t;
}

PacketBuilder ip(const char* src, const char* dst) {
  PacketBuilder b;
  const bool six = std::string(src).find(':') != std::string::npos;
  if (six) b.ipv6(addr(src), addr(dst));
  else {
    std::array<uint8_t, 4> s{}, d{};
    std::memcpy(s.data(), addr(src).data(), 4);
    std::memcpy(d.data(), addr(dst).data(), 4);
    b.ipv4(s, d);
  }
  return b;
}

Bytes answer(const char* name, const char* a, uint32_t ttl) {
  Bytes m = test::dns_query(name);
  m[2] = 0x81;
  m[3] = 0x80;
  test::set16(m, 6, 1);
  const bool six = std::string(a).find(':') != std::string::npos;
  test::put16(m, 0xc00c);
  test::put16(m, six ? 28 : 1);
  test::put16(m, 1);
  test::put32(m, ttl);
  test::put16(m, six ? 16 : 4);
  const auto x = addr(a);
  m.insert(m.end(), x.begin(), x.begin() + (six ? 16 : 4));
  return ip("10.255.0.53", "10.0.0.2").udp(53, 33000).payload(m).build();
}

Bytes syn(const char* client, const char* server, uint16_t port) {
  return ip(client, server).tcp(port, 443, 0x02, 1).build();
}
Bytes data(const char* client, const char* server, uint16_t port) {
  return ip(client, server).tcp(port, 443, 0x18, 2).payload(Bytes(40, 0x42)).build();
}

constexpr uint64_t kHz = 1000;  // clock units per second in these classifiers

ClassifierConfig cfg() {
  ClassifierConfig c;
  c.flow_capacity = 1024;
  c.reassembly_buffers = 16;
  c.fragment_contexts = 16;
  c.clock_hz = kHz;
  c.resolved_entries = 1024;
  return c;
}

Verdict send(Classifier& c, const Bytes& f, uint64_t now) {
  const uint8_t* p = f.data();
  const uint32_t len = static_cast<uint32_t>(f.size());
  Verdict v;
  c.classify_burst(&p, &len, 1, now, &v);
  return v;
}

std::vector<MatchEvent> events(Classifier& c) {
  std::vector<MatchEvent> out;
  MatchEvent e;
  while (c.events().pop(&e)) out.push_back(e);
  return out;
}

TEST(ResolvedBinding, AnAlertedAnswerMakesALaterConnectionWithoutSniMatch) {
  auto t = table_of(table::Action::kAlert, "evil.example");
  Classifier c(cfg());
  c.set_table(&t->view, 1);
  EXPECT_EQ(send(c, answer("www.evil.example", "192.0.2.50", 300), 10), Verdict::kForward);
  events(c);
  EXPECT_EQ(c.counters().resolved_bound, 1u);
  EXPECT_EQ(send(c, syn("10.0.0.2", "192.0.2.50", 40000), 20), Verdict::kForward) << "alert: forwarded";
  const auto ev = events(c);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, static_cast<uint8_t>(MatchKind::kResolved));
  EXPECT_EQ(std::string(ev[0].name, ev[0].name_len), "www.evil.example") << "resolved from the name asked";
  EXPECT_EQ(table::Match{ev[0].match}.action(), table::Action::kAlert);
  EXPECT_EQ(ev[0].ioc_side, static_cast<uint8_t>(IocSide::kServer));
  EXPECT_EQ(c.counters().match_resolved, 1u);
  // Another address, or the same after its TTL: nothing.
  EXPECT_EQ(send(c, syn("10.0.0.2", "192.0.2.51", 40001), 30), Verdict::kForward);
  EXPECT_EQ(send(c, syn("10.0.0.3", "192.0.2.50", 40002), 10 + 301 * kHz), Verdict::kForward);
  EXPECT_TRUE(events(c).empty());
}

TEST(ResolvedBinding, AnAnswerSeenBeforeThePushIsEnforcedAfterIt) {
  auto t = table_of(table::Action::kDrop, "c2.example");
  Classifier c(cfg());
  // No table yet: the answer passes and is remembered; a connection to it is open.
  EXPECT_EQ(send(c, answer("beacon.c2.example", "2001:db8::c2", 3600), 10), Verdict::kForward);
  EXPECT_EQ(send(c, syn("fd00::9", "2001:db8::c2", 41000), 11), Verdict::kForward);
  EXPECT_EQ(send(c, data("fd00::9", "2001:db8::c2", 41000), 12), Verdict::kForward);
  c.set_table(&t->view, 2);  // the push
  EXPECT_EQ(send(c, data("fd00::9", "2001:db8::c2", 41000), 13), Verdict::kDrop) << "the open connection, judged again";
  EXPECT_EQ(send(c, syn("fd00::8", "2001:db8::c2", 41001), 14), Verdict::kDrop) << "a new one";
  bool resolved = false;
  for (const MatchEvent& e : events(c)) resolved = resolved || e.kind == static_cast<uint8_t>(MatchKind::kResolved);
  EXPECT_TRUE(resolved);
}

TEST(ResolvedBinding, OneTableServesEveryWorker) {
  auto t = table_of(table::Action::kDrop, "evil.example");
  ResolvedTable shared(1024);
  ClassifierConfig k = cfg();
  k.resolved_entries = 0;
  Classifier a(k), b(k);
  a.set_resolved_table(&shared);
  b.set_resolved_table(&shared);
  a.set_table(&t->view, 1);
  b.set_table(&t->view, 1);
  // Symmetric RSS puts the DNS exchange and the connection on different workers.
  EXPECT_EQ(send(a, answer("cdn.evil.example", "192.0.2.60", 60), 10), Verdict::kDrop) << "the listed answer itself";
  EXPECT_EQ(send(b, syn("10.0.0.4", "192.0.2.60", 42000), 11), Verdict::kDrop);
  // Without a table of any kind there is no binding.
  Classifier none(k);
  none.set_table(&t->view, 1);
  EXPECT_EQ(send(none, syn("10.0.0.4", "192.0.2.60", 42001), 12), Verdict::kForward);
}

TEST(ResolvedBinding, TheDnsFlowItselfIsNotJudgedByItsAnswer) {
  auto t = table_of(table::Action::kAlert, "evil.example");
  Classifier c(cfg());
  c.set_table(&t->view, 1);
  send(c, answer("www.evil.example", "10.255.0.53", 300), 10);  // an answer naming the resolver
  events(c);
  // Another query to the resolver is a DNS flow, judged by its question only.
  const Bytes q = ip("10.0.0.2", "10.255.0.53").udp(33001, 53).payload(test::dns_query("benign.example")).build();
  EXPECT_EQ(send(c, q, 11), Verdict::kForward);
  EXPECT_TRUE(events(c).empty());
}

}  // namespace
}  // namespace iocgate
