// tests/feeds/feed_guards_test.cc — guards: each refusal with its message, overrides with
// --force, allowlists covering subdomains, and the shrink hold.
#include <gtest/gtest.h>

#include "feeds/feed_guards.h"
#include "feeds/ioc_text.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

ParsedFeed feed_of(std::string_view text) {
  ParseOptions opts;
  auto r = parse_plain_list(text, opts);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error->message());
  return r.feed;
}

GuardConfig config() {
  GuardConfig c;
  std::string error;
  c.own_networks.push_back(OwnNetwork{*parse_ip_prefix("10.0.0.0/8", error), "10.0.0.0/8"});
  c.allowlist.push_back(*parse_allow_entry("gov.example", "allow.txt:1", error));
  c.allowlist.push_back(*parse_allow_entry("9.9.9.9", "allow.txt:2", error));
  return c;
}

TEST(FeedGuards, EachRuleExplainsItself) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.0/8", "f.txt:1: '10.0.0.0/8' overlaps the operator's own network 10.0.0.0/8 (config [network] internal); "
                     "list it with --force to enforce anyway"},
      {"10.1.2.3", "f.txt:1: '10.1.2.3' overlaps the operator's own network 10.0.0.0/8 (config [network] internal); "
                   "list it with --force to enforce anyway"},
      {"4.0.0.0/6", "f.txt:1: '4.0.0.0/6' is a /6: prefixes shorter than /8 block too much (guard min_prefix_v4); "
                    "list it with --force to enforce anyway"},
      {"2001:db8::/29", "f.txt:1: '2001:db8::/29' is a /29: prefixes shorter than /32 block too much (guard "
                        "min_prefix_v6); list it with --force to enforce anyway"},
      {"127.0.0.1", "f.txt:1: '127.0.0.1' overlaps loopback (127.0.0.0/8); list it with --force to enforce anyway"},
      {"169.254.1.1", "f.txt:1: '169.254.1.1' overlaps link-local (169.254.0.0/16); list it with --force to enforce anyway"},
      {"239.1.1.1", "f.txt:1: '239.1.1.1' overlaps multicast (224.0.0.0/4); list it with --force to enforce anyway"},
      {"0.0.0.0", "f.txt:1: '0.0.0.0' overlaps 'this network' and the unspecified address (0.0.0.0/8); list it with "
                  "--force to enforce anyway"},
      {"::1", "f.txt:1: '::1' overlaps loopback (::1); list it with --force to enforce anyway"},
      {"fe80::1", "f.txt:1: 'fe80::1' overlaps link-local (fe80::/10); list it with --force to enforce anyway"},
      {"ff02::1", "f.txt:1: 'ff02::1' overlaps multicast (ff00::/8); list it with --force to enforce anyway"},
      {"com", nullptr},  // a one-label name is refused by the parser already
      {"com.vn", "f.txt:1: 'com.vn' is a public suffix: it would block every domain registered under it; list it "
                 "with --force to enforce anyway"},
      {"gov.vn", "f.txt:1: 'gov.vn' is a public suffix: it would block every domain registered under it; list it "
                 "with --force to enforce anyway"},
      {"portal.gov.example", "f.txt:1: 'portal.gov.example' is covered by the allowlist entry 'gov.example' "
                             "(allow.txt:1); list it with --force to enforce anyway"},
      {"example", nullptr},
      {"9.9.9.0/24", "f.txt:1: '9.9.9.0/24' overlaps the allowlist entry '9.9.9.9' (allow.txt:2); list it with "
                     "--force to enforce anyway"},
  };
  const GuardConfig c = config();
  for (const auto& [entry, want] : cases) {
    if (want == nullptr) continue;
    auto g = apply_guards(feed_of(entry), c, {});
    ASSERT_EQ(g.refused.size(), 1u) << entry;
    EXPECT_EQ(g.refused[0].message("f.txt"), want);
    EXPECT_TRUE(g.accepted.empty());
    // --force names the entry as printed.
    auto forced = apply_guards(feed_of(entry), c, {g.refused[0].entry});
    EXPECT_TRUE(forced.ok()) << entry;
    EXPECT_EQ(forced.accepted.size(), 1u);
    EXPECT_EQ(forced.forced, std::vector<std::string>{g.refused[0].entry});
  }
}

