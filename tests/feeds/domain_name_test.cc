// tests/feeds/domain_name_test.cc — the canonical spelling every parser must agree on.
#include "feeds/domain_name.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

TEST(DomainName, Normalizes) {
  const std::pair<const char*, const char*> cases[] = {
      {"example.com", "example.com"},
      {"EXAMPLE.Com", "example.com"},
      {"example.com.", "example.com"},
      {"a-b.c_d.example.org", "a-b.c_d.example.org"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"XN--BCHER-KVA.de", "xn--bcher-kva.de"},
      {"123.example.com", "123.example.com"},
      {"1.izumisv1.cc", "1.izumisv1.cc"},
  };
  for (const auto& [in, want] : cases) {
    std::string error;
    auto got = normalize_domain(in, error);
    ASSERT_TRUE(got) << in << ": " << error;
    EXPECT_EQ(*got, want);
  }
}

TEST(DomainName, LengthLimits) {
  std::string error;
  std::string label63(63, 'a');
  EXPECT_TRUE(normalize_domain(label63 + ".com", error)) << error;
  EXPECT_FALSE(normalize_domain(std::string(64, 'a') + ".com", error));
  EXPECT_EQ(error, "'" + std::string(64, 'a') + ".com' is not a domain name: label '" +
                       std::string(64, 'a') + "' is longer than 63 characters");
  // 4 * 63 + 3 dots = 255 > 253.
  std::string long_name = label63 + "." + label63 + "." + label63 + "." + label63;
  EXPECT_FALSE(normalize_domain(long_name, error));
  EXPECT_NE(error.find("255 characters, the limit is 253"), std::string::npos) << error;
  std::string ok_253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'b');
  EXPECT_TRUE(normalize_domain(ok_253, error)) << error;
}

TEST(DomainName, Rejects) {
  const std::pair<const char*, const char*> cases[] = {
      {"localhost", "'localhost' is not a domain name: a single label; a feed entry needs at least two ('example.com')"},
      {"bücher.de", "'bücher.de' is not a domain name: it has non-ASCII characters; convert the IDN to punycode ('xn--...')"},
      {"a..b", "'a..b' is not a domain name: empty label ('..' or a leading dot)"},
      {".example.com", "'.example.com' is not a domain name: empty label ('..' or a leading dot)"},
      {"", "'' is not a domain name: empty"},
      {".", "'.' is not a domain name: empty"},
      {"exa mple.com", "'exa mple.com' is not a domain name: character ' ' is not allowed in a host name"},
      {"-bad.com", "'-bad.com' is not a domain name: label '-bad' starts or ends with '-'"},
      {"example.123", "'example.123' is not a domain name: top-level label '123' is numeric"},
      {"1.2.3.4", "'1.2.3.4' is not a domain name: it is written like an IPv4 address; list addresses as addresses"},
      {"tab\t.com", "'tab\\x09.com' is not a domain name: character '\\x09' is not allowed in a host name"},
  };
  for (const auto& [in, want] : cases) {
    std::string error;
    EXPECT_FALSE(normalize_domain(in, error)) << in;
    EXPECT_EQ(error, want);
  }
}

}  // namespace
}  // namespace iocgate
