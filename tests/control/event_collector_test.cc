// tests/control/event_collector_test.cc — events resolved against a real compiled table:
// host and direction from the internal networks, one log line per matched flow, summaries
// attributed to the flow's first match even after the table changed.

#include "control/event_collector.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/review_report.h"
#include "shm/shm_protocol.h"
#include "control/ioc_table_builder.h"
#include "shm/table_store.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::read_lines;
using testing::TempDir;

Ioc v4(const char* text) {
  Ioc i;
  i.kind = IocKind::kIpv4;
  i.prefix_len = 32;
  inet_pton(AF_INET, text, i.addr.data());
  return i;
}
Ioc dom(const std::string& d) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.domain = d;
  i.line = 3;
  return i;
}

struct Fixture {
  TempDir dir;
  ApplianceConfig cfg;
  TableHistory history;
  std::unique_ptr<HitStore> store;
  HitStats stats;
  std::unique_ptr<EventCollector> collector;
  uint32_t rec_c2 = 0, rec_dom = 0, rec_bot = 0;

  Fixture() {
    cfg.state_dir = dir.path();
    cfg.events_path = dir.path() + "/events.log";
    cfg.events_rate_limit_per_s = 0;
    cfg.internal_networks = {"10.0.0.0/8", "fd00::/8"};
    store = std::make_unique<HitStore>(cfg.hits_dir());
    collector = std::make_unique<EventCollector>(cfg, nullptr, history, *store, stats);
    std::string err;
    Status started = collector->start();
    EXPECT_TRUE(started.ok()) << started.message();
    publish(1, true);
  }

  // Generation g; with `both` the apt feed lists its domain too (changing record order).
  void publish(uint64_t g, bool first) {
    table::IocTableBuilder b;
    if (!first) b.add_feed({"zzz", table::Action::kAlert, "", ""});
    const uint32_t apt = b.add_feed({"apt", table::Action::kDrop, "941/CATTT-NCSC", "Mustang Panda"});
    const uint32_t bot = b.add_feed({"monthly", table::Action::kDrop, "", "Monthly botnet list"});
    b.add(apt, v4("198.51.100.7"));
    b.add(apt, dom("evil.example"));
    b.add(bot, v4("10.9.9.9"));
    std::string err;
    auto blob = b.build();
    ASSERT_TRUE(blob) << blob.message();
    const TrustedOwners owners = trusted_owners("root", "root");
    TableStore tables(cfg, owners);
    std::string warning;
    Status put = tables.put(blob->data(), blob->size(), g, &warning);
    ASSERT_TRUE(put.ok()) << put.message();
    Status added = history.add_file(tables.path_of(g), owners, {cfg.instance, g});
    ASSERT_TRUE(added.ok()) << added.message();
    table::IocTableView v;
    ASSERT_TRUE(v.attach(blob->data(), blob->size(), &err));
    uint32_t a;
    inet_pton(AF_INET, "198.51.100.7", &a);
    rec_c2 = v.lookup_v4(ntohl(a)).value;
    inet_pton(AF_INET, "10.9.9.9", &a);
    rec_bot = v.lookup_v4(ntohl(a)).value;
    rec_dom = v.lookup_domain("evil.example", 12).value;
  }
};

MatchEvent event(EventType type, uint64_t gen, uint32_t match, MatchKind kind, IocSide side, const char* client,
                 uint16_t cport, const char* server, uint16_t sport, uint32_t packets = 1) {
  MatchEvent e{};
  e.type = static_cast<uint8_t>(type);
  e.generation = gen;
  e.match = match;
  e.kind = static_cast<uint8_t>(kind);
  e.ioc_side = static_cast<uint8_t>(side);
  e.ip_version = 4;
  e.proto = 6;
  e.packets = packets;
  inet_pton(AF_INET, client, e.client);
  inet_pton(AF_INET, server, e.server);
  e.client_port = cport;
  e.server_port = sport;
  return e;
}

constexpr int64_t kT0 = 1719187200000;

TEST(EventCollector, OneLinePerFlowWithHostDirectionAndProvenance) {
  Fixture f;
  auto e = event(EventType::kFirstMatch, 1, f.rec_c2, MatchKind::kIp, IocSide::kServer, "10.0.0.5", 51000,
                 "198.51.100.7", 443);
  e.vlan = 100;
  e.vlan_count = 1;
  f.collector->handle(e, 0, kT0);
  f.collector->handle(event(EventType::kFirstMatch, 1, f.rec_c2, MatchKind::kIp, IocSide::kClient, "198.51.100.7",
                            4444, "10.0.0.6", 22),
                      0, kT0 + 10);
  f.collector->handle(event(EventType::kFirstMatch, 1, f.rec_dom, MatchKind::kSni, IocSide::kName, "10.0.0.5",
                            51001, "203.0.113.1", 443),
                      0, kT0 + 20);
  f.collector->handle(event(EventType::kSummary, 1, f.rec_c2, MatchKind::kIp, IocSide::kServer, "10.0.0.5", 51000,
                            "198.51.100.7", 443, 9),
                      0, kT0 + 500);
  f.collector->tick(kT0 + 1000);

  const auto lines = read_lines(f.cfg.events_path);
  ASSERT_EQ(lines.size(), 3u);  // one per flow, none for the summary
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["time"], "2024-06-24T00:00:00.000Z");
  EXPECT_EQ(j["proto"], "tcp");
  EXPECT_EQ(j["client"], "10.0.0.5");
  EXPECT_EQ(j["client_port"], 51000);
  EXPECT_EQ(j["server"], "198.51.100.7");
  EXPECT_EQ(j["server_port"], 443);
  EXPECT_EQ(j["vlan"], 100);
  EXPECT_EQ(j["direction"], "outbound");
  EXPECT_EQ(j["host"], "10.0.0.5");
  EXPECT_EQ(j["ioc"], "198.51.100.7");
  EXPECT_EQ(j["matched"], "ip");
  EXPECT_EQ(j["feed"], "apt");
  EXPECT_EQ(j["advisory"], "941/CATTT-NCSC");
  EXPECT_EQ(j["group"], "Mustang Panda");
  EXPECT_EQ(j["action"], "drop");
  const auto in = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(in["direction"], "inbound");
  EXPECT_EQ(in["host"], "10.0.0.6");
  EXPECT_TRUE(in["vlan"].is_null());
  EXPECT_EQ(nlohmann::json::parse(lines[2])["ioc"], "evil.example");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["matched"], "sni");

  const auto recs = f.store->read(0, "");
  ASSERT_EQ(recs.size(), 3u);
  uint64_t flows = 0, packets = 0;
  for (const HitRecord& r : recs) {
    flows += r.flows;
    packets += r.packets;
    if (r.host == "10.0.0.5" && r.ioc == "198.51.100.7") {
      EXPECT_EQ(r.packets, 9u);
      EXPECT_EQ(r.first_ms, kT0);
      EXPECT_EQ(r.last_ms, kT0 + 500);
    }
  }
  EXPECT_EQ(flows, 3u);
  EXPECT_EQ(packets, 11u);
  StatsSnapshot s;
  f.stats.fill(&s);
  EXPECT_EQ(s.events_flows, 3u);
  EXPECT_EQ(s.events_summaries, 1u);
  EXPECT_EQ(s.events_logged, 3u);
  ASSERT_EQ(s.hosts.size(), 2u);
  EXPECT_EQ(s.hosts[0].host, "10.0.0.5");
}

