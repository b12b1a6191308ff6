// tests/feeds/feed_detect_test.cc — format detection, dispatch, names and error rendering.
#include <gtest/gtest.h>

#include "feeds/feed_parser.h"

namespace iocgate {
namespace {

TEST(FeedDetect, Formats) {
  EXPECT_EQ(detect_feed_format(R"({"type": "bundle", "objects": []})"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format("\xEF\xBB\xBF\n  {\"id\": \"bundle--1\", \"type\" :\n\"bundle\"}"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format(R"({"objects": []})"), FeedFormat::kStix21);
  EXPECT_EQ(detect_feed_format(R"({"Event": {}})"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format("uuid,event_id,category,type,value,comment,to_ids,date\n"), FeedFormat::kMispCsv);
  EXPECT_EQ(detect_feed_format("\xEF\xBB\xBFuuid,event_id,category,type,value,comment,to_ids,date\r\n"), FeedFormat::kMispCsv);
  EXPECT_EQ(detect_feed_format("uuid,event,category\n"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format("# list\n1.2.3.4\n"), FeedFormat::kPlain);
  EXPECT_EQ(detect_feed_format(""), FeedFormat::kPlain);
}

TEST(FeedDetect, ParseFeedDispatches) {
  ParseOptions opts;
  auto r = parse_feed("uuid,event_id,category,type,value,comment,to_ids,date\nu,1,c,domain,a.example,,1,0\n", opts);
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(r.feed.format, FeedFormat::kMispCsv);
  r = parse_feed("a.example\n", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.format, FeedFormat::kPlain);
  r = parse_feed(R"({"type":"bundle","objects":[]})", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.format, FeedFormat::kStix21);
  // JSON that is not a bundle is explained by the STIX parser, not read as a plain list.
  opts.file_name = "event.json";
  r = parse_feed(R"({"response": [{"Event": {}}]})", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(),
            "event.json: this is a MISP JSON event, which is not supported; export the event as MISP CSV or STIX 2.1");
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
}

TEST(FeedDetect, ErrorMessage) {
  EXPECT_EQ((FeedError{"a.txt", 3, "bad"}).message(), "a.txt:3: bad");
  EXPECT_EQ((FeedError{"a.txt", 0, "bad"}).message(), "a.txt: bad");
  EXPECT_EQ((FeedError{"", 0, "bad"}).message(), "<feed>: bad");
}

}  // namespace
}  // namespace iocgate
