// tests/feeds/feed_plain_test.cc — plain lists: every syntax rule, skip reason and error text.
#include <gtest/gtest.h>

#include "feeds/feed_parser.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


FeedParseResult parse(std::string_view text) {
  ParseOptions opts;
  opts.file_name = "feeds/ncsc.txt";
  return parse_plain_list(text, opts);
}

struct Case {
  const char* line;
  const char* want;  // render() of the single IoC
};

class PlainAccepts : public testing::TestWithParam<Case> {};

TEST_P(PlainAccepts, OneIoc) {
  auto r = parse(GetParam().line);
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 1u) << GetParam().line;
  EXPECT_EQ(render(r.feed.iocs[0]), GetParam().want) << GetParam().line;
  EXPECT_EQ(r.feed.iocs[0].line, 1u);
  EXPECT_TRUE(r.feed.skipped.empty());
}

INSTANTIATE_TEST_SUITE_P(
    All, PlainAccepts,
    testing::Values(
        Case{"198.51.100.7", "ipv4 198.51.100.7/32"},
        Case{"  198.51.100.7\t", "ipv4 198.51.100.7/32"},
        Case{"198.51.100.7\r\n", "ipv4 198.51.100.7/32"},
        Case{"198[.]51[.]100[.]7", "ipv4 198.51.100.7/32"},
        Case{"198(.)51{.}100[dot]7", "ipv4 198.51.100.7/32"},
        Case{"198.51.100.0/24", "cidr4 198.51.100.0/24"},
        Case{"198.51.100.77/24", "cidr4 198.51.100.0/24"},  // host bits masked
        Case{"2001:db8::7", "ipv6 2001:db8:0:0:0:0:0:7/128"},
        Case{"2001:DB8::A", "ipv6 2001:db8:0:0:0:0:0:a/128"},
        Case{"2001:db8[:]:7", "ipv6 2001:db8:0:0:0:0:0:7/128"},
        Case{"::ffff:198.51.100.7", "ipv6 0:0:0:0:0:ffff:c633:6407/128"},
        Case{"2001:db8:ff52::/48", "cidr6 2001:db8:ff52:0:0:0:0:0/48"},
        Case{"2001:db8::1/32", "cidr6 2001:db8:0:0:0:0:0:0/32"},
        Case{"Evil.Example.COM.", "domain evil.example.com"},
        Case{"evil[.]example[.]com", "domain evil.example.com"},
        Case{"xn--80ak6aa92e.com", "domain xn--80ak6aa92e.com"},
        Case{"_dmarc.example.org", "domain _dmarc.example.org"},
        Case{"http://evil.example/path?x=1", "url-host evil.example"},
        Case{"hxxp://evil[.]example/path", "url-host evil.example"},
        Case{"HXXPS://user:pw@Evil.Example:8443/", "url-host evil.example"},
        Case{"hxxps[://]evil.example", "url-host evil.example"},
        Case{"fxp://files.example.net/a", "url-host files.example.net"},
        Case{"http://198.51.100.7:8080/gate.php", "url-host 198.51.100.7/32"},
        Case{"http://[2001:db8::7]:443/x", "url-host 2001:db8:0:0:0:0:0:7/128"},
        Case{"http://evil.example/a#frag", "url-host evil.example"},
        Case{"\xEF\xBB\xBF" "198.51.100.7", "ipv4 198.51.100.7/32"}));

TEST(FeedPlain, CommentsBlankLinesAndLabels) {
  auto r = parse(
      "# header comment\n"
      "\n"
      "   \t\n"
      "; spamhaus-style header\n"
      "198.51.100.7  # c2 server\r\n"
      "203.0.113.0/24 ; SBL123456\n"
      "evil.example\t#\tphishing kit \n"
      "bad.example#inline\n"
      "good.example #\n");
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 5u);
  EXPECT_EQ(r.feed.iocs[0].line, 5u);
  EXPECT_EQ(r.feed.iocs[0].label, "c2 server");
  EXPECT_EQ(r.feed.iocs[1].line, 6u);
  EXPECT_EQ(r.feed.iocs[1].label, "SBL123456");
  EXPECT_EQ(r.feed.iocs[2].label, "phishing kit");
  EXPECT_EQ(r.feed.iocs[3].domain, "bad.example");
  EXPECT_EQ(r.feed.iocs[3].label, "inline");
  EXPECT_EQ(r.feed.iocs[4].label, "");
}

TEST(FeedPlain, EmptyFeedIsValid) {
  for (const char* text : {"", "\n\n", "# only comments\n#\n", "\xEF\xBB\xBF"}) {
    auto r = parse(text);
    ASSERT_TRUE(r.ok()) << r.error->message();
    EXPECT_TRUE(r.feed.iocs.empty());
    EXPECT_EQ(r.feed.format, FeedFormat::kPlain);
  }
}

TEST(FeedPlain, HashesAndEmailsAreSkippedNotErrors) {
  auto r = parse(
      "d41d8cd98f00b204e9800998ecf8427e\n"
      "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  # dropper\n"
      "phish@evil.example\n"
      "phish[at]evil[.]example\n"
      "evil.example\n");
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(r.feed.iocs.size(), 1u);
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"md5", 1}, {"sha1", 1}, {"sha256", 2}, {"email", 2}}));
}

