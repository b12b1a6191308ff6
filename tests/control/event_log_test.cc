// tests/control/event_log_test.cc — rotation by size and the rate limit of the event log.

#include "control/event_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::read_lines;
using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z

std::string line(int i) { return nlohmann::json{{"type", "match"}, {"n", i}, {"pad", std::string(40, 'x')}}.dump(); }

TEST(EventLog, RotatesBySizeKeepingTheNewestFiles) {
  TempDir d;
  EventLogConfig c;
  c.path = d.path() + "/events.log";
  c.max_bytes = 1000;
  c.keep = 3;
  c.rate_limit_per_s = 0;
  EventLog log(c);
  const size_t len = line(0).size() + 1;
  const int per_file = static_cast<int>(1000 / len);
  const int total = per_file * 6 + 2;
  for (int i = 0; i < total; ++i) ASSERT_TRUE(log.write(line(i), kT0));
  EXPECT_EQ(log.rotations(), 6u);
  namespace fs = std::filesystem;
  EXPECT_TRUE(fs::exists(c.path + ".1"));
  EXPECT_TRUE(fs::exists(c.path + ".3"));
  EXPECT_FALSE(fs::exists(c.path + ".4"));
  // Newest lines in the live file, then .1, .2, .3 back in time; every file within the size.
  int expect_last = total - 1;
  for (const std::string& f : {c.path, c.path + ".1", c.path + ".2", c.path + ".3"}) {
    EXPECT_LE(fs::file_size(f), c.max_bytes) << f;
    const auto lines = read_lines(f);
    ASSERT_FALSE(lines.empty()) << f;
    EXPECT_EQ(nlohmann::json::parse(lines.back())["n"], expect_last) << f;
    for (const std::string& l : lines) EXPECT_FALSE(nlohmann::json::parse(l, nullptr, false).is_discarded());
    expect_last -= static_cast<int>(lines.size());
  }
  EXPECT_EQ(read_lines(c.path).size(), 2u);
}

TEST(EventLog, ReopensAnExistingFileAndCountsItsSize) {
  TempDir d;
  EventLogConfig c;
  c.path = d.path() + "/sub/events.log";
  c.max_bytes = 200;
  c.rate_limit_per_s = 0;
  {
    EventLog log(c);
    log.write(line(1), kT0);
  }
  EventLog log(c);
  log.write(line(2), kT0);
  log.write(line(3), kT0);
  EXPECT_GE(log.rotations(), 1u);
  EXPECT_TRUE(std::filesystem::exists(c.path + ".1"));
}

TEST(EventLog, BurstIsRateLimitedAndSummarised) {
  TempDir d;
  EventLogConfig c;
  c.path = d.path() + "/events.log";
  c.rate_limit_per_s = 10;
  EventLog log(c);
  int written = 0;
  for (int i = 0; i < 100; ++i) written += log.write(line(i), kT0 + i);  // 100 in 0.1 s
  // The bucket holds 10; the 0.099 s of the burst refill less than one more.
  EXPECT_EQ(written, 10);
  EXPECT_EQ(log.suppressed(), 90u);
  log.tick(kT0 + 99);  // still no budget: no summary yet
  EXPECT_EQ(read_lines(c.path).size(), 10u);
  log.tick(kT0 + 1500);
  auto lines = read_lines(c.path);
  ASSERT_EQ(lines.size(), 11u);
  const auto s = nlohmann::json::parse(lines.back());
  EXPECT_EQ(s["type"], "suppressed");
  EXPECT_EQ(s["events"], 90);
  EXPECT_EQ(s["first"], "2024-06-24T00:00:00.010Z");
  EXPECT_EQ(s["last"], "2024-06-24T00:00:00.099Z");
  // Lines flow again after the burst; nothing more is pending.
  EXPECT_TRUE(log.write(line(200), kT0 + 1600));
  log.tick(kT0 + 5000);
  EXPECT_EQ(read_lines(c.path).size(), 12u);
  EXPECT_EQ(log.written(), 11u);
}

TEST(EventLog, SummaryPrecedesTheNextLineWhenTheBurstEnds) {
  TempDir d;
  EventLogConfig c;
  c.path = d.path() + "/events.log";
  c.rate_limit_per_s = 1;
  EventLog log(c);
  EXPECT_TRUE(log.write(line(0), kT0));
  EXPECT_FALSE(log.write(line(1), kT0 + 10));
  EXPECT_FALSE(log.write(line(2), kT0 + 20));
  EXPECT_TRUE(log.write(line(3), kT0 + 2000));
  const auto lines = read_lines(c.path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["events"], 2);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["n"], 3);
}

TEST(EventLog, FormatsUtcMilliseconds) {
  EXPECT_EQ(format_utc_ms(kT0 + 86400000 + 3723004), "2024-06-25T01:02:03.004Z");
}

}  // namespace
}  // namespace iocgate
