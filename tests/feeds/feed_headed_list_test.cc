// tests/feeds/feed_headed_list_test.cc — FireHOL sets, Spamhaus DROP text and Feodo plain:
// plain entries, CRLF, '; SBL' notes as labels, empty lists, names from the header.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


TEST(FeedHeadedList, FireholNetsetWithCrlf) {
  auto r = parse_fixture("firehol.netset");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kFireholSet);
  EXPECT_EQ(rendered(r.feed), (V{"cidr4 1.10.16.0/20", "cidr4 1.19.0.0/16", "cidr4 2.56.192.0/22", "cidr4 5.134.128.0/19"}));
  EXPECT_EQ(r.feed.advisory, "spamhaus_drop (Spamhaus.org)");
  EXPECT_EQ(r.feed.iocs[0].line, 9u);
}

TEST(FeedHeadedList, EmptyFireholSetIsAValidEmptyFeed) {
  auto r = parse_fixture("firehol_empty.ipset");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kFireholSet);
  EXPECT_TRUE(r.feed.iocs.empty());
  EXPECT_EQ(r.feed.advisory, "feodo (Abuse.ch)");
}

TEST(FeedHeadedList, SpamhausDropKeepsSblIds) {
  auto r = parse_fixture("spamhaus_drop.txt");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kSpamhausDrop);
  ASSERT_EQ(r.feed.iocs.size(), 4u);
  EXPECT_EQ(r.feed.iocs[0].label, "SBL256894");
  EXPECT_EQ(r.feed.iocs[0].line, 5u);
  EXPECT_EQ(r.feed.advisory, "Spamhaus DROP List 2024/03/14 - (c) 2024 The Spamhaus Project SLU");
}

TEST(FeedHeadedList, FeodoPlain) {
  auto r = parse_fixture("feodo_ipblocklist.txt");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kFeodoPlain);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 192.9.135.73/32", "ipv4 85.239.243.155/32"}));
  EXPECT_EQ(r.feed.advisory, "abuse.ch Feodo Tracker Botnet C2 IP Blocklist (recommended)");
}

TEST(FeedHeadedList, PlainHeaderKeys) {
  ParseOptions opts;
  auto r = parse_plain_list("# Advisory: 941/CATTT-NCSC\n# Group: Mustang Panda\n1.2.3.4\n", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.feed.advisory, "941/CATTT-NCSC");
  EXPECT_EQ(r.feed.group, "Mustang Panda");
}

TEST(FeedHeadedList, BadEntryRefusesWithLine) {
  ParseOptions opts;
  opts.file_name = "drop.txt";
  auto r = parse_headed_list("; Spamhaus DROP\n1.10.16.0/20 ; SBL1\n1.2.3.4/33 ; SBL2\n", FeedFormat::kSpamhausDrop, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->line, 3u);
}

}  // namespace
}  // namespace iocgate
