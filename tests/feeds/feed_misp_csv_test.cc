// tests/feeds/feed_misp_csv_test.cc — MISP attribute CSV: types, to_ids, quoting, errors.
#include <gtest/gtest.h>

#include "feeds/feed_parser.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


constexpr std::string_view kHeader = "uuid,event_id,category,type,value,comment,to_ids,date\n";

FeedParseResult parse(std::string_view rows, std::string_view header = kHeader) {
  ParseOptions opts;
  opts.file_name = "misp.csv";
  return parse_misp_csv(std::string(header) + std::string(rows), opts);
}

std::string row(std::string_view type, std::string_view value, std::string_view comment = "",
                std::string_view to_ids = "1") {
  return fmt::format("5f0c1a2b-0000-4000-8000-000000000001,7,Network activity,{},{},{},{},1719187200\n",
                     type, value, comment, to_ids);
}

struct Case {
  const char* type;
  const char* value;
  std::vector<std::string> want;
};

class MispAccepts : public testing::TestWithParam<Case> {};

TEST_P(MispAccepts, Types) {
  const Case& c = GetParam();
  auto r = parse(row(c.type, c.value));
  ASSERT_TRUE(r.ok()) << r.error->message();
  std::vector<std::string> got;
  for (const auto& ioc : r.feed.iocs) {
    got.push_back(render(ioc));
    EXPECT_EQ(ioc.line, 2u);
  }
  EXPECT_EQ(got, c.want);
  EXPECT_EQ(r.feed.format, FeedFormat::kMispCsv);
}

INSTANTIATE_TEST_SUITE_P(
    All, MispAccepts,
    testing::Values(
        Case{"ip-dst", "198.51.100.7", {"ipv4 198.51.100.7/32"}},
        Case{"ip-src", "203.0.113.0/24", {"cidr4 203.0.113.0/24"}},
        Case{"ip-dst", "2001:db8::7", {"ipv6 2001:db8:0:0:0:0:0:7/128"}},
        Case{"ip-dst", "2001:db8::/32", {"cidr6 2001:db8:0:0:0:0:0:0/32"}},
        Case{"ip-dst|port", "198.51.100.7|443", {"ipv4 198.51.100.7/32"}},
        Case{"ip-src|port", "2001:db8::7|8080", {"ipv6 2001:db8:0:0:0:0:0:7/128"}},
        Case{"domain", "Evil.Example.", {"domain evil.example"}},
        Case{"hostname", "c2.evil.example", {"domain c2.evil.example"}},
        Case{"domain|ip", "evil.example|198.51.100.7", {"domain evil.example", "ipv4 198.51.100.7/32"}},
        Case{"url", "https://evil.example:8443/gate.php", {"url-host evil.example"}},
        Case{"url", "evil.example/gate.php", {"url-host evil.example"}},
        Case{"url", "http://[2001:db8::7]/x", {"url-host 2001:db8:0:0:0:0:0:7/128"}}));

TEST(FeedMispCsv, SkipsNonNetworkTypesAndToIds0) {
  auto r = parse(row("md5", "d41d8cd98f00b204e9800998ecf8427e") + row("sha256", "e3b0") +
                 row("email-src", "a@evil.example") + row("filename", "x.exe") +
                 row("ip-dst", "198.51.100.7", "", "0") + row("domain", "evil.example", "", "0") +
                 row("ip-dst", "198.51.100.8", "", "1"));
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 1u);
  EXPECT_EQ(render(r.feed.iocs[0]), "ipv4 198.51.100.8/32");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{
                                {"md5", 1}, {"sha256", 1}, {"email-src", 1}, {"filename", 1}, {"to_ids=0", 2}}));
}

TEST(FeedMispCsv, QuotingCommentsAndPhysicalLines) {
  std::string rows =
      "\"u1\",7,\"Network activity\",\"domain\",\"evil.example\",\"C2, seen \"\"twice\"\"\",1,0\n"
      "u2,7,Network activity,ip-dst,198.51.100.7,\"multi\nline\ncomment\",1,0\r\n"
      "\n"
      "u3,7,Network activity,hostname,c2.evil.example,,1,0\n";
  auto r = parse(rows);
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 3u);
  EXPECT_EQ(r.feed.iocs[0].label, "C2, seen \"twice\"");
  EXPECT_EQ(r.feed.iocs[0].line, 2u);
  EXPECT_EQ(r.feed.iocs[1].label, "multi\nline\ncomment");
  EXPECT_EQ(r.feed.iocs[1].line, 3u);
  EXPECT_EQ(r.feed.iocs[2].line, 7u);
}

TEST(FeedMispCsv, ColumnsFromHeaderAndBom) {
  auto r = parse("evil.example,domain,0,u1,7,Network activity,note,1\n",
                 "\xEF\xBB\xBFuuid,event_id,category,type,value,comment,to_ids,date\n");
  ASSERT_FALSE(r.ok());  // field count mismatch is caught, columns are not guessed
  r = parse_misp_csv(
      "\xEF\xBB\xBFuuid,event_id,category,type,value,comment,to_ids,date,object_relation\n"
      "u1,7,Network activity,domain,evil.example,note,1,0,\n",
      ParseOptions{});
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 1u);
  EXPECT_EQ(r.feed.iocs[0].label, "note");
}

struct Bad {
  std::string rows;
  const char* message;
};

class MispRejects : public testing::TestWithParam<Bad> {};

TEST_P(MispRejects, WithFileLineReason) {
  auto r = parse(GetParam().rows);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, MispRejects,
    testing::Values(
        Bad{row("ip-dst", "198.51.100.7") + row("ip-dst", "300.1.2.3"),
            "misp.csv:3: ip-dst: '300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
        Bad{row("ip-dst", "1.2.3.4/33"),
            "misp.csv:2: ip-dst: '1.2.3.4/33' is not a CIDR: prefix length 33 is out of range for IPv4 (0..32)"},
        Bad{row("ip-dst|port", "198.51.100.7"), "misp.csv:2: ip-dst|port: '198.51.100.7' is not 'address|port'"},
        Bad{row("ip-dst|port", "198.51.100.7|99999"),
            "misp.csv:2: ip-dst|port: '198.51.100.7|99999': '99999' is not a port number"},
        Bad{row("domain", "localhost"),
            "misp.csv:2: domain: 'localhost' is not a domain name: a single label; a feed entry needs at least two ('example.com')"},
        Bad{row("domain|ip", "evil.example"), "misp.csv:2: domain|ip: 'evil.example' is not 'domain|address'"},
        Bad{row("url", "http://"), "misp.csv:2: url: 'http://' has no host"},
        Bad{row("ip-dst", "198.51.100.7", "", "yes"), "misp.csv:2: to_ids is 'yes', expected 0 or 1"},
        Bad{"u1,7,Network activity,ip-dst,198.51.100.7\n", "misp.csv:2: row has 5 fields, the header has 8"},
        Bad{"u1,7,Network activity,domain,evil.example,\"open\n\n", "misp.csv:2: unterminated quoted field (missing closing '\"')"}));

TEST(FeedMispCsv, HeaderErrors) {
  auto r = parse_misp_csv("", ParseOptions{"x.csv"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), "x.csv: empty file: a MISP CSV starts with a 'uuid,event_id,category,type,value,...' header");
  r = parse_misp_csv("uuid,event_id,category\n", ParseOptions{"x.csv"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), "x.csv:1: MISP CSV header lacks a 'type' or 'value' column");
}

}  // namespace
}  // namespace iocgate
