// tests/feeds/feed_misp_json_test.cc — MISP event JSON: both export shapes, objects'
// attributes, to_ids in its three spellings, deleted attributes, provenance and lines.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedMispJson, EventWithObjects) {
  auto r = parse_fixture("misp_event.json");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kMispJson);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 198.51.100.23/32", "domain update-check.example.net", "ipv4 203.0.113.14/32",
                                 "url-host files.example.com", "domain stage.example.info",
                                 "ipv6 2001:db8:10:0:0:0:0:5/128"}));
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{
                                {"deleted", 1}, {"email-src", 1}, {"sha256", 1}, {"to_ids=0", 2}}));
  EXPECT_EQ(r.feed.advisory, "ACME-CERT 2024-017: LoaderX campaign");
  EXPECT_EQ(r.feed.group, "Mustang Panda");
  // Lines point at the attribute in the file; an object's attributes carry its comment.
  EXPECT_EQ(r.feed.iocs[0].line, 11u);
  EXPECT_EQ(r.feed.iocs[0].label, "C2 server");
  EXPECT_EQ(r.feed.iocs[4].label, "staging host");
}

TEST(FeedMispJson, ApiResponseWithGalaxyTag) {
  auto r = parse_fixture("misp_response.json");
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"domain news.example.org", "ipv4 198.51.100.7/32", "domain cdn.example.org"}));
  EXPECT_EQ(r.feed.group, "APT32");
  EXPECT_EQ(r.feed.skipped.at("to_ids=0"), 1u);
}

TEST(FeedMispJson, Refusals) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"Event": {"Attribute": [{"type": "ip-dst", "value": "300.1.2.3", "to_ids": true}]}})",
       "e.json:1: ip-dst: '300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
      {R"({"Event": {"Attribute": [{"type": "ip-dst", "value": "1.2.3.4", "to_ids": "yes"}]}})",
       "e.json:1: ip-dst attribute: to_ids is \"yes\", expected true or false"},
      {R"({"Event": {"Attribute": {"type": "ip-dst"}}})", "e.json: Event.Attribute is not an array"},
      {R"({"Event": {"Attribute": [{"type": "ip-dst"}]}})", "e.json:1: attribute 1 has no \"type\" and \"value\" strings"},
      {R"({"response": []})", "e.json: the MISP response holds no event"},
      {R"({"response": [{"x": 1}]})", "e.json: a \"response\" entry has no \"Event\""},
      {R"({"type": "bundle"})", "e.json: not a MISP event: expected {\"Event\": {...}} or {\"response\": [{\"Event\": {...}}]}"},
  };
  for (const auto& [in, want] : cases) {
    ParseOptions opts;
    opts.file_name = "e.json";
    auto r = parse_misp_json(in, opts);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error->message(), want);
  }
}

// ESET's OceanLotus event marks every attribute to_ids=false: by default nothing is
// enforced; include_not_for_ids takes them, and says how many were taken that way.
TEST(FeedMispJson, IncludeNotForIds) {
  const char* event = R"({"Event":{"info":"x","Attribute":[
    {"type":"ip-dst","value":"198.51.100.9","to_ids":false},
    {"type":"domain","value":"ctx.example","to_ids":"0"},
    {"type":"domain","value":"ids.example","to_ids":true},
    {"type":"md5","value":"d41d8cd98f00b204e9800998ecf8427e","to_ids":false}]}})";
  ParseOptions opts;
  auto strict = parse_misp_json(event, opts);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ(rendered(strict.feed), (V{"domain ids.example"}));
  EXPECT_EQ(strict.feed.skipped.at("to_ids=0"), 3u);
  opts.include_not_for_ids = true;
  auto all = parse_misp_json(event, opts);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(rendered(all.feed), (V{"ipv4 198.51.100.9/32", "domain ctx.example", "domain ids.example"}));
  EXPECT_EQ(all.feed.not_for_ids, 2u);
  EXPECT_EQ(all.feed.skipped, (std::map<std::string, uint64_t>{{"md5", 1}}));
  // The CSV export of the same attributes agrees.
  auto csv = parse_misp_csv("uuid,event_id,category,type,value,comment,to_ids\n"
                            "a,1,Network activity,ip-dst,198.51.100.9,,0\nb,1,Network activity,domain,ids.example,,1\n",
                            opts);
  ASSERT_TRUE(csv.ok()) << csv.error->message();
  EXPECT_EQ(rendered(csv.feed), (V{"ipv4 198.51.100.9/32", "domain ids.example"}));
  EXPECT_EQ(csv.feed.not_for_ids, 1u);
}

}  // namespace
}  // namespace iocgate
