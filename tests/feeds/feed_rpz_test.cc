// tests/feeds/feed_rpz_test.cc — RPZ zones: QNAME triggers become domains; SOA/NS, passthru
// and IP triggers are not IoCs.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedRpz, Zone) {
  auto r = parse_fixture("zone.rpz");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kRpz);
  EXPECT_EQ(rendered(r.feed), (V{"domain 0022a601.pphost.net", "domain evil.example.com", "domain walled.example.net"}));
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{
                                {"duplicate", 1}, {"rpz trigger rpz-ip", 1}, {"rpz-passthru", 1}}));
  EXPECT_EQ(r.feed.iocs[1].line, 10u);
}

TEST(FeedRpz, OriginAndErrors) {
  ParseOptions opts;
  auto r = parse_rpz("$ORIGIN rpz.example.\nbad.example.org.rpz.example. CNAME .\n", opts);
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(r.feed.iocs.at(0).domain, "bad.example.org");
  EXPECT_EQ(parse_rpz("bad..example CNAME .\n", opts).error->line, 1u);
  EXPECT_EQ(parse_rpz("lonely.example\n", opts).error->reason, "'lonely.example' has no record type");
}

}  // namespace
}  // namespace iocgate
