// tests/control/feed_store_test.cc — the feed store detects every kind of damage (content
// truncated, emptied, changed or missing; metadata edited, damaged or missing; a different
// result than at push) and keeps the files; and a damaged feed's IoCs come back exactly from
// the last good table (control/feed_recovery).

#include "control/feed_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "control/feed_recovery.h"
#include "control/ioc_table_builder.h"
#include "feeds/feed_parser.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using testing::TempDir;

Result<ParsedFeed> read_plain(const StoredFeed& f) {
  ParseOptions o;
  o.file_name = f.name;
  o.format = f.options.format;
  FeedParseResult r = parse_feed(f.content, o);
  if (!r.ok()) return Status::error(r.error->message());
  return std::move(r.feed);
}

StoredFeed feed(const std::string& name, const std::string& content) {
  StoredFeed f;
  f.name = name;
  f.action = table::Action::kDrop;
  f.advisory = "ADV-7";
  f.content = content;
  f.options.format = FeedFormat::kPlain;
  f.parsed = *read_plain(f);
  f.baseline_iocs = f.parsed.iocs.size();
  return f;
}

struct Fixture {
  TempDir dir;
  TrustedOwners owners = trusted_owners("root", "root");
  std::string feeds;
  Fixture() : feeds(dir.path() + "/feeds") { chmod(dir.path().c_str(), 0755); }
  std::map<std::string, std::string> reload(FeedStore& s) {
    std::map<std::string, std::string> problems;
    Status st = s.load(read_plain, &problems);
    EXPECT_TRUE(st.ok()) << st.message();
    return problems;
  }
};

const char* kContent = "# advisory\n198.51.100.7\n203.0.113.0/24\nevil.example\n2001:db8::1\n";

TEST(FeedStore, RoundTripsEverything) {
  Fixture fx;
  FeedStore s(fx.feeds, fx.owners);
  StoredFeed f = feed("apt", kContent);
  f.options.force = {"203.0.113.0/24"};
  f.pushed_by = "uid 0 (root)";
  ASSERT_TRUE(s.put(f).ok());
  FeedStore again(fx.feeds, fx.owners);
  EXPECT_TRUE(fx.reload(again).empty());
  const StoredFeed* g = again.find("apt");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->advisory, "ADV-7");
  EXPECT_EQ(g->parsed.iocs.size(), 4u);
  EXPECT_EQ(g->options.force, f.options.force);
  EXPECT_EQ(g->pushed_by, "uid 0 (root)");
  EXPECT_EQ(g->baseline_iocs, 4u);
}

TEST(FeedStore, EveryDamageIsAProblemAndTheFilesStay) {
  struct Case {
    const char* what;
    std::function<void(const std::string& feed, const std::string& meta)> damage;
    const char* expect;
  };
  const std::vector<Case> cases = {
      {"truncated", [](auto& c, auto&) { std::filesystem::resize_file(c, 10); }, "checksum does not match"},
      {"emptied", [](auto& c, auto&) { std::filesystem::resize_file(c, 0); }, "0 bytes"},
      {"missing", [](auto& c, auto&) { std::filesystem::remove(c); }, "No such file"},
      {"changed", [](auto& c, auto&) { std::ofstream(c, std::ios::trunc) << "198.51.100.8\n"; }, "checksum does not match"},
      {"action edited",
       [](auto&, auto& m) {
         std::ifstream in(m);
         nlohmann::json j = nlohmann::json::parse(in);
         j["action"] = "allow";
         std::ofstream(m, std::ios::trunc) << j.dump();
       },
       "metadata checksum mismatch"},
      {"metadata garbage", [](auto&, auto& m) { std::ofstream(m, std::ios::trunc) << "{not json"; }, "not valid JSON"},
      {"metadata missing", [](auto&, auto& m) { std::filesystem::remove(m); }, "metadata (apt.json) is missing"},
  };
  for (const Case& c : cases) {
    Fixture fx;
    FeedStore s(fx.feeds, fx.owners);
    ASSERT_TRUE(s.put(feed("apt", kContent)).ok());
    const std::string content = fx.feeds + "/apt.feed", meta = fx.feeds + "/apt.json";
    c.damage(content, meta);
    FeedStore again(fx.feeds, fx.owners);
    auto problems = fx.reload(again);
    EXPECT_EQ(again.find("apt"), nullptr) << c.what;
    ASSERT_EQ(problems.count("apt"), 1u) << c.what;
    EXPECT_NE(problems["apt"].find(c.expect), std::string::npos) << c.what << ": " << problems["apt"];
    EXPECT_TRUE(std::filesystem::exists(content) || std::filesystem::exists(meta)) << c.what << ": nothing deleted";
  }
}

