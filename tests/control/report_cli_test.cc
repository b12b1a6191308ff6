// tests/control/report_cli_test.cc — iocctl's report options: what the command line becomes
// on the wire (times resolved, repeatable filters), the errors that name the option, the
// catalog of a state directory, and a report read straight from one.

#include "control/report_cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/hit_store.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kHour = 3600000;

ReportCliOptions parse(std::vector<std::string> args) {
  CLI::App app;
  ReportCliOptions o;
  CLI::App* r = app.add_subcommand("report");
  add_report_options(r, &o);
  args.insert(args.begin(), "report");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return o;
}

TEST(ReportCli, OptionsBecomeTheRequest) {
  const ReportCliOptions o = parse({"--since", "2024-06-20", "--until", "2024-06-23", "--feed", "apt", "--feed",
                                    "apt31", "--advisory", "941/CATTT-NCSC", "--group", "Mustang Panda", "--host",
                                    "10.0.0.0/8", "--utc-offset", "+07:00", "--lang", "vi", "--format", "html"});
  Result<ReportRequest> r = report_request(o, kT0);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->since_ms, kT0 - 4 * 24 * kHour - 7 * kHour);  // local midnight at +07:00
  EXPECT_EQ(r->until_ms, kT0 - 7 * kHour);  // the end of the 23rd: midnight after it, local
  EXPECT_EQ(r->feeds, (std::vector<std::string>{"apt", "apt31"}));
  EXPECT_EQ(r->advisories, std::vector<std::string>{"941/CATTT-NCSC"});
  EXPECT_EQ(r->groups, std::vector<std::string>{"Mustang Panda"});
  EXPECT_EQ(r->hosts, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(r->utc_offset, "+07:00");
  EXPECT_TRUE(encode_ctl_request(CtlRequest{*r}).ok());
  Result<ReportRequest> d = report_request(parse({}), kT0);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->since_ms, kT0 - 24 * kHour);  // the default: the last 24 hours
  EXPECT_EQ(d->until_ms, 0);
}

TEST(ReportCli, ErrorsNameTheOption) {
  Result<ReportRequest> r = report_request(parse({"--since", "last week"}), kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind("--since 'last week'", 0), 0u) << r.message();
  r = report_request(parse({"--until", "2024-06-31"}), kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind("--until", 0), 0u);
  r = report_request(parse({"--since", "2024-06-24", "--until", "2024-06-20"}), kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("before --since"), std::string::npos);
  r = report_request(parse({"--utc-offset", "7"}), kT0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message().rfind("--utc-offset", 0), 0u);
  EXPECT_THROW(parse({"--lang", "fr"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--format", "pdf"}), CLI::ValidationError);
}

TEST(ReportCli, AReportFromTheStateDirectoryAlone) {
  TempDir d;
  const std::string state = d.path();
  std::filesystem::create_directories(state + "/feeds");
  std::ofstream(state + "/feeds/apt.json") << R"({"name":"apt","advisory":"941/CATTT-NCSC","group":"Mustang Panda"})";
  std::ofstream(state + "/feeds/fresh.json") << "{damaged";
  HitStore s(state + "/events");
  HitRecord r;
  r.schema = 2;
  r.host = "10.0.0.5";
  r.ioc = "198.51.100.7";
  r.kind = "ip";
  r.feed = "apt";
  r.advisory = "941/CATTT-NCSC";
  r.group = "Mustang Panda";
  r.action = "drop";
  r.direction = "outbound";
  r.first_ms = r.last_ms = kT0 - kHour;
  r.flows = r.packets = 1;
  s.add(r);
  r.feed = "gone";
  s.add(r);
  std::string err;
  ASSERT_TRUE(s.flush(kT0 - kHour, &err)) << err;

  const ReportCatalog c = catalog_from_state_dir(state);
  ASSERT_EQ(c.current.size(), 2u);
  EXPECT_EQ(c.seen.feeds, (std::set<std::string>{"apt", "gone"}));

  ReportCliOptions o = parse({"--format", "json", "--state-dir", state});
  o.output = state + "/report.json";
  ASSERT_EQ(report_from_state_dir(o, kT0, "edge1"), 0);
  std::ifstream in(o.output);
  const nlohmann::json rep = nlohmann::json::parse(in);
  EXPECT_EQ(rep["instance"], "edge1");
  ASSERT_EQ(rep["hosts"].size(), 1u);
  EXPECT_EQ(rep["hosts"][0]["contacts"].size(), 2u);
  bool removed = false;
  for (const auto& x : rep["feeds"]) removed = removed || (x["feed"] == "gone" && x["removed"] == true);
  EXPECT_TRUE(removed);
  o.feeds = {"aptt"};
  EXPECT_EQ(report_from_state_dir(o, kT0, "edge1"), 1);  // an unknown feed: refused, not an empty report
  o.feeds = {"gone"};
  EXPECT_EQ(report_from_state_dir(o, kT0, "edge1"), 0);  // removed, hits kept: known
  o.feeds.clear();
  o.output = state + "/no-such-dir/report.json";
  EXPECT_EQ(report_from_state_dir(o, kT0, "edge1"), 2);
}

}  // namespace
}  // namespace iocgate
