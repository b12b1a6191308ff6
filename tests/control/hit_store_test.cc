// tests/control/hit_store_test.cc — the review store: aggregation and restart, both line
// schemas, damaged lines, bounded peers, the names index, forget and its audit, file modes
// the operators' group can read, a scan during flushes, and the counters rebuilt from it.

#include "control/hit_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "control/hit_totals.h"
#include "control/infected_hosts.h"
#include "control/stats.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::read_lines;
using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kHour = 3600000;

HitRecord hit(const std::string& host, const std::string& ioc, const std::string& feed, int64_t t, uint64_t flows,
              uint64_t packets) {
  HitRecord h;
  h.schema = 2;
  h.host = host;
  h.ioc = ioc;
  h.kind = "ip";
  h.feed = feed;
  h.advisory = feed == "apt" ? "941/CATTT-NCSC" : "";
  h.group = "Mustang Panda";
  h.action = "drop";
  h.direction = "outbound";
  h.peer = ioc;
  h.port = 443;
  h.proto = "tcp";
  h.first_ms = flows ? t : 0;
  h.last_ms = t;
  h.flows = flows;
  h.packets = packets;
  return h;
}

mode_t mode_of(const std::string& p) {
  struct stat st;
  EXPECT_EQ(stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(HitStore, AggregatesAndSurvivesARestart) {
  TempDir d;
  {
    HitStore s(d.path());
    s.add(hit("10.0.0.5", "198.51.100.7", "apt", kT0, 1, 1));
    s.add(hit("10.0.0.5", "198.51.100.7", "apt", kT0 + 1000, 1, 1));
    std::string err;
    ASSERT_TRUE(s.flush(kT0 + 2000, &err)) << err;
    s.add(hit("10.0.0.5", "198.51.100.7", "apt", kT0 + 5000, 0, 7));  // a flow's summary
    ASSERT_TRUE(s.flush(kT0 + 6000, &err)) << err;
    s.add(hit("10.0.0.6", "evil.example", "apt", kT0 + 7000, 1, 1));  // not flushed: lost in a crash
  }
  HitStore s(d.path());
  const auto v = s.read(kT0 - kHour, "");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].flows, 2u);
  EXPECT_EQ(v[0].packets, 9u);
  EXPECT_EQ(v[0].first_ms, kT0);
  EXPECT_EQ(v[0].last_ms, kT0 + 5000);
  EXPECT_EQ(v[0].advisory, "941/CATTT-NCSC");
  EXPECT_EQ(v[0].peer, "198.51.100.7");
  EXPECT_EQ(v[0].port, 443);
  EXPECT_EQ(v[0].schema, 2);
  EXPECT_EQ(read_hit_files(d.path(), kT0 - kHour, "").size(), 1u);
}

TEST(HitStore, SinceUntilAndFeedFilterAcrossDayFiles) {
  TempDir d;
  HitStore s(d.path());
  std::string err;
  s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0 - 48 * kHour, 1, 1));
  ASSERT_TRUE(s.flush(kT0 - 48 * kHour, &err));
  s.add(hit("10.0.0.2", "198.51.100.2", "apt", kT0 - 2 * kHour, 1, 1));
  ASSERT_TRUE(s.flush(kT0 - 2 * kHour, &err));
  HitRecord other = hit("10.0.0.3", "203.0.113.3", "other", kT0, 1, 1);
  other.also.push_back({"apt", "941/CATTT-NCSC", "Mustang Panda", "alert", 7});
  s.add(other);  // pending, still read
  EXPECT_EQ(s.read(kT0 - 72 * kHour, "").size(), 3u);
  EXPECT_EQ(s.read(kT0 - 24 * kHour, "").size(), 2u);
  EXPECT_EQ(s.read(kT0 - 24 * kHour, "apt").size(), 2u);  // "other"'s record is listed by apt too
  EXPECT_EQ(s.read(kT0 - 24 * kHour, "other").size(), 1u);
  EXPECT_EQ(s.read(kT0 - kHour, "").size(), 1u);
  uint64_t n = 0;
  s.scan(kT0 - 72 * kHour, kT0 - 24 * kHour, [&](const HitRecord&) { ++n; });
  EXPECT_EQ(n, 1u);  // until: the lines of the first day only
}

