// tests/feeds/feed_adblock_test.cc — urlhaus-filter's Adblock syntax: hosts taken, path
// rules validated and counted (never widened to github.com), exceptions and cosmetics counted.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedAdblock, UrlhausFilter) {
  auto r = parse_fixture("adblock.txt");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kAdblock);
  EXPECT_EQ(rendered(r.feed), (V{"domain 0022a601.pphost.net", "ipv4 1.13.187.97/32", "domain wegrowcoaching.com"}));
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{
                                {"cosmetic filter", 1}, {"exception rule", 1}, {"url path rule", 1}}));
  EXPECT_EQ(r.feed.advisory, "Online Malicious URL Blocklist");
}

TEST(FeedAdblock, Errors) {
  ParseOptions opts;
  EXPECT_EQ(parse_adblock("||*.evil.example^\n", opts).error->reason,
            "'||*.evil.example^' is a wildcard rule: only exact hosts can be enforced");
  EXPECT_EQ(parse_adblock("! x\n||^\n", opts).error->line, 2u);
  EXPECT_FALSE(parse_adblock("||evil..example^\n", opts).ok());
}

}  // namespace
}  // namespace iocgate
