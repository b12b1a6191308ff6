// tests/feeds/shared_feeds_test.cc — every file of the shared corpus (../shared/feeds, real
// feeds by third parties) gets the verdict `iocgate feed check` would give, with its counts.
// The corpus is required: a missing tree fails, it is never skipped.
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "feeds/feed_parser.h"
#include "feeds/feed_verdict.h"

namespace iocgate {
namespace {

namespace fs = std::filesystem;

struct Expected {
  const char* file;
  const char* format;          // detected, or given by `force_format`
  bool accepted;
  std::array<uint64_t, 6> kinds;  // ipv4, cidr4, ipv6, cidr6, domain, url-host (after guards)
  std::map<std::string, uint64_t> skipped;  // category -> total
  const char* reason = "";     // part of the first error of a refused feed
  FeedFormat force_format = FeedFormat::kAuto;
};

// Counts are per unique IoC. Where they differ from SOURCES.md, docs/FEEDS.md says why.
const Expected kExpected[] = {
    {"abusech-feodotracker/ipblocklist.csv", "feodo-csv", true, {28, 0, 0, 0, 0, 0}, {}},
    {"abusech-threatfox/ips.txt", "plain", true, {19863, 0, 0, 0, 0, 0}, {}},
    {"abusech-urlhaus/urlhaus-filter-dnscrypt-blocked-ips-online.txt", "plain", true, {2234, 0, 0, 0, 0, 0}, {}},
    {"abusech-urlhaus/urlhaus-filter-domains-online.txt", "plain", true, {2234, 0, 0, 0, 619, 0}, {}},
    {"abusech-urlhaus/urlhaus-filter-online.txt", "adblock", true, {2234, 0, 0, 0, 620, 0}, {{"not enforceable", 3509}}},
    {"abusech-urlhaus/urlhaus-filter-rpz-online.conf", "rpz", true, {0, 0, 0, 0, 619, 0}, {}},
    {"eset-malware-ioc/dnsbirthday/rqz-dnsduvel_blocklist.json", "stix2.1", false, {}, {},
     "JSON of an unknown schema (top-level keys: duvelDetails)"},
    {"eset-malware-ioc/moustachedbouncer/misp-moustachedbouncer.event.json", "misp-json", true, {0, 0, 0, 0, 0, 7},
     {{"duplicate", 4}, {"not enforceable", 329}}},
    {"eset-malware-ioc/mustang_panda/README.adoc", "text", true, {13, 0, 0, 0, 4, 0}, {{"not enforceable", 28}}},
    {"eset-malware-ioc/mustang_panda/README.adoc", "text", true, {13, 0, 0, 0, 4, 0}, {{"not enforceable", 28}}, "",
     FeedFormat::kText},
    {"eset-malware-ioc/mustang_panda/samples.md5", "plain", true, {}, {{"not enforceable", 22}}},
    {"eset-malware-ioc/mustang_panda/samples.sha1", "plain", true, {}, {{"not enforceable", 22}}},
    {"eset-malware-ioc/mustang_panda/samples.sha256", "plain", true, {}, {{"not enforceable", 22}}},
    {"eset-malware-ioc/nukesped_lazarus/lazarus_3cx.json", "misp-json", true, {0, 0, 0, 0, 0, 3}, {{"not enforceable", 47}}},
    {"eset-malware-ioc/nukesped_lazarus/samples.sha256", "plain", true, {}, {{"not enforceable", 555}}},
    {"eset-malware-ioc/oceanlotus/oceanlotus.misp.event.json", "misp-json", true, {}, {{"not enforceable", 111}}},
    {"firehol-blocklist-ipsets/bambenek_c2.ipset", "firehol", false, {}, {{"refused by a guard", 1}},
     ":32: '127.200.200.200' overlaps loopback (127.0.0.0/8)"},
    {"firehol-blocklist-ipsets/blocklist_de.ipset", "firehol", true, {22474, 0, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/dshield.netset", "firehol", true, {0, 19, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/dshield_top_1000.ipset", "firehol", true, {1000, 0, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/et_compromised.ipset", "firehol", true, {746, 0, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/feodo.ipset", "firehol", true, {}, {}},
    {"firehol-blocklist-ipsets/feodo_badips.ipset", "firehol", true, {}, {}},
    {"firehol-blocklist-ipsets/firehol_level1.netset", "firehol", false, {0, 2507, 0, 0, 0, 0},
     {{"refused by a guard", 4}}, ":34: '0.0.0.0/8' overlaps 'this network' and the unspecified address"},
    {"firehol-blocklist-ipsets/spamhaus_drop.netset", "firehol", true, {0, 986, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/spamhaus_edrop.netset", "firehol", true, {0, 55, 0, 0, 0, 0}, {}},
    {"firehol-blocklist-ipsets/sslbl.ipset", "firehol", true, {}, {}},
    {"spamhaus/SecOps-Institute/asn_drop.json", "spamhaus-json", false, {}, {},
     ":1: 932 is an ASN-DROP entry: an autonomous system number is not enforceable by address"},
    {"spamhaus/SecOps-Institute/drop.txt", "plain", true, {0, 989, 0, 0, 0, 0}, {}},
    {"spamhaus/SecOps-Institute/drop_ipv6.txt", "plain", false, {0, 0, 0, 28, 0, 0}, {{"refused by a guard", 23}},
     ":1: '2a12:2640::/29' is a /29: prefixes shorter than /32 block too much (guard min_prefix_v6)"},
    {"spamhaus/SecOps-Institute/edrop.txt", "plain", true, {0, 322, 0, 0, 0, 0}, {}},
    {"stix21-amnesty/2021-12-16_cytrox/cytrox.stix2", "stix2.1", true, {0, 0, 0, 0, 336, 0}, {{"not enforceable", 7}}},
    {"stix21-amnesty/2021-12-16_cytrox/domains.txt", "plain", true, {0, 0, 0, 0, 336, 0}, {}},
    {"stix21-amnesty/2024-05-02_wintego_helios/wintego_helios.stix2", "stix2.1", true, {0, 0, 0, 0, 175, 0}, {}},
    {"stix21-amnesty/2024-12-16_serbia_novispy/novispy.stix2", "stix2.1", true, {7, 0, 0, 0, 0, 0},
     {{"not enforceable", 11}}},
    {"stix21-mvt-indicators/2023-07-25_wyrmspy_dragonegg/wyrmspy_dragonegg.stix2", "stix2.1", true,
     {5, 0, 0, 0, 7, 0}, {{"not enforceable", 41}}},
    {"stix21-mvt-indicators/2024-12-25_eaglemsgspy/eaglemsgspy.stix2", "stix2.1", true, {13, 0, 0, 0, 13, 0},
     {{"not enforceable", 25}}},
    {"stix21-mvt-indicators/2024-12-25_eaglemsgspy/ip-addresses.txt", "plain", true, {13, 0, 0, 0, 0, 0}, {}},
};

// Not feeds: licence texts and the corpus index.
bool is_documentation(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.starts_with("LICENSE") || name == "License.md" || name == "SOURCES.md";
}

fs::path corpus() {
  const char* shared = std::getenv("IOCGATE_SHARED");
  return shared ? fs::path(shared) / "feeds" : fs::path();
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SharedFeeds, CorpusPresent) {
  ASSERT_NE(std::getenv("IOCGATE_SHARED"), nullptr) << "IOCGATE_SHARED is not set (meson sets it)";
  ASSERT_TRUE(fs::is_directory(corpus())) << corpus() << " is missing: the shared corpus is required";
}

TEST(SharedFeeds, EveryFileHasAnExpectedVerdict) {
  ASSERT_TRUE(fs::is_directory(corpus())) << corpus();
  std::set<std::string> expected;
  for (const Expected& e : kExpected) expected.insert(e.file);
  size_t feeds = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus())) {
    if (!entry.is_regular_file() || is_documentation(entry.path())) continue;
    ++feeds;
    EXPECT_TRUE(expected.count(fs::relative(entry.path(), corpus()).string()))
        << fs::relative(entry.path(), corpus()) << " has no expected verdict";
  }
  EXPECT_EQ(feeds, expected.size());
}

TEST(SharedFeeds, Verdicts) {
  ASSERT_TRUE(fs::is_directory(corpus())) << corpus();
  constexpr const char* kKinds[] = {"ipv4", "cidr4", "ipv6", "cidr6", "domain", "url-host"};
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.file);
    const fs::path path = corpus() / e.file;
    ASSERT_TRUE(fs::is_regular_file(path)) << path;
    ParseOptions opts;
    opts.file_name = e.file;
    opts.format = e.force_format;
    opts.now_unix = 1782000000;  // 2026-06: a fixed "now" for STIX valid_until
    FeedVerdict v = check_feed(read(path), opts, GuardConfig{}, {});
    EXPECT_EQ(v.accepted, e.accepted) << (v.errors.empty() ? "" : v.errors.front());
    EXPECT_STREQ(feed_format_name(v.format), e.format);
    for (size_t k = 0; k < 6; ++k) {
      auto it = v.by_kind.find(kKinds[k]);
      EXPECT_EQ(it == v.by_kind.end() ? 0 : it->second, e.kinds[k]) << kKinds[k];
    }
    std::map<std::string, uint64_t> skipped;
    for (const auto& [category, reasons] : v.skipped)
      for (const auto& [reason, n] : reasons) skipped[category] += n;
    EXPECT_EQ(skipped, e.skipped);
    if (!e.accepted) {
      ASSERT_FALSE(v.errors.empty());
      EXPECT_NE(v.errors.front().find(e.reason), std::string::npos) << v.errors.front();
      EXPECT_TRUE(v.errors.front().starts_with(e.file)) << v.errors.front();
    } else {
      EXPECT_TRUE(v.errors.empty());
    }
  }
}

// The operator's choices of the "operator's day": FireHOL level1 without its bogons, and
// ESET's context-only MISP events enforced anyway. The defaults above stay as they are.
TEST(SharedFeeds, OperatorOptions) {
  auto kinds = [](const FeedVerdict& v) {
    std::map<std::string, uint64_t> k = v.by_kind;
    return k;
  };
  auto verdict = [](const char* file, bool skip_refused, bool include_not_for_ids) {
    ParseOptions opts;
    opts.file_name = file;
    opts.now_unix = 1782000000;
    opts.include_not_for_ids = include_not_for_ids;
    GuardConfig guards;
    if (skip_refused) guards.mode = GuardMode::kSkipRefused;
    return check_feed(read(corpus() / file), opts, guards, {});
  };
  FeedVerdict level1 = verdict("firehol-blocklist-ipsets/firehol_level1.netset", true, false);
  EXPECT_TRUE(level1.accepted);
  EXPECT_TRUE(level1.errors.empty());
  EXPECT_EQ(kinds(level1), (std::map<std::string, uint64_t>{{"cidr4", 2507}}));
  ASSERT_EQ(level1.left_out.size(), 4u);
  EXPECT_NE(level1.left_out[0].find(":34: '0.0.0.0/8' overlaps"), std::string::npos) << level1.left_out[0];
  EXPECT_NE(level1.left_out[3].find(":2544: '224.0.0.0/3' is a /3"), std::string::npos) << level1.left_out[3];

  FeedVerdict ocean = verdict("eset-malware-ioc/oceanlotus/oceanlotus.misp.event.json", false, true);
  EXPECT_TRUE(ocean.accepted);
  EXPECT_EQ(kinds(ocean), (std::map<std::string, uint64_t>{{"domain", 62}, {"ipv4", 25}}));
  EXPECT_EQ(ocean.feed.not_for_ids, 90u);
  ASSERT_EQ(ocean.warnings.size(), 1u);
  // Hosts of to_ids=true URLs are now also listed by to_ids=false domain attributes.
  EXPECT_EQ(kinds(verdict("eset-malware-ioc/nukesped_lazarus/lazarus_3cx.json", false, true)),
            (std::map<std::string, uint64_t>{{"domain", 2}, {"ipv4", 3}}));
  EXPECT_EQ(kinds(verdict("eset-malware-ioc/moustachedbouncer/misp-moustachedbouncer.event.json", false, true)),
            (std::map<std::string, uint64_t>{{"domain", 6}, {"ipv4", 11}}));
}

// The corpus' own cross-checks: a STIX bundle and the plain list published beside it agree.
TEST(SharedFeeds, BundleAndListAgree) {
  auto keys = [](const std::string& file) {
    ParseOptions opts;
    opts.now_unix = 1782000000;
    auto r = parse_feed(read(corpus() / file), opts);
    std::set<std::string> out;
    for (const Ioc& i : r.feed.iocs) out.insert(i.domain.empty() ? std::to_string(i.addr[0]) + "." +
        std::to_string(i.addr[1]) + "." + std::to_string(i.addr[2]) + "." + std::to_string(i.addr[3]) : i.domain);
    return out;
  };
  EXPECT_EQ(keys("stix21-amnesty/2021-12-16_cytrox/cytrox.stix2"), keys("stix21-amnesty/2021-12-16_cytrox/domains.txt"));
  auto eagle = keys("stix21-mvt-indicators/2024-12-25_eaglemsgspy/eaglemsgspy.stix2");
  for (const auto& ip : keys("stix21-mvt-indicators/2024-12-25_eaglemsgspy/ip-addresses.txt")) EXPECT_TRUE(eagle.count(ip)) << ip;
  EXPECT_EQ(keys("abusech-urlhaus/urlhaus-filter-rpz-online.conf").size(), 619u);
}

}  // namespace
}  // namespace iocgate