TEST(HitStore, ReadsLinesOfTheFirstSchema) {
  TempDir d;
  // Exactly as the first store wrote them.
  write_file(d.path() + "/hits-2024-06-24.jsonl",
             R"({"host":"10.0.0.9","ioc":"10.0.0.9","kind":"ip","feed":"monthly","advisory":"","group":"Monthly botnet list","action":"drop","direction":"outbound","ioc_is_host":true,"first_ms":1719187200000,"last_ms":1719187201000,"flows":2,"packets":5})"
             "\n"
             R"({"host":"10.0.0.7","ioc":"192.0.2.9","kind":"ip","feed":"monthly","advisory":"","group":"Monthly botnet list","action":"drop","direction":"outbound","ioc_is_host":false,"first_ms":0,"last_ms":1719187202000,"flows":0,"packets":3})"
             "\n");
  const auto v = read_hit_files(d.path(), 0, "");
  ASSERT_EQ(v.size(), 2u);
  const HitRecord& infected = v[0].host == "10.0.0.9" ? v[0] : v[1];
  const HitRecord& contact = v[0].host == "10.0.0.9" ? v[1] : v[0];
  EXPECT_EQ(infected.schema, 1);
  EXPECT_EQ(infected.flows, 2u);
  EXPECT_EQ(infected.packets, 5u);
  EXPECT_TRUE(infected.infected());  // the botnet-name rule, for old lines only
  EXPECT_FALSE(contact.infected());
  EXPECT_EQ(contact.peer, "");
  // The same record written by a collector that knows feed roles: the role alone decides.
  HitRecord v2 = infected;
  v2.schema = 2;
  EXPECT_FALSE(v2.infected());
  v2.role = "infected";
  EXPECT_TRUE(v2.infected());
  EXPECT_EQ(read_hit_names(d.path()).feeds, std::set<std::string>{"monthly"});
}

TEST(HitRecord, SecondSchemaRoundTrip) {
  HitRecord r = hit("2001:db8::5", "evil.example", "apt", kT0, 3, 17);
  r.kind = "sni";
  r.seen = "cdn.evil.example";
  r.line = 42;
  r.also = {{"misp-941", "941/CATTT-NCSC", "Mustang Panda", "alert", 9}, {"watch", "", "", "drop", 0}};
  r.action = "reject";
  r.role = "infected";
  r.ioc_is_host = true;
  r.direction = "internal";
  HitRecord back;
  ASSERT_TRUE(decode_hit_line(encode_hit_line(r), &back));
  EXPECT_EQ(back.key(), r.key());
  EXPECT_EQ(back.also, r.also);
  EXPECT_EQ(back.line, 42u);
  EXPECT_EQ(back.role, "infected");
  EXPECT_TRUE(back.ioc_is_host);
  EXPECT_EQ(back.first_ms, kT0);
  EXPECT_EQ(back.flows, 3u);
  EXPECT_EQ(back.packets, 17u);
  EXPECT_EQ(back.schema, 2);
  EXPECT_TRUE(back.listed_by("watch"));
  EXPECT_EQ(back.listings().size(), 3u);
  EXPECT_EQ(back.listings()[0].feed, "apt");
}

TEST(HitRecord, DamagedLinesAreRefused) {
  HitRecord r;
  for (const char* bad : {"", "{", "[]", "null", R"({"host":""})", R"({"host":"a","flows":"2"})",
                          R"({"host":"a","flows":-1})", R"({"host":"a","port":70000})", R"({"host":"a","v":3})",
                          R"({"host":"a","also":[1]})", R"({"host":"a","also":{}})", R"({"host":"a","first_ms":-5})",
                          R"({"host":"a","ioc":7})", R"({"host":"a","line":4294967296})"})
    EXPECT_FALSE(decode_hit_line(bad, &r)) << bad;
  EXPECT_FALSE(decode_hit_line(R"({"host":")" + std::string(5000, 'x') + "\"}", &r));
  EXPECT_TRUE(decode_hit_line(R"({"host":"a"})", &r));
}

