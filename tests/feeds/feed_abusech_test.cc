// tests/feeds/feed_abusech_test.cc — abuse.ch CSV exports: Feodo Tracker, ThreatFox (", "
// separators, commented header, ip:port) and the URLhaus dump (offline rows counted).
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedAbusech, FeodoCsv) {
  auto r = parse_fixture("feodo_ipblocklist.csv");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kFeodoCsv);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 192.9.135.73/32", "ipv4 85.239.243.155/32", "ipv4 178.18.246.136/32"}));
  EXPECT_EQ(r.feed.iocs[2].label, "QakBot");
  EXPECT_EQ(r.feed.iocs[0].line, 10u);
}

TEST(FeedAbusech, ThreatfoxCsv) {
  auto r = parse_fixture("threatfox.csv");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kThreatfoxCsv);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 45.61.136.157/32", "domain kbfvzoboss.bid", "url-host weqwe.example-malware.top"}));
  EXPECT_EQ(r.feed.iocs[0].label, "Cobalt Strike");
  EXPECT_EQ(r.feed.skipped.at("md5_hash"), 1u);
}

TEST(FeedAbusech, UrlhausCsv) {
  auto r = parse_fixture("urlhaus.csv");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kUrlhausCsv);
  EXPECT_EQ(rendered(r.feed), (V{"url-host 117.215.50.43/32", "url-host dl.bad-updates.example.xyz"}));
  EXPECT_EQ(r.feed.skipped.at("offline"), 1u);
}

TEST(FeedAbusech, Errors) {
  ParseOptions opts;
  opts.file_name = "f.csv";
  const std::string header = "\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n";
  EXPECT_EQ(parse_feodo_csv(header + "\"x\",\"1.2.3.0/24\",\"1\"\n", opts).error->message(),
            "f.csv:2: dst_ip: '1.2.3.0/24' is a CIDR; this column holds one address");
  EXPECT_EQ(parse_feodo_csv(header + "\"x\",\"1.2.3.4\"\n", opts).error->message(), "f.csv:2: row has 2 fields, the header has 3");
  EXPECT_EQ(parse_feodo_csv(header + "\"x\",\"1.2.3.4,\"1\"\n", opts).error->line, 2u);
  EXPECT_EQ(parse_feodo_csv("1.2.3.4\n", opts).error->message(),
            "f.csv:1: not a Feodo Tracker CSV export: no header row with columns dst_ip before the first data line");
  EXPECT_EQ(parse_threatfox_csv("# \"ioc_value\",\"ioc_type\"\n\"1.2.3.4:99999\", \"ip:port\"\n", opts).error->message(),
            "f.csv:2: ip:port: '1.2.3.4:99999': '99999' is not a port number");
  EXPECT_FALSE(parse_urlhaus_csv("# id,dateadded,url,url_status\n\"1\",\"d\",\"evil.example/x\",\"online\"\n", opts).ok());
}

}  // namespace
}  // namespace iocgate