TEST(FeedStore, ADifferentResultThanAtPushIsAProblem) {
  Fixture fx;
  FeedStore s(fx.feeds, fx.owners);
  ASSERT_TRUE(s.put(feed("apt", kContent)).ok());
  FeedStore again(fx.feeds, fx.owners);
  std::map<std::string, std::string> problems;
  // A parser (or guard) that now takes one IoC less: the stored feed no longer gives what was pushed.
  ASSERT_TRUE(again.load([](const StoredFeed& f) -> Result<ParsedFeed> {
                     Result<ParsedFeed> r = read_plain(f);
                     if (r.ok()) r->iocs.pop_back();
                     return r;
                   }, &problems).ok());
  ASSERT_EQ(problems.count("apt"), 1u);
  EXPECT_NE(problems["apt"].find("gives 3 IoCs now, 4 at push"), std::string::npos) << problems["apt"];
}

TEST(FeedRecovery, GivesBackEveryListingOfTheFeed) {
  table::IocTableBuilder b;
  const uint32_t alerts = b.add_feed({"alerts", table::Action::kAlert, "A", ""});
  const uint32_t apt = b.add_feed({"apt", table::Action::kDrop, "ADV-7", "Group"});
  StoredFeed f = feed("apt", kContent);
  for (const Ioc& i : f.parsed.iocs) b.add(apt, i);
  b.add(apt, f.parsed.iocs[0]);  // listed twice by apt
  b.add(alerts, f.parsed.iocs[2]);  // and one key by another feed too
  std::string err;
  auto blob = b.build();
  ASSERT_TRUE(blob) << blob.message();
  table::IocTableView v;
  ASSERT_TRUE(v.attach(blob->data(), blob->size(), &err)) << err;
  RecoveredFeed r = recover_feed(v, "apt");
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.action, table::Action::kDrop);
  EXPECT_EQ(r.advisory, "ADV-7");
  EXPECT_EQ(r.group, "Group");
  EXPECT_EQ(r.iocs.size(), 5u);
  EXPECT_EQ(ioc_set_checksum(r.iocs), [&] {
    std::vector<Ioc> want = f.parsed.iocs;
    want.push_back(f.parsed.iocs[0]);
    return ioc_set_checksum(want);
  }());
  // Compiled again from what was recovered, the table is byte for byte the same content.
  table::IocTableBuilder b2;
  const uint32_t a2 = b2.add_feed({"alerts", table::Action::kAlert, "A", ""});
  const uint32_t p2 = b2.add_feed({"apt", table::Action::kDrop, "ADV-7", "Group"});
  b2.add(a2, f.parsed.iocs[2]);
  for (const Ioc& i : r.iocs) b2.add(p2, i);
  auto blob2 = b2.build();
  ASSERT_TRUE(blob2) << blob2.message();
  ASSERT_EQ(blob2->size(), blob->size());
  EXPECT_EQ(std::memcmp(blob2->data() + sizeof(table::Header), blob->data() + sizeof(table::Header),
                        blob->size() - sizeof(table::Header)),
            0);
  EXPECT_FALSE(recover_feed(v, "nonesuch").found);
}

}  // namespace
}  // namespace iocgate