TEST(HitStore, SkipsDamagedAndTornLinesAndCountsThem) {
  TempDir d;
  HitStore s(d.path());
  s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0, 1, 1));
  std::string err;
  ASSERT_TRUE(s.flush(kT0, &err));
  const std::string file = d.path() + "/hits-2024-06-24.jsonl";
  std::ofstream(file, std::ios::app) << "{\"host\":\"x\",\"flows\":\"many\"}\n"
                                     << std::string(100000, 'z') << "\n"
                                     << "not json\n"
                                     << encode_hit_line(hit("10.0.0.2", "198.51.100.2", "apt", kT0 + 1, 1, 1)) << "\n"
                                     << "{\"host\":\"10.0.0.3\",\"ioc\":\"torn";  // a flush cut by a crash
  uint64_t n = 0;
  const HitScanStats st = s.scan(0, INT64_MAX, [&](const HitRecord&) { ++n; });
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(st.damaged, 3u);  // the torn tail is a flush in progress, not counted
  EXPECT_EQ(st.files, 1u);
}

TEST(HitStore, PeersOfOneContactAreBounded) {
  TempDir d;
  HitStore s(d.path());
  // A listed address scanning 1000 ports of one host: one contact, bounded rows.
  for (int port = 1; port <= 1000; ++port) {
    HitRecord r = hit("10.0.0.5", "198.51.100.7", "apt", kT0 + port, 1, 1);
    r.direction = "inbound";
    r.port = static_cast<uint16_t>(port);
    s.add(r);
  }
  std::string err;
  ASSERT_TRUE(s.flush(kT0 + 5000, &err));
  const auto lines = read_lines(d.path() + "/hits-2024-06-24.jsonl");
  EXPECT_EQ(lines.size(), HitRecord::kMaxVariants + 1);
  const auto v = s.read(0, "");
  uint64_t flows = 0;
  bool folded = false;
  for (const HitRecord& r : v) {
    flows += r.flows;
    folded = folded || r.peer == "*";
  }
  EXPECT_EQ(flows, 1000u);
  EXPECT_TRUE(folded);
}

TEST(HitStore, NamesIndexComesFirstAndIsRebuilt) {
  TempDir d;
  HitStore s(d.path());
  HitRecord r = hit("10.0.0.1", "198.51.100.1", "apt", kT0, 1, 1);
  r.also.push_back({"misp-941", "Advisory B", "APT31", "alert", 3});
  s.add(r);
  EXPECT_EQ(s.names().feeds, (std::set<std::string>{"apt", "misp-941"}));  // pending counts
  std::string err;
  ASSERT_TRUE(s.flush(kT0, &err));
  const HitNames want{{"apt", "misp-941"}, {"941/CATTT-NCSC", "Advisory B"}, {"APT31", "Mustang Panda"}};
  EXPECT_EQ(read_hit_names(d.path()), want);
  EXPECT_EQ(mode_of(d.path() + "/names.json"), 0640u);
  std::filesystem::remove(d.path() + "/names.json");
  EXPECT_EQ(read_hit_names(d.path()), want);  // rebuilt from the day files
  write_file(d.path() + "/names.json", "{\"feeds\":[1]}");
  EXPECT_EQ(read_hit_names(d.path()), want);  // damaged: rebuilt
}

