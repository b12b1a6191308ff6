// tests/feeds/feed_spamhaus_json_test.cc — Spamhaus DROP JSON lines: prefixes with SBL ids,
// the metadata line skipped, ASN-DROP refused with its reason.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedSpamhausJson, DropLines) {
  auto r = parse_fixture("spamhaus_drop_v4.json");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kSpamhausJson);
  EXPECT_EQ(rendered(r.feed), (V{"cidr4 1.10.16.0/20", "cidr4 1.19.0.0/16", "cidr6 2a06:e480:0:0:0:0:0:0/32"}));
  EXPECT_EQ(r.feed.iocs[2].label, "SBL301772");
  EXPECT_EQ(r.feed.iocs[2].line, 3u);
}

TEST(FeedSpamhausJson, AsnDropRefused) {
  auto r = parse_fixture("spamhaus_asndrop.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(),
            "spamhaus_asndrop.json:1: 932 is an ASN-DROP entry: an autonomous system number is not enforceable by "
            "address; use Spamhaus drop_v4.json / drop_v6.json, which list its prefixes");
}

TEST(FeedSpamhausJson, Errors) {
  ParseOptions opts;
  opts.file_name = "d.json";
  EXPECT_EQ(parse_spamhaus_json("{\"cidr\":\"1.2.3.0/24\"}\n{\"cidr\":\"::/129\"}\n", opts).error->line, 2u);
  EXPECT_EQ(parse_spamhaus_json("{\"cidr\":\"1.2.3.0/24\"}\n[1]\n", opts).error->reason,
            "not a JSON object: each line of a Spamhaus JSON list is one object");
  EXPECT_EQ(parse_spamhaus_json("{\"ip\":\"1.2.3.4\"}\n", opts).error->reason,
            "no \"cidr\" string: not a Spamhaus DROP JSON entry");
  EXPECT_FALSE(parse_spamhaus_json("{\"cidr\":\"1.2.3.0/24\"", opts).ok());
}

}  // namespace
}  // namespace iocgate
