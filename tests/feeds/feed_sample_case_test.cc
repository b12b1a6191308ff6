// tests/feeds/feed_sample_case_test.cc — the shared sample case holds one IoC set in three
// formats; all three parsers must produce it identically. The shared tree is required.
#include <cstdlib>
#include <filesystem>
#include <map>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "feeds/feed_parser.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using Key = std::tuple<IocKind, std::array<uint8_t, 16>, uint8_t, std::string>;

std::filesystem::path sample_dir() {
  const char* shared = std::getenv("IOCGATE_SHARED");
  if (shared == nullptr) return {};
  return std::filesystem::path(shared) / "cases" / "sample";
}

std::set<Key> parse_path(const std::filesystem::path& path, FeedFormat expected,
                         std::map<std::string, uint64_t>* skipped = nullptr);

std::set<Key> parse_file(const std::string& name, FeedFormat expected) {
  std::map<std::string, uint64_t> skipped;
  auto keys = parse_path(sample_dir() / name, expected, &skipped);
  EXPECT_TRUE(skipped.empty()) << name;
  return keys;
}

std::set<Key> parse_path(const std::filesystem::path& path, FeedFormat expected,
                         std::map<std::string, uint64_t>* skipped) {
  const std::string name = path.filename().string();
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(detect_feed_format(ss.str()), expected) << name;
  ParseOptions opts;
  opts.file_name = path.string();
  opts.now_unix = 1719187200;
  auto r = parse_feed(ss.str(), opts);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error->message());
  EXPECT_EQ(r.feed.format, expected);
  if (skipped) *skipped = r.feed.skipped;
  std::set<Key> keys;
  for (const Ioc& ioc : r.feed.iocs) keys.emplace(ioc.kind, ioc.addr, ioc.prefix_len, ioc.domain);
  EXPECT_EQ(keys.size(), r.feed.iocs.size()) << name << " has duplicates";
  return keys;
}

TEST(FeedSampleCase, ThreeFormatsSameIocs) {
  ASSERT_NE(std::getenv("IOCGATE_SHARED"), nullptr) << "IOCGATE_SHARED is not set (meson sets it)";
  ASSERT_TRUE(std::filesystem::is_directory(sample_dir())) << sample_dir() << " is missing";
  auto plain = parse_file("feed.txt", FeedFormat::kPlain);
  auto csv = parse_file("feed.csv", FeedFormat::kMispCsv);
  auto stix = parse_file("feed.stix.json", FeedFormat::kStix21);
  EXPECT_EQ(plain.size(), 87u);
  EXPECT_EQ(plain, csv);
  EXPECT_EQ(plain, stix);
  size_t v4 = 0, v6 = 0, dom = 0;
  for (const auto& k : plain) {
    switch (std::get<0>(k)) {
      case IocKind::kIpv4: ++v4; break;
      case IocKind::kIpv6: ++v6; break;
      case IocKind::kDomain: ++dom; break;
    }
  }
  EXPECT_EQ(v4, 45u);
  EXPECT_EQ(v6, 12u);
  EXPECT_EQ(dom, 30u);
}

// The demo feeds in feeds/samples/ describe one advisory in the three formats.
TEST(FeedSampleCase, DemoSamplesAgree) {
  const char* dir = std::getenv("IOCGATE_FEED_SAMPLES");
  ASSERT_NE(dir, nullptr) << "IOCGATE_FEED_SAMPLES is not set (meson sets it)";
  std::filesystem::path samples(dir);
  std::map<std::string, uint64_t> skipped;
  auto plain = parse_path(samples / "advisory.txt", FeedFormat::kPlain, &skipped);
  EXPECT_EQ(skipped, (std::map<std::string, uint64_t>{{"sha256", 1}}));
  auto csv = parse_path(samples / "advisory.misp.csv", FeedFormat::kMispCsv, &skipped);
  EXPECT_EQ(skipped, (std::map<std::string, uint64_t>{{"sha256", 1}, {"to_ids=0", 1}}));
  auto stix = parse_path(samples / "advisory.stix.json", FeedFormat::kStix21, &skipped);
  EXPECT_EQ(skipped, (std::map<std::string, uint64_t>{{"file", 1}}));
  EXPECT_EQ(plain.size(), 12u);
  EXPECT_EQ(plain, csv);
  EXPECT_EQ(plain, stix);
}

}  // namespace
}  // namespace iocgate
