// tests/control/event_follow_test.cc — `iocctl events --follow`: every line once and in order
// across the event log's rotations (one at a time, several between two reads, and a writer
// racing the reader), new lines only by default, a missing log waited for, an unreadable one
// an error; the readable form, the feed filter and --json; the log's group-readable modes.

#include "control/event_follow.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <fstream>
#include <thread>

#include "control/event_log.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::TempDir;

constexpr int64_t kT0 = 1719187200000;

EventLogConfig log_config(const std::string& path, uint64_t max_bytes, uint32_t keep) {
  EventLogConfig c;
  c.path = path;
  c.max_bytes = max_bytes;
  c.keep = keep;
  c.rate_limit_per_s = 0;
  return c;
}

std::string numbered(int i) {
  return R"({"time":"2024-06-24T00:00:00.000Z","type":"match","feed":"apt","seq":)" + std::to_string(i) + "}";
}

// The seq numbers of what the follower printed, in order.
std::vector<int> seqs(const std::vector<std::string>& lines) {
  std::vector<int> v;
  for (const std::string& l : lines) {
    const auto j = nlohmann::json::parse(l, nullptr, false);
    v.push_back(j.is_object() && j.contains("seq") ? j["seq"].get<int>() : -1);
  }
  return v;
}

std::vector<int> iota(int n, int from = 0) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(from + i);
  return v;
}

TEST(EventFollow, EveryLineOnceAcrossRotations) {
  TempDir d;
  const std::string path = d.path() + "/events.log";
  EventLog log(log_config(path, 2000, 3));  // ~30 lines a file
  FollowOptions o;
  o.path = path;
  o.keep = 3;
  EventFollower f(o);
  std::vector<std::string> got;
  auto collect = [&](std::string_view l) { got.emplace_back(l); };
  ASSERT_TRUE(f.poll(collect).ok());
  int n = 0;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 7; ++i) log.write(numbered(n++), kT0);
    ASSERT_TRUE(f.poll(collect).ok());
  }
  EXPECT_GT(log.rotations(), 5u);
  EXPECT_EQ(seqs(got), iota(n));
  EXPECT_EQ(f.lost_files(), 0u);
  EXPECT_EQ(f.torn_lines(), 0u);
}

TEST(EventFollow, SeveralRotationsBetweenTwoReads) {
  TempDir d;
  const std::string path = d.path() + "/events.log";
  EventLog log(log_config(path, 2000, 5));
  FollowOptions o;
  o.path = path;
  o.keep = 5;
  EventFollower f(o);
  std::vector<std::string> got;
  auto collect = [&](std::string_view l) { got.emplace_back(l); };
  ASSERT_TRUE(f.poll(collect).ok());
  int n = 0;
  for (int i = 0; i < 10; ++i) log.write(numbered(n++), kT0);
  ASSERT_TRUE(f.poll(collect).ok());
  const uint64_t before = log.rotations();
  for (int i = 0; i < 110; ++i) log.write(numbered(n++), kT0);  // about 3 rotations unread
  EXPECT_GE(log.rotations() - before, 3u);
  ASSERT_TRUE(f.poll(collect).ok());
  for (int i = 0; i < 5; ++i) log.write(numbered(n++), kT0);
  ASSERT_TRUE(f.poll(collect).ok());
  EXPECT_EQ(seqs(got), iota(n));
}

TEST(EventFollow, AWriterRacingTheReaderLosesAndDoublesNothing) {
  TempDir d;
  const std::string path = d.path() + "/events.log";
  constexpr int kLines = 20000;
  std::atomic<bool> done{false};
  FollowOptions o;
  o.path = path;
  o.keep = 4096;  // more room than the test writes, even for a reader descheduled throughout:
                  // what is checked is the race, not a lagging reader
  o.from_start = true;  // the writer may have begun before the first read
  EventFollower f(o);
  std::vector<std::string> got;
  auto collect = [&](std::string_view l) { got.emplace_back(l); };
  uint64_t rotations = 0;
  std::thread writer([&] {
    EventLog log(log_config(path, 32 * 1024, 4096));
    for (int i = 0; i < kLines; ++i) log.write(numbered(i), kT0);
    rotations = log.rotations();
    done = true;
  });
  // A reader a little slow, as a terminal is: at most one rotation or two between reads.
  while (!done.load()) {
    ASSERT_TRUE(f.poll(collect).ok());
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  writer.join();
  ASSERT_TRUE(f.poll(collect).ok());
  EXPECT_GT(rotations, 10u);
  EXPECT_EQ(seqs(got), iota(kLines));
}

TEST(EventFollow, NewLinesOnlyByDefaultAndAMissingLogIsWaitedFor) {
  TempDir d;
  const std::string path = d.path() + "/sub/events.log";
  FollowOptions o;
  o.path = path;
  EventFollower waiting(o);
  std::vector<std::string> got;
  auto collect = [&](std::string_view l) { got.emplace_back(l); };
  ASSERT_TRUE(waiting.poll(collect).ok());  // no log yet: not an error
  {
    EventLog log(log_config(path, 1 << 20, 2));
    log.write(numbered(0), kT0);
    ASSERT_TRUE(waiting.poll(collect).ok());
    EXPECT_EQ(seqs(got), iota(1));  // a log that appeared later is read from its start
    EventFollower late(o);
    std::vector<std::string> late_got;
    ASSERT_TRUE(late.poll([&](std::string_view l) { late_got.emplace_back(l); }).ok());
    log.write(numbered(1), kT0);
    ASSERT_TRUE(late.poll([&](std::string_view l) { late_got.emplace_back(l); }).ok());
    EXPECT_EQ(seqs(late_got), iota(1, 1));  // what was there before --follow started is not reprinted
    FollowOptions all = o;
    all.from_start = true;
    EventFollower from_start(all);
    std::vector<std::string> all_got;
    ASSERT_TRUE(from_start.poll([&](std::string_view l) { all_got.emplace_back(l); }).ok());
    EXPECT_EQ(seqs(all_got), iota(2));
  }
  // A path that cannot be a file (its parent is one) is an error that names it.
  std::ofstream(d.path() + "/plain") << "x";
  FollowOptions bad;
  bad.path = d.path() + "/plain/events.log";
  EventFollower b(bad);
  Status s = b.poll(collect);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(bad.path), std::string::npos);
}

