// tests/feeds/feed_stix_test.cc — STIX 2.1 bundles: indicators, skip reasons, expiry, errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;

using nlohmann::json;

constexpr int64_t kNow = 1719187200;  // 2024-06-24T00:00:00Z

json indicator(std::string_view id, std::string_view pattern) {
  return json{{"type", "indicator"}, {"spec_version", "2.1"}, {"id", id},
              {"pattern", pattern}, {"pattern_type", "stix"}, {"valid_from", "2024-01-01T00:00:00Z"}};
}

FeedParseResult parse(const std::vector<json>& objects) {
  json bundle{{"type", "bundle"}, {"id", "bundle--1"}, {"objects", objects}};
  ParseOptions opts;
  opts.file_name = "feed.json";
  opts.now_unix = kNow;
  return parse_stix21(bundle.dump(1), opts);
}

FeedParseResult parse_text(std::string_view text) {
  ParseOptions opts;
  opts.file_name = "feed.json";
  opts.now_unix = kNow;
  return parse_stix21(text, opts);
}

std::vector<std::string> rendered(const FeedParseResult& r) {
  std::vector<std::string> out;
  for (const auto& ioc : r.feed.iocs) out.push_back(render(ioc));
  return out;
}

TEST(FeedStix, NetworkPatterns) {
  auto r = parse({
      json{{"type", "identity"}, {"id", "identity--1"}, {"name", "CERT"}},
      indicator("indicator--1", "[ipv4-addr:value = '198.51.100.7']"),
      indicator("indicator--2", "[ipv4-addr:value = '203.0.113.0/24']"),
      indicator("indicator--3", "[ipv6-addr:value = '2001:DB8::7']"),
      indicator("indicator--4", "[domain-name:value = 'Evil.Example']"),
      indicator("indicator--5", "[url:value = 'https://evil.example:8443/x']"),
      indicator("indicator--6", "[domain-name:value = 'a.example'] OR [ipv4-addr:value = '198.51.100.8']"),
      indicator("indicator--7", "[domain-name:value = 'b.example' OR ipv6-addr:value = '2001:db8::/32']"),
      json{{"type", "relationship"}, {"id", "relationship--1"}},
  });
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r), (std::vector<std::string>{
                             "ipv4 198.51.100.7/32", "cidr4 203.0.113.0/24", "ipv6 2001:db8:0:0:0:0:0:7/128",
                             "domain evil.example", "url-host evil.example", "domain a.example",
                             "ipv4 198.51.100.8/32", "domain b.example", "cidr6 2001:db8:0:0:0:0:0:0/32"}));
  EXPECT_EQ(r.feed.iocs[0].line, 2u);  // index in `objects`, 1-based
  EXPECT_EQ(r.feed.iocs.back().line, 8u);
  EXPECT_TRUE(r.feed.skipped.empty());
  EXPECT_EQ(r.feed.format, FeedFormat::kStix21);
}

TEST(FeedStix, LabelsAndValidUntil) {
  json a = indicator("indicator--a", "[domain-name:value = 'a.example']");
  a["name"] = "Mustang Panda C2";
  a["labels"] = {"malicious-activity"};
  a["valid_until"] = "2024-07-01T12:00:00.500Z";
  json b = indicator("indicator--b", "[domain-name:value = 'b.example']");
  b["labels"] = {"malicious-activity"};
  auto r = parse({a, b});
  ASSERT_TRUE(r.ok()) << r.error->message();
  ASSERT_EQ(r.feed.iocs.size(), 2u);
  EXPECT_EQ(r.feed.iocs[0].label, "Mustang Panda C2");
  EXPECT_EQ(r.feed.iocs[0].valid_until, 1719835200);
  EXPECT_EQ(r.feed.iocs[1].label, "malicious-activity");
  EXPECT_EQ(r.feed.iocs[1].valid_until, 0);
}

