// tests/feeds/feed_threatfox_json_test.cc — ThreatFox JSON export and API response.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedThreatfoxJson, Export) {
  auto r = parse_fixture("threatfox.json");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kThreatfoxJson);
  // nlohmann orders object keys: entries come sorted by id.
  EXPECT_EQ(rendered(r.feed), (V{"domain kbfvzoboss.bid", "ipv4 45.61.136.157/32"}));
  EXPECT_EQ(r.feed.skipped.at("sha256_hash"), 1u);
}

TEST(FeedThreatfoxJson, ApiResponse) {
  auto r = parse_fixture("threatfox_api.json");
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 45.61.136.157/32", "url-host 203.0.113.77/32"}));
  EXPECT_EQ(r.feed.iocs[1].label, "Mirai");
}

TEST(FeedThreatfoxJson, Errors) {
  ParseOptions opts;
  EXPECT_EQ(parse_threatfox_json(R"({"query_status": "illegal_search_term"})", opts).error->reason,
            "ThreatFox API response with query_status \"illegal_search_term\": no data");
  EXPECT_EQ(parse_threatfox_json(R"({"1": {"ioc_value": "x"}})", opts).error->reason,
            "not a ThreatFox export: \"1\" does not hold an array");
  EXPECT_EQ(parse_threatfox_json(R"({"1": [{"ioc_value": "a..b", "ioc_type": "domain"}]})", opts).error->line, 1u);
  EXPECT_TRUE(parse_threatfox_json(R"({"query_status": "no_result", "data": "Your search did not yield any results"})", opts).ok());
}

}  // namespace
}  // namespace iocgate