TEST(EventFollow, ReadableLinesFeedFilterAndJson) {
  const std::string match =
      R"({"time":"2024-06-24T00:00:00.000Z","type":"match","proto":"tcp","client":"10.0.0.5","client_port":51000,)"
      R"("server":"198.51.100.7","server_port":443,"vlan":null,"direction":"outbound","host":"10.0.0.5",)"
      R"("ioc":"evil.example","matched":"sni","seen":"cdn.evil.example","ioc_side":"name","feed":"apt",)"
      R"("advisory":"941/CATTT-NCSC","group":"Mustang Panda","action":"drop","generation":3,"worker":0})";
  FollowOptions o;
  EXPECT_EQ(*follow_line(match, o),
            "2024-06-24T00:00:00.000Z  drop   outbound 10.0.0.5:51000 -> 198.51.100.7:443 tcp  sni evil.example "
            "(seen cdn.evil.example)  host 10.0.0.5  feed apt [941/CATTT-NCSC, Mustang Panda]");
  const std::string six =
      R"({"time":"t","type":"match","client":"2001:db8::5","client_port":40000,"server":"2001:db8::1","server_port":53,)"
      R"("proto":"udp","action":"alert","direction":"outbound","matched":"dns","ioc":"x.example","host":"2001:db8::5","feed":"b"})";
  EXPECT_NE(follow_line(six, o)->find("[2001:db8::5]:40000 -> [2001:db8::1]:53 udp"), std::string::npos);
  const std::string suppressed =
      R"({"time":"2024-06-24T00:00:01.000Z","type":"suppressed","events":1234,"first":"a","last":"b","rate_limit_per_s":1000})";
  EXPECT_EQ(*follow_line(suppressed, o), "2024-06-24T00:00:01.000Z  1234 events not logged (rate limit 1000/s) from a to b");
  // Control characters a hostile name carries never reach the terminal.
  const std::string hostile = R"({"type":"match","ioc":"a\u001b[2Jb","feed":"apt"})";
  EXPECT_EQ(follow_line(hostile, o)->find('\x1b'), std::string::npos);
  EXPECT_EQ(*follow_line("not json", o), "not json");

  FollowOptions apt;
  apt.feeds = {"apt"};
  EXPECT_TRUE(follow_line(match, apt).has_value());
  EXPECT_FALSE(follow_line(six, apt).has_value());
  EXPECT_TRUE(follow_line(suppressed, apt).has_value());  // lines are missing: say so whatever the filter
  EXPECT_FALSE(follow_line("not json", apt).has_value());
  const std::string also = R"({"type":"match","feed":"other","also":[{"feed":"apt"}]})";
  EXPECT_TRUE(follow_line(also, apt).has_value());  // the IoC is listed by apt too

  FollowOptions js;
  js.json = true;
  EXPECT_EQ(*follow_line(match, js), match);
}

TEST(EventLog, FilesAndDirectoryReadableByTheGroupWhateverTheUmask) {
  TempDir d;
  const mode_t old = umask(077);
  const std::string path = d.path() + "/log/events.log";
  {
    EventLog log(log_config(path, 300, 2));
    for (int i = 0; i < 20; ++i) log.write(numbered(i), kT0);
  }
  umask(old);
  struct stat st;
  ASSERT_EQ(stat((d.path() + "/log").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  for (const std::string& f : {path, path + ".1", path + ".2"}) {
    ASSERT_EQ(stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 07777, 0640u) << f;
  }
  // A symbolic link in place of the log is refused, not followed.
  std::filesystem::remove(path);
  std::filesystem::create_symlink(d.path() + "/elsewhere", path);
  EventLog linked(log_config(path, 300, 2));
  EXPECT_NE(linked.error().find("symbolic link"), std::string::npos) << linked.error();
}

}  // namespace
}  // namespace iocgate