TEST(FeedStix, SkipReasons) {
  json revoked = indicator("indicator--r", "[ipv4-addr:value = '198.51.100.1']");
  revoked["revoked"] = true;
  json expired = indicator("indicator--e", "[ipv4-addr:value = '198.51.100.2']");
  expired["valid_until"] = "2024-06-01T00:00:00Z";
  json sigma = indicator("indicator--s", "title: x");
  sigma["pattern_type"] = "sigma";
  auto r = parse({
      revoked, expired, sigma,
      indicator("indicator--f", "[file:hashes.'SHA-256' = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']"),
      indicator("indicator--f2", "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' OR file:name = 'x.exe']"),
      indicator("indicator--m", "[email-addr:value = 'a@evil.example']"),
      indicator("indicator--x", "[domain-name:value MATCHES '^evil\\\\.']"),
      indicator("indicator--y", "[ipv4-addr:value = '198.51.100.3' AND domain-name:value = 'c.example']"),
      indicator("indicator--z", "[domain-name:value = 'd.example'] WITHIN 60 SECONDS"),
      indicator("indicator--mix", "[domain-name:value = 'e.example' OR file:name = 'y.exe']"),
      indicator("indicator--ok", "[ipv4-addr:value = '198.51.100.4']"),
  });
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r), (std::vector<std::string>{"domain e.example", "ipv4 198.51.100.4/32"}));
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"revoked", 1},
                                                             {"expired", 1},
                                                             {"pattern_type=sigma", 1},
                                                             {"file", 3},
                                                             {"email-addr", 1},
                                                             {"unsupported pattern", 3}}));
}

TEST(FeedStix, WallClockWhenNowIsZero) {
  json expired = indicator("indicator--e", "[ipv4-addr:value = '198.51.100.2']");
  expired["valid_until"] = "2000-01-01T00:00:00Z";
  json future = indicator("indicator--f", "[ipv4-addr:value = '198.51.100.3']");
  future["valid_until"] = "2999-01-01T00:00:00Z";
  json bundle{{"type", "bundle"}, {"objects", {expired, future}}};
  auto r = parse_stix21(bundle.dump(), ParseOptions{});
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(r.feed.iocs.size(), 1u);
  EXPECT_EQ(r.feed.skipped.at("expired"), 1u);
}

TEST(FeedStix, EscapesInValues) {
  auto r = parse({indicator("indicator--q", R"([url:value = 'http://evil.example/it\'s\\x'])")});
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r), (std::vector<std::string>{"url-host evil.example"}));
}

TEST(FeedStix, ObjectsWithoutBundleTypeAndEmptyBundle) {
  auto r = parse_text(R"({"objects": [{"type": "indicator", "id": "indicator--1", "pattern": "[domain-name:value = 'a.example']"}]})");
  ASSERT_TRUE(r.ok()) << r.error->message();  // STIX 2.0 style: no pattern_type
  EXPECT_EQ(r.feed.iocs.size(), 1u);
  r = parse_text("\xEF\xBB\xBF{\"type\": \"bundle\", \"id\": \"bundle--1\"}");
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_TRUE(r.feed.iocs.empty());
}

struct Bad {
  std::vector<json> objects;
  const char* message;
};

class StixRejects : public testing::TestWithParam<Bad> {};

TEST_P(StixRejects, NamesTheObject) {
  auto r = parse(GetParam().objects);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error->message(), GetParam().message);
  EXPECT_TRUE(r.feed.iocs.empty());
}

json with(json j, const char* key, json value) {
  j[key] = std::move(value);
  return j;
}