TEST(HitStore, ForgetRemovesAFeedsHitsAndAuditsIt) {
  TempDir d;
  HitStore s(d.path());
  std::string err;
  s.add(hit("10.0.0.1", "198.51.100.1", "mistake", kT0 - 72 * kHour, 4, 40));
  ASSERT_TRUE(s.flush(kT0 - 72 * kHour, &err));  // an old day file, rewritten without the lock
  HitRecord shared = hit("10.0.0.2", "198.51.100.2", "apt", kT0, 1, 1);
  shared.also.push_back({"mistake", "", "", "drop", 5});
  s.add(shared);
  s.add(hit("10.0.0.3", "198.51.100.3", "mistake", kT0, 2, 2));
  ASSERT_TRUE(s.flush(kT0, &err));
  s.add(hit("10.0.0.4", "198.51.100.4", "mistake", kT0 + 10, 1, 3));  // still pending
  s.add(hit("10.0.0.5", "198.51.100.5", "apt", kT0 + 10, 1, 1));

  EXPECT_FALSE(s.forget("nonesuch", "uid 0 (root), pid 1", kT0).ok());
  EXPECT_FALSE(std::filesystem::exists(d.path() + "/forget-audit.jsonl"));  // a refused forget changes nothing

  Result<ForgetResult> r = s.forget("mistake", "uid 1000 (alice), pid 42", kT0 + 20);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->records, 3u);
  EXPECT_EQ(r->flows, 7u);
  EXPECT_EQ(r->packets, 45u);
  EXPECT_EQ(r->listings, 1u);
  EXPECT_EQ(r->files, 2u);
  const auto v = s.read(0, "");
  ASSERT_EQ(v.size(), 2u);
  for (const HitRecord& x : v) {
    EXPECT_EQ(x.feed, "apt");
    EXPECT_TRUE(x.also.empty());
  }
  EXPECT_EQ(s.names().feeds, std::set<std::string>{"apt"});
  EXPECT_EQ(read_hit_names(d.path()).feeds, std::set<std::string>{"apt"});
  EXPECT_EQ(mode_of(d.path() + "/hits-2024-06-24.jsonl"), 0640u);
  const auto audit = read_forget_audit(d.path());
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].state, "started");
  EXPECT_EQ(audit[1].state, "done");
  EXPECT_EQ(audit[1].feed, "mistake");
  EXPECT_EQ(audit[1].by, "uid 1000 (alice), pid 42");
  EXPECT_EQ(audit[1].time_ms, kT0 + 20);
  EXPECT_EQ(audit[1].flows, 7u);
  EXPECT_EQ(mode_of(d.path() + "/forget-audit.jsonl"), 0640u);
  // A second forget of the same feed has nothing left to remove.
  EXPECT_FALSE(s.forget("mistake", "uid 1000 (alice), pid 43", kT0 + 30).ok());
  EXPECT_EQ(read_forget_audit(d.path()).size(), 2u);
  // After a restart, the store reads the same.
  HitStore again(d.path());
  EXPECT_EQ(again.read(0, "").size(), 1u);  // the pending apt record was never flushed
}

TEST(HitStore, FilesAreGroupReadableWhateverTheUmask) {
  TempDir d;
  const mode_t old = umask(077);
  const std::string dir = d.path() + "/state/events";
  HitStore s(dir);
  s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0, 1, 1));
  std::string err;
  const bool ok = s.flush(kT0, &err);
  umask(old);
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(mode_of(d.path() + "/state"), 0750u);
  EXPECT_EQ(mode_of(dir), 0750u);
  EXPECT_EQ(mode_of(dir + "/hits-2024-06-24.jsonl"), 0640u);
  EXPECT_EQ(mode_of(dir + "/names.json"), 0640u);
  // A store made 0700 by an older version is opened up to the group, never to others.
  chmod(dir.c_str(), 0700);
  chmod((dir + "/hits-2024-06-24.jsonl").c_str(), 0644);
  s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0 + 1, 1, 1));
  ASSERT_TRUE(s.flush(kT0 + 1, &err)) << err;
  EXPECT_EQ(mode_of(dir), 0750u);
  EXPECT_EQ(mode_of(dir + "/hits-2024-06-24.jsonl"), 0640u);
}

TEST(HitStore, AScanDuringFlushesLosesAndDoublesNothing) {
  TempDir d;
  HitStore s(d.path());
  constexpr int kFlows = 600;
  std::atomic<int> added{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::string err;
    for (int i = 0; i < kFlows; ++i) {
      s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0 + i, 1, 1));
      added.fetch_add(1);
      if (i % 3 == 0) {
        EXPECT_TRUE(s.flush(kT0 + i, &err)) << err;
      }
    }
    done = true;
  });
  // A batch moves from pending to its file under the lock the scan's snapshot takes: each
  // scan sees every flow added before it began, none twice, none that came after it ended.
  uint64_t scans = 0;
  bool exact = true;
  while (!done.load() || scans == 0) {
    const int before = added.load();
    uint64_t seen = 0;
    const HitScanStats st = s.scan(0, INT64_MAX, [&](const HitRecord& r) { seen += r.flows; });
    const int after = added.load();
    exact = exact && static_cast<int>(seen) >= before && static_cast<int>(seen) <= after && st.damaged == 0;
    ++scans;
  }
  writer.join();
  EXPECT_TRUE(exact);
  EXPECT_GT(scans, 1u);
  uint64_t total = 0;
  s.scan(0, INT64_MAX, [&](const HitRecord& r) { total += r.flows; });
  EXPECT_EQ(total, static_cast<uint64_t>(kFlows));
}

