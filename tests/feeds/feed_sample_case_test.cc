// tests/feeds/feed_sample_case_test.cc — the shared sample case holds one IoC set in three
// formats; all three parsers must produce it identically. The shared tree is required.
#include <cstdlib>
#include <filesystem>
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

std::set<Key> parse_file(const std::string& name, FeedFormat expected) {
  std::filesystem::path path = sample_dir() / name;
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
  EXPECT_TRUE(r.feed.skipped.empty()) << name;
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

}  // namespace
}  // namespace iocgate