TEST(FeedGuards, ParentOfAllowlistedDomainRefused) {
  auto g = apply_guards(feed_of("gov.example\nevil.example\n"), config(), {});
  ASSERT_EQ(g.refused.size(), 1u);
  EXPECT_EQ(g.refused[0].reason, "is covered by the allowlist entry 'gov.example' (allow.txt:1)");
  g = apply_guards(feed_of("www.portal.gov.example.org\n"), config(), {});
  EXPECT_TRUE(g.ok());  // gov.example.org is not gov.example
  GuardConfig c;
  std::string error;
  c.allowlist.push_back(*parse_allow_entry("update.vendor.example", "--allow", error));
  g = apply_guards(feed_of("vendor.example\n"), c, {});
  ASSERT_EQ(g.refused.size(), 1u);
  EXPECT_EQ(g.refused[0].reason, "would also block the allowlisted 'update.vendor.example' (--allow)");
}

TEST(FeedGuards, PassingFeedUntouched) {
  auto g = apply_guards(feed_of("198.51.100.7\n203.0.113.0/24\n2001:db8::/48\nevil.example.com\n"), config(), {});
  EXPECT_TRUE(g.ok());
  EXPECT_EQ(g.accepted.size(), 4u);
}

TEST(FeedGuards, Allowlist) {
  std::vector<AllowEntry> out;
  std::string error;
  ASSERT_TRUE(parse_allowlist("# resolvers\n8.8.8.8\n2001:4860:4860::8888  # v6\nwindowsupdate[.]com\n\n", "a.txt", out, error));
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2].domain, "windowsupdate.com");
  EXPECT_EQ(out[1].source, "a.txt:3");
  out.clear();
  EXPECT_FALSE(parse_allowlist("8.8.8.8\n300.1.1.1\n", "a.txt", out, error));
  EXPECT_EQ(error, "a.txt:2: '300.1.1.1' is not an IPv4 address: octet 300 is above 255");
}

TEST(FeedGuards, ShrinkHeld) {
  GuardConfig c;
  c.max_shrink_fraction = 0.5;
  ParsedFeed before = feed_of("1.1.1.1\n2.2.2.2\n3.3.3.3\n4.4.4.4\n");
  auto d = check_shrink(before, feed_of("1.1.1.1\n2.2.2.2\n5.5.5.5\n"), c);
  EXPECT_FALSE(d.hold) << d.message;
  EXPECT_EQ(d.message, "the update removes 2 of 4 IoCs (50%)");
  d = check_shrink(before, feed_of("1.1.1.1\n"), c);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.message, "the update removes 3 of 4 IoCs (75%, more than the 50% allowed by max_shrink_fraction); "
                       "held for confirmation");
  d = check_shrink(before, ParsedFeed{}, c);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.message, "the update is empty: it would stop enforcing all 4 IoCs; held for confirmation");
  EXPECT_FALSE(check_shrink(ParsedFeed{}, before, c).hold);
}

// FireHOL level1 lists bogons on purpose: with kSkipRefused the rest is enforced and each
// refused entry is reported; the default still refuses the feed.
TEST(FeedGuards, SkipRefusedKeepsTheRest) {
  ParsedFeed f = feed_of("198.51.100.1\n127.0.0.0/8\n10.1.0.0/16\nevil.example\n");
  GuardConfig c = config();
  GuardResult all = apply_guards(f, c, {});
  EXPECT_FALSE(all.ok());
  c.mode = GuardMode::kSkipRefused;
  GuardResult some = apply_guards(f, c, {});
  EXPECT_TRUE(some.ok());
  ASSERT_EQ(some.accepted.size(), 2u);
  EXPECT_EQ(ioc_text(some.accepted[1]), "evil.example");
  ASSERT_EQ(some.refused.size(), 2u);
  EXPECT_EQ(some.refused[0].message("f.txt"),
            "f.txt:2: '127.0.0.0/8' overlaps loopback (127.0.0.0/8); list it with --force to enforce anyway");
  EXPECT_EQ(some.refused[1].line, 3u);
}

}  // namespace
}  // namespace iocgate