TEST(HitTotals, RebuiltFromTheStoreTheyMatchTheEvents) {
  TempDir d;
  HitStore s(d.path());
  HitStats live;
  auto add = [&](const HitRecord& r) {
    s.add(r);
    live.add(r.feed, r.advisory, r.group, r.ioc, r.kind, r.host, r.flows, r.packets);
  };
  add(hit("10.0.0.1", "198.51.100.1", "apt", kT0, 1, 1));
  add(hit("10.0.0.1", "198.51.100.1", "apt", kT0 + 10, 0, 30));
  HitRecord p2 = hit("10.0.0.1", "198.51.100.1", "apt", kT0 + 20, 1, 1);
  p2.peer = "198.51.100.1";
  p2.port = 80;  // another row in the store, the same series in the counters
  add(p2);
  HitRecord bot = hit("10.0.0.9", "10.0.0.9", "watch", kT0 + 30, 2, 2);
  bot.role = "infected";
  add(bot);
  std::string err;
  ASSERT_TRUE(s.flush(kT0 + 40, &err));
  add(hit("10.0.0.2", "evil.example", "other", kT0 + 50, 1, 1));  // unflushed: counted too

  const HitTotals t = rebuild_hit_totals(s);
  EXPECT_EQ(t.records.size(), 3u);
  EXPECT_EQ(t.infected_hosts.size(), 1u);
  EXPECT_EQ(t.infected_hosts.at("10.0.0.9"), kT0 + 30);
  HitStats seeded;
  seed_hit_stats(t, &seeded);
  StatsSnapshot a, b;
  live.fill(&a);
  seeded.fill(&b);
  ASSERT_EQ(a.feeds.size(), b.feeds.size());
  for (size_t i = 0; i < a.feeds.size(); ++i) {
    EXPECT_EQ(a.feeds[i].feed, b.feeds[i].feed);
    EXPECT_EQ(a.feeds[i].hits.flows, b.feeds[i].hits.flows);
    EXPECT_EQ(a.feeds[i].hits.packets, b.feeds[i].hits.packets);
  }
  ASSERT_EQ(a.iocs.size(), b.iocs.size());
  for (size_t i = 0; i < a.iocs.size(); ++i) {
    EXPECT_EQ(a.iocs[i].ioc, b.iocs[i].ioc);
    EXPECT_EQ(a.iocs[i].hits.flows, b.iocs[i].hits.flows);
    EXPECT_EQ(a.iocs[i].hits.packets, b.iocs[i].hits.packets);
  }
  ASSERT_EQ(a.hosts.size(), b.hosts.size());
  for (size_t i = 0; i < a.hosts.size(); ++i) {
    EXPECT_EQ(a.hosts[i].host, b.hosts[i].host);
    EXPECT_EQ(a.hosts[i].hits.flows, b.hosts[i].hits.flows);
  }
}

TEST(InfectedHosts, NewOnlyWhenNotInTheStoreAndActiveFor24Hours) {
  TempDir d;
  HitStore s(d.path());
  HitRecord known = hit("10.0.0.9", "10.0.0.9", "watch", kT0 - 30 * kHour, 1, 1);
  known.role = "infected";
  s.add(known);
  std::string err;
  ASSERT_TRUE(s.flush(kT0 - 30 * kHour, &err));
  InfectedHosts inf;
  inf.seed(rebuild_hit_totals(s));
  EXPECT_EQ(inf.newly_seen(), 0u);
  EXPECT_EQ(inf.active(kT0), 0u);  // last seen 30 h ago
  known.last_ms = known.first_ms = kT0 - kHour;
  inf.observe(known);              // seen again: active, not new
  EXPECT_EQ(inf.newly_seen(), 0u);
  EXPECT_EQ(inf.active(kT0), 1u);
  HitRecord fresh = hit("10.0.0.10", "10.0.0.10", "watch", kT0, 1, 1);
  fresh.role = "infected";
  inf.observe(fresh);
  inf.observe(fresh);
  EXPECT_EQ(inf.newly_seen(), 1u);
  EXPECT_EQ(inf.active(kT0), 2u);
  inf.observe(hit("10.0.0.11", "198.51.100.1", "apt", kT0, 1, 1));  // a contact, not an infection
  EXPECT_EQ(inf.newly_seen(), 1u);
}

}  // namespace
}  // namespace iocgate
