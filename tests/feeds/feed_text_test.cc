// tests/feeds/feed_text_test.cc — free text: IoCs from an AsciiDoc appendix and from prose;
// file names, public suffixes, version numbers and reference links noted, not taken.
#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


bool has_note(const ParsedFeed& f, const std::string& part) {
  for (const auto& n : f.notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(FeedText, AsciidocAppendixDetected) {
  auto r = parse_fixture("advisory.adoc");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kText);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 103.56.53.120/32", "domain upespr.com", "ipv4 45.154.14.235/32",
                                 "domain locvnpt.com", "ipv4 103.79.120.66/32", "ipv6 2001:db8:77:0:0:0:0:1/128",
                                 "url-host cdn.upespr.com"}));
  EXPECT_EQ(r.feed.advisory, "941/CATTT-NCSC");
  EXPECT_EQ(r.feed.group, "Mustang Panda");
  EXPECT_EQ(r.feed.iocs[0].line, 23u);
  EXPECT_EQ(r.feed.iocs[0].label, "Network Indicators");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"email", 1}, {"sha1", 2}}));
  EXPECT_TRUE(has_note(r.feed, "'coreclr.dll' ignored: 'dll' is not a top-level domain"));
  EXPECT_TRUE(has_note(r.feed, "welivesecurity.com"));  // a live link in a defanged document
  EXPECT_TRUE(has_note(r.feed, "recordedfuture.com"));
}

TEST(FeedText, ProseOnlyWithFormatText) {
  EXPECT_FALSE(parse_fixture("advisory_prose.txt").ok());  // never guessed for a .txt of prose
  auto r = parse_fixture("advisory_prose.txt", FeedFormat::kText);
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 203.0.113.5/32", "domain update-check.example.com", "url-host files.example-bad.net"}));
  EXPECT_EQ(r.feed.skipped.at("sha256"), 1u);
  for (const char* n : {"'Readme.txt'", "'setup.exe'", "'version.dll)'", "'gov.vn' ignored: a public suffix",
                        "'10.0.19041.1' ignored"})
    EXPECT_TRUE(has_note(r.feed, n)) << n;
}

TEST(FeedText, DefangedTyposRefuse) {
  ParseOptions opts;
  opts.file_name = "a.txt";
  auto r = parse_free_text("C2 at 1.2.3[.]400 per the report.\n", opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), "a.txt:1: defanged address '1.2.3.400' is not an IPv4 address: octet 400 is above 255 (written '1.2.3[.]400')");
  EXPECT_FALSE(parse_free_text("range 10.1.2[.]0/33\n", opts).ok());
  EXPECT_FALSE(parse_free_text("see evil[.]-bad-.com\n", opts).ok());
  // Undefanged look-alikes in prose are only noted.
  r = parse_free_text("version 1.2.3.400 and 12:30:00\n", opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.feed.iocs.empty());
}

// ESET quotes URLs as AsciiDoc literals (+...+, ++...++); advisories use backticks and
// emphasis. The markup is not part of the IoC and must not make a defanged URL a "typo".
TEST(FeedText, AsciiDocAndMarkdownMarkup) {
  auto r = parse_fixture("lazarus.adoc");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kText);
  EXPECT_EQ(rendered(r.feed), (V{"url-host www.mantis-web.org", "url-host rsdaily.net", "url-host coin-trade.us",
                                 "ipv4 45.153.240.22/32", "domain travel-agency.tk", "url-host job-vacancy.io"}));
  EXPECT_EQ(r.feed.advisory, "ESET-2023-DJ");
  EXPECT_EQ(r.feed.group, "Lazarus");
  EXPECT_EQ(r.feed.iocs[0].label, "Network");
  EXPECT_EQ(r.feed.iocs[0].line, 15u);
}

TEST(FeedText, PortsAndSchemeLessUrlsInProse) {
  ParseOptions opts;
  auto r = parse_free_text("C2: bad[.]example[.]com:443, [2001:db8::7]:8443 and evil-gate[.]net/gate.php; "
                           "the range 10.20.0[.]0/16 and 10.1.2.0/!5 (a typo, not a URL).\n", opts);
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"domain bad.example.com", "ipv6 2001:db8:0:0:0:0:0:7/128", "url-host evil-gate.net",
                                 "cidr4 10.20.0.0/16"}));
}

}  // namespace
}  // namespace iocgate