INSTANTIATE_TEST_SUITE_P(
    All, StixRejects,
    testing::Values(
        Bad{{indicator("indicator--ok", "[domain-name:value = 'a.example']"),
             indicator("indicator--abcd", "[ipv4-addr:value = '1.2.3.4]")},
            "feed.json:2: indicator--abcd: pattern: unterminated string at column 20"},
        Bad{{indicator("indicator--abcd", "[ipv4-addr:value = '300.1.2.3']")},
            "feed.json:1: indicator--abcd: '300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
        Bad{{indicator("indicator--abcd", "[ipv4-addr:value = '2001:db8::1']")},
            "feed.json:1: indicator--abcd: ipv4-addr value '2001:db8::1' is an IPv6 address"},
        Bad{{indicator("indicator--abcd", "[ipv6-addr:value = '::/129']")},
            "feed.json:1: indicator--abcd: '::/129' is not a CIDR: prefix length 129 is out of range for IPv6 (0..128)"},
        Bad{{indicator("indicator--abcd", "[domain-name:value = 'bücher.example']")},
            "feed.json:1: indicator--abcd: 'bücher.example' is not a domain name: it has non-ASCII characters; convert the IDN to punycode ('xn--...')"},
        Bad{{indicator("indicator--abcd", "[url:value = 'evil.example/x']")},
            "feed.json:1: indicator--abcd: 'evil.example/x' is not a URL: no 'scheme://'"},
        Bad{{with(indicator("indicator--abcd", "[domain-name:value = 'a.example']"), "valid_until", "soon")},
            "feed.json:1: indicator--abcd: valid_until \"soon\" is not an RFC 3339 timestamp"},
        Bad{{with(indicator("indicator--abcd", "[domain-name:value = 'a.example']"), "pattern", 5)},
            "feed.json:1: indicator--abcd: no \"pattern\" string"},
        Bad{{with(indicator("indicator--abcd", "[domain-name:value = 'a.example']"), "pattern_type", 1)},
            "feed.json:1: indicator--abcd: pattern_type is not a string"},
        Bad{{json(42)}, "feed.json:1: object is not a JSON object"},
        Bad{{json{{"id", "x"}}}, "feed.json:1: object has no \"type\" string"}));

TEST(FeedStix, DocumentErrors) {
  const std::pair<const char*, const char*> cases[] = {
      {"{\n  \"type\": \"bundle\",\n  \"objects\": [\n    {\"type\": \"indicator\",}\n  ]\n}",
       "feed.json:4: not valid JSON: parse error at line 4, column 26: syntax error while parsing object key - unexpected '}'; expected string literal"},
      {"", "feed.json:1: not valid JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal"},
      {"[1, 2]", "feed.json: not a STIX 2.1 bundle: the JSON top level is not an object"},
      {R"({"type": "indicator", "id": "indicator--1"})",
       "feed.json: not a STIX 2.1 bundle: top-level \"type\" is \"indicator\", expected \"bundle\""},
      {R"({"Event": {"info": "x"}})",
       "feed.json: not a STIX 2.1 bundle: this is a MISP JSON event; read it with --format misp-json"},
      {R"({"config": {"domains": []}})",
       "feed.json: JSON of an unknown schema (top-level keys: config): not a STIX 2.1 bundle, MISP event, "
       "ThreatFox export or Spamhaus JSON list"},
      {R"({"type": "bundle", "objects": {}})", "feed.json: \"objects\" is not an array"},
  };
  for (const auto& [in, want] : cases) {
    auto r = parse_text(in);
    ASSERT_FALSE(r.ok()) << in;
    EXPECT_EQ(r.error->message(), want);
  }
}

// An advisory whose every indicator is past valid_until: accepted (it is well formed), with
// the expired signal set so that check and push can warn.
TEST(FeedStix, FullyExpiredFeedIsSignalled) {
  const char* bundle = R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--1",
    "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_until":"2024-02-01T00:00:00Z"}]})";
  ParseOptions opts;
  opts.now_unix = 1719187200;
  auto r = parse_feed(bundle, opts);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.feed.iocs.empty());
  EXPECT_TRUE(r.feed.expired);
  opts.now_unix = 1700000000;  // before valid_until: live, not expired
  EXPECT_FALSE(parse_feed(bundle, opts).feed.expired);
}

}  // namespace
}  // namespace iocgate
