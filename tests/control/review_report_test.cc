// tests/control/review_report_test.cc — the review report from hand-made store lines:
// summaries per advisory, group and feed; the ranking (infected, beaconing, one-off); the
// timeline; detail rows; filters and their errors; removed-feed marks; forgotten feeds;
// first-schema records; the four renderings; Vietnamese; the times an operator types.

#include "control/review_report.h"

#include <gtest/gtest.h>

#include <random>

#include "control/beacon_detector.h"
#include "control/hit_store.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using nlohmann::json;
using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kMin = 60000;
constexpr int64_t kHour = 3600000;

// One store line: one flow (flows > 0) or a summary (packets only).
HitRecord line(const std::string& host, const std::string& ioc, const std::string& feed, int64_t t, uint64_t flows = 1,
               uint64_t packets = 1) {
  HitRecord h;
  h.schema = 2;
  h.host = host;
  h.ioc = ioc;
  h.kind = "ip";
  h.feed = feed;
  h.advisory = feed == "apt" || feed == "misp-941" ? "941/CATTT-NCSC" : feed == "apt31" ? "CISA AA24-057A" : "";
  h.group = feed == "apt" || feed == "misp-941" ? "Mustang Panda" : feed == "apt31" ? "APT31" : "";
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

ReportQuery query(int64_t since = kT0 - 24 * kHour, int64_t until = kT0 + 24 * kHour) {
  ReportQuery q;
  q.since_ms = since;
  q.until_ms = until;
  q.generated_ms = until;
  q.instance = "edge1";
  return q;
}

ReportCatalog catalog(const std::vector<HitRecord>& lines, std::vector<std::string> current = {"apt", "misp-941", "apt31", "watch", "other"}) {
  ReportCatalog c;
  for (const std::string& f : current) c.current.push_back({f, "", ""});
  for (const HitRecord& r : lines) c.seen.add(r);
  return c;
}

json build(const std::vector<HitRecord>& lines, const ReportQuery& q = query()) {
  Result<json> r = build_review_report(lines, q, catalog(lines));
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? *r : json();
}

const json& host_of(const json& rep, const std::string& host) {
  for (const json& h : rep["hosts"])
    if (h["host"] == host) return h;
  static const json none;
  ADD_FAILURE() << "no host " << host;
  return none;
}

const json& entry(const json& list, const char* key, const std::string& name) {
  for (const json& e : list)
    if (e[key] == name) return e;
  static const json none;
  ADD_FAILURE() << "no " << key << " " << name;
  return none;
}

// A fleet: an infected host, a beacon every minute, a host on three hours, one-offs, an
// inbound scan, an allowed-only host, an IoC listed by two advisories.
std::vector<HitRecord> fleet() {
  std::vector<HitRecord> v;
  // 10.0.0.9: its own address is on the watch list (the collector's role).
  HitRecord bot = line("10.0.0.9", "10.0.0.9", "watch", kT0 + 5 * kMin, 2, 9);
  bot.ioc_is_host = true;
  bot.role = "infected";
  bot.peer = "203.0.113.50";
  bot.port = 6667;
  v.push_back(bot);
  // 10.0.0.20: every 60 s (±5 s) for 30 minutes to a Mustang Panda C2 by SNI, alert only.
  std::mt19937 rng(7);
  for (int i = 0; i < 30; ++i) {
    const int64_t jitter = static_cast<int64_t>(rng() % 10000) - 5000;
    HitRecord b = line("10.0.0.20", "c2.mustang.example", "apt", kT0 + 2 * kHour + 10000 + i * kMin + jitter);
    b.kind = "sni";
    b.seen = "cdn.c2.mustang.example";
    b.peer = "198.51.100.20";
    b.action = "alert";
    v.push_back(b);
  }
  // 10.0.0.30: three contacts on three different hours to an APT31 address, irregular.
  for (int64_t t : {kT0 + 1 * kHour + 7 * kMin, kT0 + 4 * kHour + 31 * kMin, kT0 + 9 * kHour + 2 * kMin})
    v.push_back(line("10.0.0.30", "192.0.2.31", "apt31", t));
  // 10.0.0.40: one burst of 50 flows within 3 s (a page load): one contact, many flows.
  for (int i = 0; i < 50; ++i) v.push_back(line("10.0.0.40", "198.51.100.40", "apt", kT0 + 3 * kHour + i * 60));
  // 10.0.0.41: one flow, alert only: ranked before 10.0.0.40 (its traffic went through).
  HitRecord a = line("10.0.0.41", "evil.example", "apt", kT0 + 6 * kHour);
  a.kind = "dns";
  a.seen = "www.evil.example";
  a.peer = "10.0.0.53";
  a.port = 53;
  a.proto = "udp";
  a.action = "alert";
  v.push_back(a);
  // 10.0.0.50: a listed address connecting in every minute: not the host's doing.
  for (int i = 0; i < 20; ++i) {
    HitRecord in = line("10.0.0.50", "192.0.2.99", "apt31", kT0 + 5 * kHour + i * kMin);
    in.direction = "inbound";
    in.port = 22;
    v.push_back(in);
  }
  // 10.0.0.60: only an allowlist's flows.
  HitRecord al = line("10.0.0.60", "update.vendor.example", "other", kT0 + 7 * kHour, 3, 3);
  al.action = "allow";
  v.push_back(al);
  // 10.0.0.70: an address both apt (941) and apt31 (AA24-057A) list; apt's drop decided.
  HitRecord both = line("10.0.0.70", "198.51.100.77", "apt", kT0 + 8 * kHour, 4, 8);
  both.also.push_back({"apt31", "CISA AA24-057A", "APT31", "alert", 12});
  v.push_back(both);
  // Neither end internal: left out.
  HitRecord ext = line("192.0.2.1", "198.51.100.7", "apt", kT0);
  ext.direction = "external";
  v.push_back(ext);
  std::stable_sort(v.begin(), v.end(), [](const HitRecord& x, const HitRecord& y) { return x.last_ms < y.last_ms; });
  return v;
}

TEST(BeaconDetector, RegularIntervalsAndDistinctHours) {
  BeaconDetector regular;
  for (int i = 0; i < 10; ++i) regular.add(kT0 + i * 60000 + (i % 3) * 4000);
  EXPECT_EQ(regular.contacts(), 10u);
  EXPECT_GT(regular.regular_interval_ms(), 50000);
  EXPECT_LT(regular.regular_interval_ms(), 70000);
  EXPECT_TRUE(regular.repeated());

  // Bursts closer than the contact gap are one contact.
  BeaconDetector burst;
  for (int i = 0; i < 100; ++i) burst.add(kT0 + i * 50);
  EXPECT_EQ(burst.contacts(), 1u);
  EXPECT_FALSE(burst.repeated());

  // Exponential gaps (a person browsing): no regularity; two hours only.
  BeaconDetector random;
  std::mt19937 rng(1);
  std::exponential_distribution<double> gap(1.0 / 300000);
  int64_t t = kT0;
  for (int i = 0; i < 20 && t < kT0 + 2 * kHour - 600000; ++i) random.add(t += static_cast<int64_t>(gap(rng)) + 10000);
  EXPECT_EQ(random.regular_interval_ms(), 0);
  EXPECT_LE(random.hours(), 2u);
  EXPECT_FALSE(random.repeated());

  BeaconDetector hours;
  for (int64_t x : {kT0, kT0 + 2 * kHour, kT0 + 5 * kHour}) hours.add(x);
  EXPECT_EQ(hours.hours(), 3u);
  EXPECT_TRUE(hours.repeated());
  EXPECT_EQ(hours.regular_interval_ms(), 0);  // three contacts are too few to call regular
}

TEST(ReviewReport, RanksInfectedThenBeaconingThenOneOff) {
  const json rep = build(fleet());
  std::vector<std::string> order;
  for (const json& h : rep["hosts"]) order.push_back(h["host"]);
  const std::vector<std::string> want = {"10.0.0.9",  "10.0.0.20", "10.0.0.30", "10.0.0.41",
                                         "10.0.0.40", "10.0.0.50", "10.0.0.70", "10.0.0.60"};
  // 10.0.0.70 (4 flows) after 10.0.0.50 (20 flows): both one-off, both blocked, by flows.
  EXPECT_EQ(order, want);
  EXPECT_EQ(host_of(rep, "10.0.0.9")["class"], "infected");
  EXPECT_EQ(host_of(rep, "10.0.0.9")["reasons"][0]["rule"], "watch-list");
  const json& beacon = host_of(rep, "10.0.0.20");
  EXPECT_EQ(beacon["class"], "beaconing");
  EXPECT_EQ(beacon["reasons"][0]["ioc"], "c2.mustang.example");
  EXPECT_NEAR(beacon["reasons"][0]["interval_s"].get<double>(), 60, 8);
  EXPECT_EQ(beacon["reasons"][0]["contacts"], 30);
  const json& hours = host_of(rep, "10.0.0.30");
  EXPECT_EQ(hours["class"], "beaconing");
  EXPECT_EQ(hours["reasons"][0]["interval_s"], 0);
  EXPECT_EQ(hours["reasons"][0]["hours"], 3);
  EXPECT_EQ(host_of(rep, "10.0.0.40")["class"], "one-off");
  EXPECT_EQ(host_of(rep, "10.0.0.40")["flows"], 50);
  EXPECT_EQ(host_of(rep, "10.0.0.50")["class"], "one-off");  // inbound repetition: not the host calling out
  EXPECT_EQ(host_of(rep, "10.0.0.60")["class"], "allowed");
  for (size_t i = 0; i < rep["hosts"].size(); ++i) EXPECT_EQ(rep["hosts"][i]["rank"], i + 1);
  EXPECT_FALSE(rep.dump().find("192.0.2.1\"") != std::string::npos);  // the external flow
  const json& t = rep["totals"];
  EXPECT_EQ(t["hosts"], 8);
  EXPECT_EQ(t["infected"], 1);
  EXPECT_EQ(t["beaconing"], 2);
  EXPECT_EQ(t["one_off"], 4);
  EXPECT_EQ(t["allowed_only"], 1);
  EXPECT_EQ(t["flows"], 2 + 30 + 3 + 50 + 1 + 20 + 3 + 4);
  EXPECT_EQ(t["alerted_flows"], 31);
  EXPECT_EQ(t["allowed_flows"], 3);
  EXPECT_EQ(t["blocked_flows"], 2 + 3 + 50 + 20 + 4);
  EXPECT_EQ(t["hosts_alerted"], 2);
}

TEST(ReviewReport, SummariesPerAdvisoryGroupAndFeed) {
  const json rep = build(fleet());
  // 941: apt's hosts (.20 .40 .41 .70); AA24-057A: apt31's (.30 .50) and .70 (also listed).
  const json& a941 = entry(rep["advisories"], "advisory", "941/CATTT-NCSC");
  EXPECT_EQ(a941["hosts"], 4);
  EXPECT_EQ(a941["flows"], 30 + 50 + 1 + 4);
  EXPECT_EQ(a941["blocked_flows"], 54);
  EXPECT_EQ(a941["alerted_flows"], 31);
  EXPECT_EQ(a941["hosts_alerted"], 2);
  EXPECT_EQ(a941["iocs"], 4);
  EXPECT_EQ(a941["groups"], json::array({"Mustang Panda"}));
  const json& aa = entry(rep["advisories"], "advisory", "CISA AA24-057A");
  EXPECT_EQ(aa["hosts"], 3);  // .30, .50 and .70, under its second listing
  EXPECT_EQ(aa["flows"], 3 + 20 + 4);
  EXPECT_EQ(aa["feeds"], json::array({"apt31"}));
  const json& none = entry(rep["advisories"], "advisory", "");
  EXPECT_EQ(none["hosts"], 2);  // watch and other have no advisory
  EXPECT_EQ(none["infected_hosts"], 1);
  const json& panda = entry(rep["groups"], "group", "Mustang Panda");
  EXPECT_EQ(panda["hosts"], 4);
  EXPECT_EQ(panda["advisories"], json::array({"941/CATTT-NCSC"}));
  const json& apt31 = entry(rep["groups"], "group", "APT31");
  EXPECT_EQ(apt31["hosts"], 3);
  const json& feed_apt = entry(rep["feeds"], "feed", "apt");
  EXPECT_EQ(feed_apt["hosts"], 4);
  EXPECT_FALSE(feed_apt["removed"]);
  EXPECT_EQ(rep["advisories"][0]["infected_hosts"], 1);  // sorted: infected hosts first
}

TEST(ReviewReport, DetailRowsCarryTheNameSeenPeerActionAndListings) {
  const json rep = build(fleet());
  const json& c = host_of(rep, "10.0.0.41")["contacts"][0];
  EXPECT_EQ(c["ioc"], "evil.example");
  EXPECT_EQ(c["matched"], "dns");
  EXPECT_EQ(c["seen"], "www.evil.example");
  EXPECT_EQ(c["peer"], "10.0.0.53");
  EXPECT_EQ(c["port"], 53);
  EXPECT_EQ(c["proto"], "udp");
  EXPECT_EQ(c["action"], "alert");
  EXPECT_EQ(c["outcome"], "alerted");
  EXPECT_EQ(c["direction"], "outbound");
  EXPECT_EQ(c["first_seen"], "2024-06-24T06:00:00Z");
  const json& both = host_of(rep, "10.0.0.70")["contacts"][0];
  ASSERT_EQ(both["listings"].size(), 2u);
  EXPECT_EQ(both["listings"][0]["feed"], "apt");
  EXPECT_TRUE(both["listings"][0]["decided"]);
  EXPECT_EQ(both["listings"][1]["feed"], "apt31");
  EXPECT_EQ(both["listings"][1]["line"], 12);
  EXPECT_FALSE(both["listings"][1]["decided"]);
  // The beacon's 30 lines are one contact row; first and last seen span them.
  const json& b = host_of(rep, "10.0.0.20");
  ASSERT_EQ(b["contacts"].size(), 1u);
  EXPECT_EQ(b["contacts"][0]["flows"], 30);
  EXPECT_LT(b["contacts"][0]["first_ms"].get<int64_t>() + 28 * kMin, b["contacts"][0]["last_ms"].get<int64_t>());
  // A summary line (packets of a flow begun before the period) is seen at its time.
  std::vector<HitRecord> v = {line("10.0.0.1", "198.51.100.1", "apt", kT0 + 10 * kMin, 0, 7)};
  const json s = build(v);
  EXPECT_EQ(s["hosts"][0]["contacts"][0]["first_ms"], kT0 + 10 * kMin);
  EXPECT_EQ(s["hosts"][0]["packets"], 7);
  EXPECT_EQ(s["hosts"][0]["flows"], 0);
}

TEST(ReviewReport, TimelineBinsFollowThePeriodAndTheOffset) {
  // Three days: hourly bins (the finer steps would need more than 96).
  const json rep = build(fleet(), query(kT0, kT0 + 72 * kHour));
  const json& t = rep["timeline"];
  EXPECT_EQ(t["bin_ms"], kHour);
  EXPECT_EQ(t["bins"], 72);
  EXPECT_EQ(t["start_ms"], kT0);
  EXPECT_EQ(t["flows"][2], 30);    // the beacon, 02:00-02:30
  EXPECT_EQ(t["alerted"][2], 30);
  EXPECT_EQ(t["flows"][3], 50);    // the burst
  EXPECT_EQ(t["blocked"][3], 50);
  uint64_t sum = 0;
  for (const json& x : t["flows"]) sum += x.get<uint64_t>();
  EXPECT_EQ(sum, rep["totals"]["flows"].get<uint64_t>());
  const json& h = host_of(rep, "10.0.0.30")["timeline"];
  ASSERT_EQ(h.size(), 3u);  // sparse: [bin, flows, blocked, alerted]
  EXPECT_EQ(h[0], json::array({1, 1, 1, 0}));
  EXPECT_EQ(h[2], json::array({9, 1, 1, 0}));

  EXPECT_EQ(build(fleet(), query(kT0, kT0 + 24 * kHour))["timeline"]["bin_ms"], 15 * kMin);
  EXPECT_EQ(build(fleet(), query(kT0, kT0 + kHour))["timeline"]["bin_ms"], kMin);
  // A week at +07:00: 3-hour bins starting on a local 3-hour boundary.
  ReportQuery w = query(kT0 - 7 * 24 * kHour + 30 * kMin, kT0 + 30 * kMin);
  w.utc_offset_minutes = 7 * 60;
  const json wk = build(fleet(), w);
  EXPECT_EQ(wk["timeline"]["bin_ms"], 3 * kHour);
  EXPECT_EQ((wk["timeline"]["start_ms"].get<int64_t>() + 7 * kHour) % (3 * kHour), 0);
  EXPECT_LE(wk["timeline"]["bins"].get<int>(), 96);
  // 90 days: daily bins from local midnight.
  ReportQuery q90 = query(kT0 - 90LL * 24 * kHour + 5 * kHour, kT0 + kHour);
  q90.utc_offset_minutes = 7 * 60;
  const json d90 = build(fleet(), q90);
  EXPECT_EQ(d90["timeline"]["bin_ms"], 24 * kHour);
  EXPECT_EQ((d90["timeline"]["start_ms"].get<int64_t>() + 7 * kHour) % (24 * kHour), 0);
}

TEST(ReviewReport, FiltersByAdvisoryGroupFeedHostAndPeriod) {
  const auto v = fleet();
  auto hosts = [&](const ReportQuery& q) {
    std::vector<std::string> out;
    const json rep = build(v, q);
    for (const json& h : rep["hosts"]) out.push_back(h["host"]);
    std::sort(out.begin(), out.end());
    return out;
  };
  ReportQuery q = query();
  q.advisories = {"CISA AA24-057A"};
  EXPECT_EQ(hosts(q), (std::vector<std::string>{"10.0.0.30", "10.0.0.50", "10.0.0.70"}));
  q = query();
  q.groups = {"Mustang Panda", "APT31"};  // repeatable: either
  EXPECT_EQ(hosts(q).size(), 6u);
  q = query();
  q.feeds = {"watch"};
  EXPECT_EQ(hosts(q), std::vector<std::string>{"10.0.0.9"});
  // Across kinds one listing must match all: apt's listings are not AA24-057A's.
  q = query();
  q.feeds = {"apt"};
  q.advisories = {"CISA AA24-057A"};
  EXPECT_TRUE(hosts(q).empty());
  q.feeds = {"apt31"};
  EXPECT_EQ(hosts(q).size(), 3u);
  // Summaries count only the listings the filter keeps.
  ReportQuery only = query();
  only.advisories = {"CISA AA24-057A"};
  const json rep = build(v, only);
  EXPECT_EQ(rep["advisories"].size(), 1u);
  EXPECT_EQ(rep["filters"]["advisories"], json::array({"CISA AA24-057A"}));
  q = query();
  q.hosts = {"10.0.0.40/31"};
  EXPECT_EQ(hosts(q), (std::vector<std::string>{"10.0.0.40", "10.0.0.41"}));
  q.hosts = {"10.0.0.9"};
  EXPECT_EQ(hosts(q), std::vector<std::string>{"10.0.0.9"});
  // Absolute period: 02:00 to 03:00 holds the beacon only.
  q = query(kT0 + 2 * kHour, kT0 + 3 * kHour - 1);
  EXPECT_EQ(hosts(q), std::vector<std::string>{"10.0.0.20"});
  // IPv6 hosts and CIDRs.
  std::vector<HitRecord> six = {line("2001:db8:0:1::5", "198.51.100.1", "apt", kT0),
                                line("2001:db8:0:2::5", "198.51.100.1", "apt", kT0)};
  ReportQuery q6 = query();
  q6.hosts = {"2001:db8:0:1::/64"};
  Result<json> r6 = build_review_report(six, q6, catalog(six));
  ASSERT_TRUE(r6.ok());
  ASSERT_EQ((*r6)["hosts"].size(), 1u);
  EXPECT_EQ((*r6)["hosts"][0]["host"], "2001:db8:0:1::5");
}

TEST(ReviewReport, UnknownNamesAndBadHostsAreErrorsThatListTheKnownOnes) {
  const auto v = fleet();
  ReportCatalog c = catalog(v, {"apt", "apt31", "watch", "other"});
  c.seen.feeds.insert("old-feed");  // hits kept, feed removed
  ReportQuery q = query();
  q.feeds = {"aptt", "apt"};
  Result<json> r = build_review_report(v, q, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("--feed 'aptt': no such feed"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("apt, apt31, other, watch"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("removed, with hits kept: old-feed"), std::string::npos) << r.message();
  q = query();
  q.advisories = {"941/CATT-NCSC"};
  q.groups = {"Mustang"};
  r = build_review_report(v, q, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("--advisory '941/CATT-NCSC'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("941/CATTT-NCSC"), std::string::npos);
  EXPECT_NE(r.message().find("--group 'Mustang'"), std::string::npos);  // every unknown at once
  q = query();
  q.hosts = {"10.0.0.300"};
  r = build_review_report(v, q, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("--host '10.0.0.300'"), std::string::npos);
  q.hosts = {"10.0.0.0/33"};
  EXPECT_FALSE(build_review_report(v, q, c).ok());
  q = query(kT0, kT0 - 1);
  r = build_review_report(v, q, c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("--until is before --since"), std::string::npos);
  // Known through a current feed's metadata, without hits: an empty report, not an error.
  c.current.push_back({"fresh", "New advisory", "New group"});
  q = query();
  q.advisories = {"New advisory"};
  r = build_review_report(v, q, c);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE((*r)["hosts"].empty());
}

TEST(ReviewReport, HitsOfFeedsNoLongerPresentAreMarkedRemoved) {
  const auto v = fleet();
  ReportCatalog c = catalog(v, {"apt", "watch", "other"});  // apt31 was removed
  Result<json> r = build_review_report(v, query(), c);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(host_of(*r, "10.0.0.30")["contacts"][0]["removed_feed"]);
  EXPECT_FALSE(host_of(*r, "10.0.0.41")["contacts"][0]["removed_feed"]);
  const json& both = host_of(*r, "10.0.0.70")["contacts"][0];
  EXPECT_FALSE(both["removed_feed"]);
  EXPECT_FALSE(both["listings"][0]["removed"]);
  EXPECT_TRUE(both["listings"][1]["removed"]);
  EXPECT_TRUE(entry((*r)["feeds"], "feed", "apt31")["removed"]);
  const std::string text = render_report_text(*r);
  EXPECT_NE(text.find("apt31 (removed feed)"), std::string::npos) << text;
  EXPECT_NE(text.find("apt31 (CISA AA24-057A, APT31, removed feed)"), std::string::npos) << text;
  EXPECT_NE(render_report_html(*r).find("<span class=\"removed\"><span class=\"v\">(removed</span> <span class=\"v\">feed)</span>"), std::string::npos);
  EXPECT_NE(render_report_csv(*r).find(",apt31,CISA AA24-057A,APT31,0,yes,"), std::string::npos);
}

TEST(ReviewReport, ForgottenFeedsAreSaid) {
  const auto v = fleet();
  ReportCatalog c = catalog(v);
  ForgetEntry e;
  e.time_ms = kT0 + 3 * kHour;
  e.feed = "mistake";
  e.by = "uid 1000 (alice), pid 42";
  e.state = "done";
  e.flows = 1234;
  c.forgotten = {e};
  Result<json> r = build_review_report(v, query(), c);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["forgotten"].size(), 1u);
  EXPECT_EQ((*r)["forgotten"][0]["by"], "uid 1000 (alice), pid 42");
  EXPECT_NE(render_report_text(*r).find("Hits of feed mistake were forgotten on 2024-06-24 03:00:00 by uid 1000 "
                                        "(alice), pid 42 (1,234 flows)."),
            std::string::npos)
      << render_report_text(*r);
}

TEST(ReviewReport, RecordsOfTheFirstSchemaUseTheBotnetNameRule) {
  HitRecord old = line("10.0.0.9", "10.0.0.9", "monthly", kT0, 1, 4);
  old.schema = 1;
  old.group = "Monthly botnet list";
  old.ioc_is_host = true;
  old.peer.clear();
  old.port = 0;
  old.proto.clear();
  HitRecord new_schema = line("10.0.0.8", "10.0.0.8", "monthly-2", kT0, 1, 4);
  new_schema.group = "Monthly botnet list";
  new_schema.ioc_is_host = true;  // a botnet name, but no watch-list role: not infected
  const json rep = build({old, new_schema});
  EXPECT_EQ(host_of(rep, "10.0.0.9")["class"], "infected");
  EXPECT_EQ(host_of(rep, "10.0.0.9")["reasons"][0]["rule"], "botnet-name");
  EXPECT_EQ(host_of(rep, "10.0.0.9")["contacts"][0]["schema"], 1);
  EXPECT_EQ(host_of(rep, "10.0.0.8")["class"], "one-off");
  EXPECT_NE(render_report_text(rep).find("own address on botnet list monthly"), std::string::npos);
}

TEST(ReviewReport, ManyPeersOfOneContactFoldIntoOneRow) {
  std::vector<HitRecord> v;
  for (int i = 0; i < 100; ++i) {
    HitRecord r = line("10.0.0.5", "cdn.evil.example", "apt", kT0 + i * 1000);
    r.kind = "sni";
    r.peer = "198.51.100." + std::to_string(i);
    v.push_back(r);
  }
  const json rep = build(v);
  const json& c = rep["hosts"][0]["contacts"];
  EXPECT_EQ(c.size(), HitRecord::kMaxVariants + 1);
  uint64_t flows = 0;
  for (const json& x : c) flows += x["flows"].get<uint64_t>();
  EXPECT_EQ(flows, 100u);
  EXPECT_NE(render_report_text(rep).find("other peers"), std::string::npos);
}

TEST(ReviewReport, RendersTextCsvAndHtml) {
  const json rep = build(fleet());
  const std::string text = render_report_text(rep);
  for (const char* s : {"iocgate review report — edge1", "\nBy advisory\n-----------\n", "By threat group", "By feed",
                        "Timeline", "Hosts to clean first", "1. 10.0.0.9  [infected]", "own address on watch list watch",
                        "calls c2.mustang.example about every", "contacted 192.0.2.31 on 3 distinct hours",
                        "cdn.c2.mustang.example", "10.0.0.53 udp/53", "alert (alert only)", "drop (blocked)",
                        "apt31 (CISA AA24-057A, APT31, line 12)"})
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  EXPECT_EQ(text.find("192.0.2.1 "), std::string::npos);

  const std::string csv = render_report_csv(rep);
  EXPECT_EQ(csv.substr(0, csv.find('\r')),
            "rank,host,class,infected,beaconing,why,ioc,matched,seen,peer,port,proto,action,outcome,direction,feed,"
            "advisory,group,line,removed_feed,other_listings,first_seen,last_seen,flows,packets");
  EXPECT_NE(csv.find("1,10.0.0.9,infected,yes,no,own address on watch list watch,10.0.0.9,ip,,203.0.113.50,6667,tcp,"
                     "drop,blocked,outbound,watch,,,0,no,,2024-06-24T00:05:00Z,2024-06-24T00:05:00Z,2,9\r\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("evil.example,dns,www.evil.example,10.0.0.53,53,udp,alert,alerted,outbound"), std::string::npos);
  EXPECT_NE(csv.find("apt31 / CISA AA24-057A / APT31"), std::string::npos);
  size_t rows = 0;
  for (const json& h : rep["hosts"]) rows += h["contacts"].size();
  EXPECT_EQ(static_cast<size_t>(std::count(csv.begin(), csv.end(), '\n')), rows + 1);

  const std::string html = render_report_html(rep);
  for (const char* s : {"@page { size: A4 landscape", "white-space: nowrap", "hyphens: none", "word-break: keep-all",
                        "table-layout: auto", "<svg", "class=\"cls cls-infected\"", "<td class=\"n\"><span class=\"v\">50</span>"})
    EXPECT_NE(html.find(s), std::string::npos) << s;
  EXPECT_NE(html.find("data-host=\"10.0.0.20\""), std::string::npos);
  EXPECT_NE(html.find("<span class=\"v\">cdn.c2.mustang.example</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"v\">941/CATTT-NCSC</span>"), std::string::npos);  // may not break at / or -
  EXPECT_EQ(html.find("overflow-wrap: anywhere"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(ReviewReport, EscapesWhatFeedsAndTrafficCarry) {
  HitRecord h = line("10.0.0.1", "<script>x</script>", "apt", kT0);
  h.advisory = "a,\"b\"";
  h.seen = "x\"><img src=y>";
  h.group = "=HYPERLINK(\"http://evil\")";
  const json rep = build({h});
  const std::string html = render_report_html(rep);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  const std::string csv = render_report_csv(rep);
  EXPECT_NE(csv.find("\"a,\"\"b\"\"\""), std::string::npos);
  EXPECT_NE(csv.find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos) << csv;  // never a formula
}

TEST(ReviewReport, VietnameseLabelsDatesAndNumbers) {
  std::vector<HitRecord> v = fleet();
  v.push_back(line("10.0.0.80", "198.51.100.80", "apt", kT0 + 10 * kHour, 23496730, 1234567890));
  ReportQuery q = query();
  q.utc_offset_minutes = 7 * 60;
  const json rep = build(v, q);
  const RenderOptions vi{Lang::kVi};
  const std::string text = render_report_text(rep, vi);
  for (const char* s : {"Báo cáo rà soát kết nối IoC — iocgate — edge1", "Khoảng thời gian", "UTC+07:00",
                        "Theo khuyến cáo", "Thứ tự ưu tiên xử lý máy", "[bị nhiễm]", "23.496.730", "1.234.567.890",
                        "24/06/2024 07:05:00", "đi ra", "chỉ cảnh báo"})
    EXPECT_NE(text.find(s), std::string::npos) << s << "\n" << text;
  const std::string html = render_report_html(rep, vi);
  EXPECT_NE(html.find("<html lang=\"vi\">"), std::string::npos);
  EXPECT_NE(html.find("Theo khuyến cáo"), std::string::npos);
  EXPECT_NE(html.find("Thứ tự ưu tiên xử lý máy"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"v\">23.496.730</span>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"v\">24/06/2024 07:05:00</span>"), std::string::npos);
  // English keeps its own forms; CSV stays machine-readable in both.
  EXPECT_NE(render_report_text(rep).find("23,496,730"), std::string::npos);
  EXPECT_EQ(render_report_csv(rep, vi), render_report_csv(rep));
  EXPECT_TRUE(parse_lang("vi").ok());
  EXPECT_FALSE(parse_lang("fr").ok());
}

TEST(ReportI18n, EveryLabelHasBothLanguagesWithTheSamePlaceholders) {
  auto holes = [](const std::string& s) {
    size_t n = 0;
    for (size_t i = s.find("{}"); i != std::string::npos; i = s.find("{}", i + 2)) ++n;
    return n;
  };
  for (std::string_view k : label_keys()) {
    const std::string en = tr(Lang::kEn, k), vi = tr(Lang::kVi, k);
    EXPECT_FALSE(en.empty()) << k;
    EXPECT_FALSE(vi.empty()) << k;
    EXPECT_EQ(holes(en), holes(vi)) << k;
  }
  EXPECT_EQ(tr(Lang::kEn, "dir.sideways"), "sideways");  // a word this version does not name
  EXPECT_EQ(format_count(0, Lang::kEn), "0");
  EXPECT_EQ(format_count(999, Lang::kVi), "999");
  EXPECT_EQ(format_count(1000, Lang::kVi), "1.000");
  EXPECT_EQ(format_time(kT0, Lang::kVi, 7 * 60), "24/06/2024 07:00:00");
  EXPECT_EQ(format_time(kT0, Lang::kEn, -5 * 60 - 30), "2024-06-23 18:30:00");
  EXPECT_EQ(format_interval(45, Lang::kVi), "45 giây");
  EXPECT_EQ(format_interval(300, Lang::kEn), "5 min");
  EXPECT_EQ(format_bin(3 * kHour, Lang::kVi), "3 giờ");
}

TEST(ReportTime, DurationsDatesAndRfc3339) {
  EXPECT_EQ(parse_duration_seconds("24h"), 86400);
  EXPECT_EQ(parse_duration_seconds("7d"), 7 * 86400);
  EXPECT_EQ(parse_duration_seconds("90m"), 5400);
  EXPECT_EQ(parse_duration_seconds("30"), 30);
  EXPECT_EQ(parse_duration_seconds("2w"), 14 * 86400);
  EXPECT_EQ(parse_duration_seconds("h"), -1);
  EXPECT_EQ(parse_duration_seconds("5y"), -1);
  EXPECT_EQ(parse_duration_seconds("-1h"), -1);
  EXPECT_EQ(parse_duration_seconds("99999999999999h"), -1);
  const int64_t now = kT0 + 12 * kHour;
  auto at = [&](const char* s, int off = 0, bool eod = false) {
    Result<int64_t> r = parse_report_time(s, now, off, eod);
    return r.ok() ? *r : -1;
  };
  EXPECT_EQ(at("24h"), now - 24 * kHour);
  EXPECT_EQ(at("2024-06-24"), kT0);
  EXPECT_EQ(at("2024-06-24", 7 * 60), kT0 - 7 * kHour);
  EXPECT_EQ(at("2024-06-24", 0, true), kT0 + 24 * kHour);  // --until a date covers that day
  EXPECT_EQ(at("2024-06-24 13:30"), kT0 + 13 * kHour + 30 * kMin);
  EXPECT_EQ(at("2024-06-24T13:30:15", 7 * 60), kT0 + 6 * kHour + 30 * kMin + 15000);
  EXPECT_EQ(at("2024-06-24T13:00:00+07:00"), kT0 + 6 * kHour);
  EXPECT_EQ(at("2024-06-24T13:00:00Z", 7 * 60), kT0 + 13 * kHour);  // its own offset wins
  EXPECT_EQ(at("2024-02-30"), -1);
  EXPECT_EQ(at("yesterday"), -1);
  EXPECT_EQ(at(""), -1);
  Result<int64_t> bad = parse_report_time("2024-13-01", now, 0, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("RFC 3339"), std::string::npos);
  EXPECT_EQ(*parse_utc_offset("+07:00"), 420);
  EXPECT_EQ(*parse_utc_offset("-05:30"), -330);
  EXPECT_EQ(*parse_utc_offset(""), 0);
  EXPECT_FALSE(parse_utc_offset("+7").ok());
  EXPECT_FALSE(parse_utc_offset("+15:00").ok());
  EXPECT_EQ(format_utc_offset(-330), "-05:30");
}

TEST(ReportQuery, FromTheRequest) {
  ReportRequest req;
  req.since_seconds = 3600;
  req.feed = "apt";  // the first iocctl's single --feed
  req.feeds = {"apt", "apt31"};
  req.hosts = {"10.0.0.0/8"};
  req.utc_offset = "+07:00";
  Result<ReportQuery> q = report_query_of(req, kT0, "edge1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->since_ms, kT0 - kHour);
  EXPECT_EQ(q->until_ms, kT0);
  EXPECT_EQ(q->feeds, (std::vector<std::string>{"apt", "apt31"}));
  EXPECT_EQ(q->utc_offset_minutes, 420);
  req.since_ms = kT0 - 48 * kHour;
  req.until_ms = kT0 - 24 * kHour;
  q = report_query_of(req, kT0, "edge1");
  EXPECT_EQ(q->since_ms, kT0 - 48 * kHour);
  EXPECT_EQ(q->until_ms, kT0 - 24 * kHour);
  req.utc_offset = "7";
  EXPECT_FALSE(report_query_of(req, kT0, "").ok());
  // The wire: every field round-trips through the one field table.
  ReportRequest full;
  full.since_ms = kT0;
  full.until_ms = kT0 + kHour;
  full.feeds = {"apt"};
  full.advisories = {"941/CATTT-NCSC"};
  full.groups = {"Mustang Panda"};
  full.hosts = {"10.0.0.5"};
  full.utc_offset = "+07:00";
  Result<json> wire = encode_ctl_request(CtlRequest{full});
  ASSERT_TRUE(wire.ok()) << wire.message();
  Result<CtlRequest> back = parse_ctl_request(*wire);
  ASSERT_TRUE(back.ok()) << back.message();
  const auto& b = std::get<ReportRequest>(back->body);
  EXPECT_EQ(b.since_ms, kT0);
  EXPECT_EQ(b.until_ms, kT0 + kHour);
  EXPECT_EQ(b.advisories, full.advisories);
  EXPECT_EQ(b.groups, full.groups);
  EXPECT_EQ(b.hosts, full.hosts);
  EXPECT_EQ(b.utc_offset, "+07:00");
  json over = *wire;
  over["until_ms"] = int64_t{253402300800000};
  EXPECT_FALSE(parse_ctl_request(over).ok());
}

TEST(ReviewReport, FromTheStoreAndItsFiles) {
  TempDir d;
  HitStore s(d.path());
  for (const HitRecord& r : fleet()) s.add(r);
  std::string err;
  ASSERT_TRUE(s.flush(kT0 + 12 * kHour, &err)) << err;
  ReportCatalog c;
  c.current = {{"apt", "", ""}, {"apt31", "", ""}, {"watch", "", ""}, {"other", "", ""}};
  c.seen = s.names();
  Result<json> live = build_review_report(s, query(), c);
  Result<json> files = build_review_report_from_files(d.path(), query(), c);
  ASSERT_TRUE(live.ok() && files.ok());
  EXPECT_EQ((*live)["hosts"], (*files)["hosts"]);
  EXPECT_EQ((*live)["totals"]["flows"], build(fleet())["totals"]["flows"]);
  // Lines merged in one batch lose their spacing: the beacon's 30 flows of one flush are one
  // contact here, and the ranking still holds it by the other hosts' classes.
  EXPECT_EQ((*live)["store"]["damaged_lines"], 0);
}

TEST(ReviewReport, TheFirstInterfaceStillWorks) {
  std::vector<HitRecord> r;
  HitRecord infected = line("10.0.0.9", "10.0.0.9", "monthly", kT0 + 5000, 1, 4);
  infected.schema = 1;
  infected.group = "Monthly botnet list";
  infected.ioc_is_host = true;
  r.push_back(infected);
  r.push_back(line("10.0.0.5", "198.51.100.7", "apt", kT0, 2, 10));
  ReportScope scope;
  scope.since_ms = kT0 - 24 * kHour;
  scope.generated_ms = kT0 + 10000;
  scope.instance = "edge1";
  const json j = build_review_report(r, scope);
  ASSERT_EQ(j["hosts"].size(), 2u);
  EXPECT_EQ(j["hosts"][0]["host"], "10.0.0.9");
  EXPECT_TRUE(j["hosts"][0]["infected"]);
  EXPECT_FALSE(j["hosts"][1]["contacts"][0]["removed_feed"]);
  scope.feed = "nonesuch";
  EXPECT_TRUE(build_review_report(r, scope)["hosts"].empty());
}

TEST(ReviewReport, BoundedRowsWithExactTotalsUnderAScan) {
  // A listed address scanning 25,000 internal addresses (inbound), one host contacting
  // 60,000 listed addresses, and an infected host seen last: the rows are bounded, the
  // totals exact, the limits said, and the infected host still ranked.
  std::vector<HitRecord> v;
  v.reserve(86000);
  for (int i = 0; i < 25000; ++i) {
    HitRecord r = line("10." + std::to_string(1 + i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
                           std::to_string(i % 256),
                       "192.0.2.99", "apt31", kT0 + i);
    r.direction = "inbound";
    v.push_back(r);
  }
  for (int i = 0; i < 60000; ++i)
    v.push_back(line("10.200.0.1", "198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256), "apt",
                     kT0 + 30000 + i));
  HitRecord bot = line("10.200.0.9", "10.200.0.9", "watch", kT0 + 100000, 1, 1);
  bot.role = "infected";
  v.push_back(bot);
  const json rep = build(v);
  const json& t = rep["totals"];
  EXPECT_EQ(t["flows"], 25000 + 60000 + 1);
  const json& lim = rep["limits"];
  EXPECT_EQ(lim["lines_of_hosts_over_limit"], 25000 - 10000);  // a scan gets half the hosts
  EXPECT_EQ(lim["flows_of_hosts_over_limit"], 15000);
  EXPECT_GT(lim["lines_in_other_contacts"].get<uint64_t>(), 0u);
  EXPECT_EQ(t["hosts"], 10000 + 2);
  EXPECT_EQ(rep["hosts"][0]["host"], "10.200.0.9");
  EXPECT_EQ(rep["hosts"][0]["class"], "infected");
  EXPECT_EQ(entry(rep["advisories"], "advisory", "CISA AA24-057A")["flows"], 25000);  // flows stay exact
  size_t rows = 0;
  uint64_t flows = 0;
  for (const json& h : rep["hosts"])
    for (const json& c : h["contacts"]) {
      ++rows;
      flows += c["flows"].get<uint64_t>();
    }
  EXPECT_LE(rows, 50000u + 3);
  EXPECT_EQ(flows, 10000u + 60000 + 1);  // every tracked host's flows, folded rows included
  const json& big = host_of(rep, "10.200.0.1");
  EXPECT_EQ(big["flows"], 60000);
  EXPECT_EQ(big["iocs"], 60000);
  EXPECT_TRUE(std::any_of(big["contacts"].begin(), big["contacts"].end(), [](const json& c) { return c["folded"] == true; }));
  EXPECT_NE(render_report_text(rep).find("This report holds at most 20,000 hosts and 50,000 contact rows"),
            std::string::npos);
}

}  // namespace
}  // namespace iocgate