TEST(EventCollector, SummaryKeepsTheFirstMatchAcrossGenerations) {
  Fixture f;
  const uint32_t c2_gen1 = f.rec_c2;
  f.collector->handle(event(EventType::kFirstMatch, 1, c2_gen1, MatchKind::kIp, IocSide::kServer, "10.0.0.5", 1,
                            "198.51.100.7", 80),
                      0, kT0);
  f.publish(2, false);  // record indexes move
  // The worker's summary names the flow's newer generation with the first match's value.
  f.collector->handle(event(EventType::kSummary, 2, c2_gen1, MatchKind::kIp, IocSide::kServer, "10.0.0.5", 1,
                            "198.51.100.7", 80, 4),
                      0, kT0 + 100);
  const auto recs = f.store->read(0, "");
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].ioc, "198.51.100.7");
  EXPECT_EQ(recs[0].packets, 4u);
}

TEST(EventCollector, InfectedHostAndUnknownGeneration) {
  Fixture f;
  f.collector->handle(event(EventType::kFirstMatch, 1, f.rec_bot, MatchKind::kIp, IocSide::kClient, "10.9.9.9", 1,
                            "192.0.2.1", 6667),
                      0, kT0);
  // A generation no longer kept: resolved by its key (the server's address) in the newest
  // table, never by its record index in another table.
  f.collector->handle(event(EventType::kFirstMatch, 77, f.rec_c2, MatchKind::kIp, IocSide::kServer, "10.0.0.5", 2,
                            "198.51.100.7", 80),
                      0, kT0);
  // Unknown generation and a key no table lists: reported as the key itself, unresolved.
  f.collector->handle(event(EventType::kFirstMatch, 0, f.rec_c2, MatchKind::kIp, IocSide::kServer, "10.0.0.6", 3,
                            "192.0.2.99", 80),
                      0, kT0);
  const auto recs = f.store->read(0, "");
  ASSERT_EQ(recs.size(), 3u);
  bool by_key = false, unlisted = false;
  for (const HitRecord& r : recs) {
    by_key |= r.host == "10.0.0.5" && r.ioc == "198.51.100.7" && r.feed == "apt";
    unlisted |= r.host == "10.0.0.6" && r.ioc == "192.0.2.99" && r.feed == "(no longer listed)";
  }
  EXPECT_TRUE(by_key);
  EXPECT_TRUE(unlisted);
  ReportScope scope;
  scope.generated_ms = kT0;
  const auto rep = build_review_report(recs, scope);
  ASSERT_EQ(rep["hosts"].size(), 3u);
  EXPECT_EQ(rep["hosts"][0]["host"], "10.9.9.9");
  EXPECT_TRUE(rep["hosts"][0]["infected"]);
  StatsSnapshot s;
  f.stats.fill(&s);
  EXPECT_EQ(s.events_unresolved, 1u);
}

TEST(InternalNetworks, PrefixesOfBothFamilies) {
  InternalNetworks n;
  std::string err;
  Status parsed = n.parse({"10.0.0.0/8", "192.168.1.128/25", "fd00::/8", "203.0.113.9"});
  ASSERT_TRUE(parsed.ok()) << parsed.message();
  uint8_t a[16];
  auto has4 = [&](const char* s) { inet_pton(AF_INET, s, a); return n.contains(4, a); };
  auto has6 = [&](const char* s) { inet_pton(AF_INET6, s, a); return n.contains(6, a); };
  EXPECT_TRUE(has4("10.200.1.1"));
  EXPECT_FALSE(has4("11.0.0.1"));
  EXPECT_TRUE(has4("192.168.1.200"));
  EXPECT_FALSE(has4("192.168.1.100"));
  EXPECT_TRUE(has4("203.0.113.9"));
  EXPECT_TRUE(has6("fd12::1"));
  EXPECT_FALSE(has6("2001:db8::1"));
  EXPECT_FALSE(n.parse({"10.0.0.0/33"}).ok());
  EXPECT_FALSE(n.parse({"example.com"}).ok());
}

}  // namespace
}  // namespace iocgate
