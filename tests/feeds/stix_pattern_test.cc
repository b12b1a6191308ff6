// tests/feeds/stix_pattern_test.cc — the STIX patterning subset: structure, escapes, errors.
#include "feeds/stix_pattern.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

TEST(StixPattern, SingleEquality) {
  std::string error;
  auto p = parse_stix_pattern("[ipv4-addr:value = '198.51.100.1']", error);
  ASSERT_TRUE(p) << error;
  ASSERT_EQ(p->comparisons.size(), 1u);
  EXPECT_EQ(p->comparisons[0].object_type, "ipv4-addr");
  EXPECT_EQ(p->comparisons[0].property, "value");
  EXPECT_EQ(p->comparisons[0].op, "=");
  EXPECT_TRUE(p->comparisons[0].string_value);
  EXPECT_EQ(p->comparisons[0].value, "198.51.100.1");
  EXPECT_TRUE(p->disjunction_only);
}

TEST(StixPattern, OrForms) {
  std::string error;
  for (const char* text : {"[domain-name:value = 'a.example' OR url:value = 'http://b.example/']",
                           "[domain-name:value = 'a.example'] OR [url:value = 'http://b.example/']",
                           "([domain-name:value='a.example']) OR ([url:value='http://b.example/'])",
                           "[(domain-name:value = 'a.example' OR url:value = 'http://b.example/')]"}) {
    auto p = parse_stix_pattern(text, error);
    ASSERT_TRUE(p) << text << ": " << error;
    ASSERT_EQ(p->comparisons.size(), 2u) << text;
    EXPECT_EQ(p->comparisons[1].object_type, "url");
    EXPECT_EQ(p->comparisons[1].value, "http://b.example/");
    EXPECT_TRUE(p->disjunction_only) << text;
  }
}

TEST(StixPattern, NotDisjunctions) {
  std::string error;
  for (const char* text : {"[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']",
                           "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']",
                           "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']",
                           "[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS",
                           "[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES",
                           "[ipv4-addr:value = '1.2.3.4'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'",
                           "[ipv4-addr:value NOT = '1.2.3.4']"}) {
    auto p = parse_stix_pattern(text, error);
    ASSERT_TRUE(p) << text << ": " << error;
    EXPECT_FALSE(p->disjunction_only) << text;
  }
}

TEST(StixPattern, EscapesAndPaths) {
  std::string error;
  auto p = parse_stix_pattern(R"([file:hashes.'SHA-256' = 'ab' OR file:name = 'it\'s \\ here'])", error);
  ASSERT_TRUE(p) << error;
  ASSERT_EQ(p->comparisons.size(), 2u);
  EXPECT_EQ(p->comparisons[0].property, "hashes.'SHA-256'");
  EXPECT_EQ(p->comparisons[1].value, "it's \\ here");
  p = parse_stix_pattern("[network-traffic:extensions.'http-request-ext'.request_header.Host[*] = 'x']", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->comparisons[0].property, "extensions.'http-request-ext'.request_header.Host[*]");
}

TEST(StixPattern, OtherOperatorsAndLiterals) {
  std::string error;
  auto p = parse_stix_pattern(
      "[domain-name:value MATCHES '^evil' OR ipv4-addr:value ISSUBSET '10.0.0.0/8' OR "
      "file:size > 1024 OR file:name IN ('a', 'b') OR x-custom:flag = true OR "
      "artifact:payload_bin = b'AAAA' OR file:hashes.MD5 != h'00ff']",
      error);
  ASSERT_TRUE(p) << error;
  ASSERT_EQ(p->comparisons.size(), 7u);
  EXPECT_EQ(p->comparisons[0].op, "MATCHES");
  EXPECT_EQ(p->comparisons[1].op, "ISSUBSET");
  EXPECT_EQ(p->comparisons[2].op, ">");
  EXPECT_FALSE(p->comparisons[2].string_value);
  EXPECT_EQ(p->comparisons[3].op, "IN");
  EXPECT_FALSE(p->comparisons[5].string_value);
  EXPECT_EQ(p->comparisons[6].op, "!=");
}

TEST(StixPattern, Errors) {
  const std::pair<const char*, const char*> cases[] = {
      {"[ipv4-addr:value = '1.2.3.4]", "unterminated string at column 20"},
      {"[ipv4-addr:value = '1.2.3.4'", "']' expected at column 29"},
      {"ipv4-addr:value = '1.2.3.4'", "'[' expected at column 1"},
      {"", "'[' expected, found the end at column 1"},
      {"[ipv4-addr:value '1.2.3.4']", "comparison operator expected at column 18"},
      {"[ipv4-addr:value = ]", "value expected at column 20"},
      {"[value = '1']", "object path (type:property) expected at column 2"},
      {"[a:b = 'x\\n']", "invalid escape '\\n' (only \\' and \\\\) at column 10"},
      {"[a:b = 'x'] junk", "unexpected 'junk' at column 13"},
      {"[a:b = 'x'] OR", "'[' expected, found the end at column 15"},
      {"[a:b ! 'x']", "'!' must be '!=' at column 6"},
      {"[a: = 'x']", "object path: property name expected at column 4"},
      {"[a:b[x] = 'x']", "object path: bad list index '[x]' at column 5"},
      {"[a:b = 'x'] WITHIN SECONDS", "WITHIN: number expected at column 20"},
      {"[a:b = 'x' @]", "unexpected character '@' at column 12"},
  };
  for (const auto& [in, want] : cases) {
    std::string error;
    EXPECT_FALSE(parse_stix_pattern(in, error)) << in;
    EXPECT_EQ(error, want) << in;
  }
}

TEST(StixPattern, DeepNestingIsAnErrorNotACrash) {
  std::string deep(10000, '(');
  std::string error;
  EXPECT_FALSE(parse_stix_pattern(deep, error));
  EXPECT_EQ(error.rfind("pattern nested too deeply", 0), 0u) << error;
}

}  // namespace
}  // namespace iocgate
