// tests/feeds/feed_expiry_test.cc — what is enforced at a time: feed expiry, per-IoC
// valid_until, and an expired IoC kept while another live feed lists it.
#include <gtest/gtest.h>

#include "feeds/feed_expiry.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


ParsedFeed feed_of(std::string_view text) {
  ParseOptions opts;
  return parse_plain_list(text, opts).feed;
}

std::vector<std::string> enforced(const EnforceSet& s) {
  std::vector<std::string> out;
  for (const auto& e : s.enforce) out.push_back(std::to_string(e.feed) + " " + render(e.ioc));
  return out;
}

TEST(FeedExpiry, OneRuleForFeedsAndListings) {
  Ioc ioc;
  EXPECT_TRUE(ioc_live(ioc, 0, 5));       // no expiry at all
  EXPECT_TRUE(ioc_live(ioc, 10, 9));
  EXPECT_FALSE(ioc_live(ioc, 10, 10));    // now < expiry: the second it expires, it is gone
  ioc.valid_until = 7;
  EXPECT_TRUE(ioc_live(ioc, 0, 6));
  EXPECT_FALSE(ioc_live(ioc, 0, 7));
  EXPECT_FALSE(ioc_live(ioc, 5, 6));      // the feed expired before the IoC
  EXPECT_TRUE(feed_live(0, 1LL << 40));
  EXPECT_FALSE(feed_live(3, 3));
}

TEST(FeedExpiry, FeedFullyExpired) {
  ParsedFeed f;
  EXPECT_FALSE(feed_fully_expired(f));    // empty, but nothing expired: just empty
  f.skipped["expired"] = 2;
  EXPECT_TRUE(feed_fully_expired(f));
  f.iocs.emplace_back();
  EXPECT_FALSE(feed_fully_expired(f));    // something is still live
}

TEST(FeedExpiry, FeedExpiryAndOtherFeeds) {
  ParsedFeed advisory = feed_of("198.51.100.1\nevil.example\n");
  ParsedFeed blocklist = feed_of("198.51.100.1\n");
  std::vector<PolicedFeed> feeds{{"advisory", &advisory, FeedPolicy{1000}}, {"blocklist", &blocklist, FeedPolicy{0}}};
  auto s = iocs_to_enforce(feeds, 999);
  EXPECT_EQ(enforced(s), (std::vector<std::string>{"0 ipv4 198.51.100.1/32", "0 domain evil.example", "1 ipv4 198.51.100.1/32"}));
  EXPECT_EQ(s.expired_listings, 0u);
  // At the expiry second the advisory stops; its address stays enforced through the blocklist.
  s = iocs_to_enforce(feeds, 1000);
  EXPECT_EQ(enforced(s), (std::vector<std::string>{"1 ipv4 198.51.100.1/32"}));
  EXPECT_EQ(s.expired_listings, 2u);
  EXPECT_EQ(s.expired_iocs, 1u);
  EXPECT_EQ(s.kept_by_other_feed, 1u);
}

TEST(FeedExpiry, PerIocValidUntil) {
  ParsedFeed stix = feed_of("203.0.113.9\n203.0.113.10\n");
  stix.iocs[0].valid_until = 500;
  ParsedFeed other = feed_of("203.0.113.9\n");
  std::vector<PolicedFeed> feeds{{"stix", &stix, {}}};
  EXPECT_EQ(enforced(iocs_to_enforce(feeds, 499)).size(), 2u);
  auto s = iocs_to_enforce(feeds, 500);
  EXPECT_EQ(enforced(s), (std::vector<std::string>{"0 ipv4 203.0.113.10/32"}));
  EXPECT_EQ(s.expired_iocs, 1u);
  feeds.push_back({"other", &other, FeedPolicy{600}});
  s = iocs_to_enforce(feeds, 550);
  EXPECT_EQ(enforced(s), (std::vector<std::string>{"0 ipv4 203.0.113.10/32", "1 ipv4 203.0.113.9/32"}));
  EXPECT_EQ(s.kept_by_other_feed, 1u);
  s = iocs_to_enforce(feeds, 600);
  EXPECT_EQ(s.expired_iocs, 1u);
  EXPECT_EQ(s.kept_by_other_feed, 0u);
}

TEST(FeedExpiry, NullFeedIgnored) {
  std::vector<PolicedFeed> feeds{{"none", nullptr, {}}};
  EXPECT_TRUE(iocs_to_enforce(feeds, 1).enforce.empty());
}

}  // namespace
}  // namespace iocgate
