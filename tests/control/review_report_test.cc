// tests/control/review_report_test.cc — the review store survives a restart; the report groups
// by host, flags infected hosts, filters by period and feed, and renders four ways.

#include "control/review_report.h"

#include <gtest/gtest.h>

#include "control/hit_store.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kHour = 3600000;

HitRecord hit(const std::string& host, const std::string& ioc, const std::string& feed, int64_t t, uint64_t flows,
              uint64_t packets, const std::string& direction = "outbound") {
  HitRecord h;
  h.host = host;
  h.ioc = ioc;
  h.kind = "ip";
  h.feed = feed;
  h.advisory = feed == "apt" ? "941/CATTT-NCSC" : "";
  h.group = feed == "monthly" ? "Monthly botnet list" : "Mustang Panda";
  h.action = "drop";
  h.direction = direction;
  h.first_ms = flows ? t : 0;
  h.last_ms = t;
  h.flows = flows;
  h.packets = packets;
  return h;
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
  EXPECT_EQ(read_hit_files(d.path(), kT0 - kHour, "").size(), 1u);
}

TEST(HitStore, SinceAndFeedFilterAcrossDayFiles) {
  TempDir d;
  HitStore s(d.path());
  std::string err;
  s.add(hit("10.0.0.1", "198.51.100.1", "apt", kT0 - 48 * kHour, 1, 1));
  ASSERT_TRUE(s.flush(kT0 - 48 * kHour, &err));
  s.add(hit("10.0.0.2", "198.51.100.2", "apt", kT0 - 2 * kHour, 1, 1));
  ASSERT_TRUE(s.flush(kT0 - 2 * kHour, &err));
  s.add(hit("10.0.0.3", "203.0.113.3", "other", kT0, 1, 1));  // pending, still read
  EXPECT_EQ(s.read(kT0 - 72 * kHour, "").size(), 3u);
  EXPECT_EQ(s.read(kT0 - 24 * kHour, "").size(), 2u);
  EXPECT_EQ(s.read(kT0 - 24 * kHour, "apt").size(), 1u);
  EXPECT_EQ(s.read(kT0 - kHour, "").size(), 1u);
}

TEST(ReviewReport, GroupsByHostAndFlagsBotnetListedHosts) {
  std::vector<HitRecord> r;
  r.push_back(hit("10.0.0.5", "198.51.100.7", "apt", kT0, 2, 10));
  r.push_back(hit("10.0.0.5", "evil.example", "apt", kT0 - 1000, 1, 3));
  HitRecord infected = hit("10.0.0.9", "10.0.0.9", "monthly", kT0 + 5000, 1, 4, "outbound");
  infected.ioc_is_host = true;
  r.push_back(infected);
  // Listed as a destination by a botnet feed: not infected (the host talked to a bot).
  r.push_back(hit("10.0.0.7", "192.0.2.9", "monthly", kT0, 1, 1));
  r.push_back(hit("192.0.2.50", "198.51.100.7", "apt", kT0, 1, 1, "external"));
  ReportScope scope;
  scope.since_ms = kT0 - 24 * kHour;
  scope.generated_ms = kT0 + 10000;
  scope.instance = "edge1";
  const auto j = build_review_report(r, scope);
  ASSERT_EQ(j["hosts"].size(), 3u);
  EXPECT_EQ(j["hosts"][0]["host"], "10.0.0.9");
  EXPECT_TRUE(j["hosts"][0]["infected"]);
  EXPECT_EQ(j["hosts"][1]["host"], "10.0.0.5");
  EXPECT_FALSE(j["hosts"][1]["infected"]);
  EXPECT_EQ(j["hosts"][1]["flows"], 3);
  EXPECT_EQ(j["hosts"][1]["packets"], 13);
  EXPECT_EQ(j["hosts"][1]["first_seen"], "2024-06-23T23:59:59Z");
  EXPECT_EQ(j["hosts"][1]["contacts"][0]["ioc"], "evil.example");  // by first seen
  EXPECT_FALSE(j["hosts"][2]["infected"]);
  EXPECT_EQ(j["totals"]["hosts"], 3);
  EXPECT_EQ(j["totals"]["infected"], 1);
  EXPECT_EQ(j["since"], "2024-06-23T00:00:00Z");

  const std::string text = render_report_text(j);
  EXPECT_NE(text.find("10.0.0.9  INFECTED"), std::string::npos) << text;
  EXPECT_NE(text.find("941/CATTT-NCSC"), std::string::npos);
  EXPECT_EQ(text.find("192.0.2.50"), std::string::npos);

  const std::string csv = render_report_csv(j);
  EXPECT_EQ(csv.substr(0, csv.find('\r')),
            "host,infected,ioc,matched,feed,advisory,group,action,direction,first_seen,last_seen,flows,packets");
  EXPECT_NE(csv.find("10.0.0.9,yes,10.0.0.9,ip,monthly,,Monthly botnet list,drop,outbound,"), std::string::npos) << csv;

  const std::string html = render_report_html(j);
  EXPECT_NE(html.find("@page { size: A4"), std::string::npos);
  EXPECT_NE(html.find("data-host=\"10.0.0.5\""), std::string::npos);
  EXPECT_NE(html.find("<span class=\"infected\">INFECTED</span>"), std::string::npos);
}

TEST(ReviewReport, EscapesWhatFeedsCarry) {
  HitRecord h = hit("10.0.0.1", "<script>x</script>", "apt", kT0, 1, 1);
  h.advisory = "a,\"b\"";
  ReportScope scope;
  scope.generated_ms = kT0;
  const auto j = build_review_report({h}, scope);
  EXPECT_EQ(render_report_html(j).find("<script>"), std::string::npos);
  EXPECT_NE(render_report_csv(j).find("\"a,\"\"b\"\"\""), std::string::npos);
}

TEST(ReviewReport, Durations) {
  EXPECT_EQ(parse_duration_seconds("24h"), 86400);
  EXPECT_EQ(parse_duration_seconds("7d"), 7 * 86400);
  EXPECT_EQ(parse_duration_seconds("90m"), 5400);
  EXPECT_EQ(parse_duration_seconds("30"), 30);
  EXPECT_EQ(parse_duration_seconds("2w"), 14 * 86400);
  EXPECT_EQ(parse_duration_seconds("h"), -1);
  EXPECT_EQ(parse_duration_seconds("5y"), -1);
  EXPECT_EQ(parse_duration_seconds("-1h"), -1);
}

TEST(ReviewReport, BotnetFeedIsNamedByGroupOrName) {
  EXPECT_TRUE(is_botnet_feed("monthly", "Monthly Botnet list"));
  EXPECT_TRUE(is_botnet_feed("botnet-2024-06", ""));
  EXPECT_FALSE(is_botnet_feed("apt", "Mustang Panda"));
}

}  // namespace
}  // namespace iocgate