// Stealer C2 lists write "ip:port"; advisories drop a URL's scheme: the host is the IoC.
TEST(FeedPlain, HostsWithPortsAndSchemeLessUrls) {
  auto r = parse_fixture("redline_c2.txt");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kPlain);
  EXPECT_EQ(rendered(r.feed), (std::vector<std::string>{
                                  "ipv4 77.91.124.55/32", "ipv4 194.26.192.248/32", "ipv6 2001:db8:77:0:0:0:0:5/128",
                                  "domain bad.example.com", "url-host 78.153.130.68/32",
                                  "url-host evil-panel.example"}));
  EXPECT_EQ(r.feed.iocs[0].label, "RedLine");
  EXPECT_EQ(r.feed.iocs[3].line, 6u);
  EXPECT_EQ(r.feed.advisory, "stealer-c2-2024-06");
  EXPECT_EQ(render(parse("evil.example/gate.php").feed.iocs.at(0)), "url-host evil.example");
  EXPECT_EQ(render(parse("[2001:db8::1]").feed.iocs.at(0)), "ipv6 2001:db8:0:0:0:0:0:1/128");
}

struct Bad {
  const char* text;
  const char* message;
};

class PlainRejects : public testing::TestWithParam<Bad> {};

TEST_P(PlainRejects, WithFileLineReason) {
  auto r = parse(GetParam().text);
  ASSERT_FALSE(r.ok()) << GetParam().text;
  EXPECT_EQ(r.error->message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    All, PlainRejects,
    testing::Values(
        Bad{"1.2.3.4\n300.1.2.3\n", "feeds/ncsc.txt:2: '300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
        Bad{"# x\n\n1.2.3\n", "feeds/ncsc.txt:3: '1.2.3' is not an IPv4 address: expected 4 dotted octets, found 3"},
        Bad{"010.1.1.1", "feeds/ncsc.txt:1: '010.1.1.1' is not an IPv4 address: octet '010' has a leading zero (octal or decimal?)"},
        Bad{"1.2.3.4/33", "feeds/ncsc.txt:1: '1.2.3.4/33' is not a CIDR: prefix length 33 is out of range for IPv4 (0..32)"},
        Bad{"::/129", "feeds/ncsc.txt:1: '::/129' is not a CIDR: prefix length 129 is out of range for IPv6 (0..128)"},
        Bad{"2001:db8::zz", "feeds/ncsc.txt:1: '2001:db8::zz' is not an IPv6 address: group 'zz' is not hexadecimal"},
        Bad{"localhost", "feeds/ncsc.txt:1: 'localhost' is not a domain name: a single label; a feed entry needs at least two ('example.com')"},
        Bad{"bücher.example", "feeds/ncsc.txt:1: 'bücher.example' is not a domain name: it has non-ASCII characters; convert the IDN to punycode ('xn--...')"},
        Bad{"1.2.3.4 5.6.7.8", "feeds/ncsc.txt:1: '1.2.3.4' is followed by '5.6.7.8': one IoC per line; comments start with '#' or ';'"},
        Bad{"1.2.3.4,", "feeds/ncsc.txt:1: '1.2.3.4,' looks like a CSV row; read a delimited IoC table with --format table (a MISP export: misp-csv)"},
        Bad{"1.2.3.4:99999", "feeds/ncsc.txt:1: '1.2.3.4:99999': '99999' is not a port number"},
        Bad{"bad.example.com:https", "feeds/ncsc.txt:1: 'bad.example.com:https': 'https' is not a port number"},
        Bad{"2001:db8::1]:443", "feeds/ncsc.txt:1: '2001:db8::1]:443' is not an IPv6 address: group '1]' is not hexadecimal"},
        Bad{"[2001:db8::1]443", "feeds/ncsc.txt:1: '[2001:db8::1]443': an IPv6 address with a port is written '[address]:port'"},
        Bad{"203.0.113.0/!5", "feeds/ncsc.txt:1: '203.0.113.0/!5' is not a CIDR: prefix length '!5' is not a number"},
        Bad{"hxxp://", "feeds/ncsc.txt:1: 'http://' has no host (written 'hxxp://')"},
        Bad{"300[.]1.2.3", "feeds/ncsc.txt:1: '300.1.2.3' is not an IPv4 address: octet 300 is above 255 (written '300[.]1.2.3')"},
        Bad{"@evil.example", "feeds/ncsc.txt:1: '@evil.example' is not an e-mail address: empty local part"},
        Bad{"a@localhost", "feeds/ncsc.txt:1: 'a@localhost' is not an e-mail address: 'localhost' is not a domain name: a single label; a feed entry needs at least two ('example.com')"},
        Bad{"d41d8cd98f00b204e9800998ecf8427", "feeds/ncsc.txt:1: 'd41d8cd98f00b204e9800998ecf8427' is not a domain name: a single label; a feed entry needs at least two ('example.com')"}));

TEST(FeedPlain, ErrorWithoutFileName) {
  auto r = parse_plain_list("300.1.2.3", ParseOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->file, "");
  EXPECT_EQ(r.error->line, 1u);
  EXPECT_EQ(r.error->message(), "<feed>:1: '300.1.2.3' is not an IPv4 address: octet 300 is above 255");
}

}  // namespace
}  // namespace iocgate
