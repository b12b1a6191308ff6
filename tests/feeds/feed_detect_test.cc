// tests/feeds/feed_detect_test.cc — format detection, dispatch, names and error rendering.
#include <gtest/gtest.h>

#include "feeds/feed_parser.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

TEST(FeedDetect, TablesAndDocuments) {
  EXPECT_EQ(detect_feed_format("value,type,notes\nevil.example,domain,x\n"), FeedFormat::kTable);
  EXPECT_EQ(detect_feed_format("# exported\nIndicator\tComment\n1.2.3.4\tC2\n"), FeedFormat::kTable);
  EXPECT_EQ(detect_feed_format("Giá trị;Loại\n1.2.3.4;IP\n"), FeedFormat::kTable);
  // A list whose first line merely has a comma is not a table: the plain parser says why.
  EXPECT_EQ(detect_feed_format("1.2.3.4,\n"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format("%PDF-1.4\n..."), FeedFormat::kPdf);
  EXPECT_EQ(detect_feed_format(std::string("PK\x03\x04....xl/workbook.xml", 23)), FeedFormat::kXlsx);
  EXPECT_EQ(detect_feed_format(std::string("PK\x03\x04....word/document.xml", 25)), FeedFormat::kDocx);
}

TEST(FeedDetect, Formats) {
  EXPECT_EQ(detect_feed_format(R"({"type": "bundle", "objects": []})"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format("\xEF\xBB\xBF\n  {\"id\": \"bundle--1\", \"type\" :\n\"bundle\"}"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format(R"({"objects": []})"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format(R"({"Event": {}})"), FeedFormat::kMispJson);
  EXPECT_EQ(detect_feed_format(R"({"response": [{"Event": {}}]})"), FeedFormat::kMispJson);
  EXPECT_EQ(detect_feed_format(R"({"config": {}})"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format("{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL1\",\"rir\":\"apnic\"}\n"),
            FeedFormat::kSpamhausJson);
  EXPECT_EQ(detect_feed_format("{\"asn\":932,\"rir\":\"arin\"}\n{\"asn\":6060}\n"), FeedFormat::kSpamhausJson);
  EXPECT_EQ(detect_feed_format(R"({"query_status": "ok", "data": []})"), FeedFormat::kThreatfoxJson);
  EXPECT_EQ(detect_feed_format(R"({"1234": [{"ioc_value": "a.example", "ioc_type": "domain"}]})"),
            FeedFormat::kThreatfoxJson);
  EXPECT_EQ(detect_feed_format("#\n# spamhaus_drop\n#\n# ipv4 hash:net ipset\n#\n1.10.16.0/20\n"),
            FeedFormat::kFireholSet);
  EXPECT_EQ(detect_feed_format("; Spamhaus DROP List 2024/03/14\n1.10.16.0/20 ; SBL256894\n"), FeedFormat::kSpamhausDrop);
  EXPECT_EQ(detect_feed_format("1.10.16.0/20 ; SBL256894\n"), FeedFormat::kSpamhausDrop);
  EXPECT_EQ(detect_feed_format("# abuse.ch Feodo Tracker Botnet C2 IP Blocklist\n#\n"
                               "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n"),
            FeedFormat::kFeodoCsv);
  EXPECT_EQ(detect_feed_format("# abuse.ch Feodo Tracker Botnet C2 IP Blocklist\n1.2.3.4\n"), FeedFormat::kFeodoPlain);
  EXPECT_EQ(detect_feed_format("# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\"\n"), FeedFormat::kThreatfoxCsv);
  EXPECT_EQ(detect_feed_format("# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"),
            FeedFormat::kUrlhausCsv);
  EXPECT_EQ(detect_feed_format("! Title: x\n||evil.example^\n"), FeedFormat::kAdblock);
  EXPECT_EQ(detect_feed_format("$TTL 30\n@ IN SOA localhost. root.localhost. 1 2 3 4 5\nevil.example CNAME .\n"),
            FeedFormat::kRpz);
  EXPECT_EQ(detect_feed_format("= Advisory\n\nprose\n"), FeedFormat::kText);
  EXPECT_EQ(detect_feed_format("Some prose\n|===\n|a |b\n|===\n"), FeedFormat::kText);
  EXPECT_EQ(detect_feed_format("uuid,event_id,category,type,value,comment,to_ids,date\n"), FeedFormat::kMispCsv);
  EXPECT_EQ(detect_feed_format("\xEF\xBB\xBFuuid,event_id,category,type,value,comment,to_ids,date\r\n"), FeedFormat::kMispCsv);
  EXPECT_EQ(detect_feed_format("uuid,event,category\n"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format("# list\n1.2.3.4\n"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format(""), FeedFormat::kPlain);
}

TEST(FeedDetect, ParseFeedDispatches) {
  ParseOptions opts;
  auto r = parse_feed("uuid,event_id,category,type,value,comment,to_ids,date\nu,1,c,domain,a.example,,1,0\n", opts);
  ASSERT_ACCEPTED_AS(r, FeedFormat::kMispCsv);
  r = parse_feed("a.example\n", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.format, FeedFormat::kPlain);
  r = parse_feed(R"({"type":"bundle","objects":[]})", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.format, FeedFormat::kStix21);
  r = parse_feed(R"({"response": [{"Event": {"info": "x", "Attribute": []}}]})", opts);
  ASSERT_ACCEPTED_AS(r, FeedFormat::kMispJson);
  // JSON no reader claims is explained by the STIX parser, not read as a plain list.
  opts.file_name = "config.json";
  r = parse_feed(R"({"duvelDetails": {"blockList": []}})", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(),
            "config.json: JSON of an unknown schema (top-level keys: duvelDetails): not a STIX 2.1 bundle, MISP "
            "event, ThreatFox export or Spamhaus JSON list");
  // A plain list that fails says how to read prose instead; free text is never guessed.
  opts.file_name = "advisory.txt";
  r = parse_feed("The actor used evil.example for C2.\n", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->reason.find("--format text"), std::string::npos) << r.error->reason;
  // Duplicates are counted once the format's parser is done.
  opts.file_name.clear();
  r = parse_feed("a.example\nb.example\nA.example.\n", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.iocs.size(), 2u);
  EXPECT_EQ(r.feed.skipped["duplicate"], 1u);
  EXPECT_EQ(r.feed.iocs[0].line, 1u);
  // An explicit format wins over detection.
  opts.format = FeedFormat::kPlain;
  r = parse_feed("uuid,event_id,category,type,value\n", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->line, 1u);
}

TEST(FeedDetect, Names) {
  EXPECT_STREQ(feed_format_name(FeedFormat::kAuto), "auto");
  EXPECT_STREQ(feed_format_name(FeedFormat::kPlain), "plain");
  EXPECT_STREQ(feed_format_name(FeedFormat::kMispCsv), "misp-csv");
  EXPECT_STREQ(feed_format_name(FeedFormat::kStix21), "stix2.1");
  for (FeedFormat f : {FeedFormat::kPlain, FeedFormat::kMispCsv, FeedFormat::kStix21, FeedFormat::kMispJson,
                       FeedFormat::kFireholSet, FeedFormat::kSpamhausDrop, FeedFormat::kSpamhausJson,
                       FeedFormat::kFeodoCsv, FeedFormat::kFeodoPlain, FeedFormat::kThreatfoxCsv,
                       FeedFormat::kThreatfoxJson, FeedFormat::kUrlhausCsv, FeedFormat::kAdblock, FeedFormat::kRpz,
                       FeedFormat::kText}) {
    auto back = feed_format_from_name(feed_format_name(f));
    ASSERT_TRUE(back.has_value()) << feed_format_name(f);
    EXPECT_EQ(*back, f);
  }
  EXPECT_FALSE(feed_format_from_name("csv").has_value());
}

TEST(FeedDetect, EncodingRefused) {
  ParseOptions opts;
  opts.file_name = "f.txt";
  auto r = parse_feed(std::string_view("\xFF\xFE" "1\0.\0", 6), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), "f.txt: the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
  r = parse_feed(std::string_view("1.2.3.4\n\0", 9), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->reason.find("NUL byte at offset 8"), std::string::npos);
}

TEST(FeedDetect, ErrorMessage) {
  EXPECT_EQ((FeedError{"a.txt", 3, "bad"}).message(), "a.txt:3: bad");
  EXPECT_EQ((FeedError{"a.txt", 0, "bad"}).message(), "a.txt: bad");
  EXPECT_EQ((FeedError{"", 0, "bad"}).message(), "<feed>: bad");
}

}  // namespace
}  // namespace iocgate
