// tests/feeds/public_suffix_test.cc — the public-suffix list as Debian ships it.
#include <gtest/gtest.h>

#include "feeds/public_suffix.h"

namespace iocgate {
namespace {

TEST(PublicSuffix, Suffixes) {
  for (const char* s : {"com", "vn", "gov.vn", "com.vn", "co.uk", "github.io"}) EXPECT_TRUE(is_public_suffix(s)) << s;
  for (const char* s : {"example.com", "mof.gov.vn", "exe", "setup.exe", ""}) EXPECT_FALSE(is_public_suffix(s)) << s;
}

TEST(PublicSuffix, KnownTld) {
  for (const char* s : {"evil.com", "a.zip", "x.xn--p1ai", "b.top"}) EXPECT_TRUE(has_known_tld(s)) << s;
  for (const char* s : {"setup.exe", "version.dll", "readme.txt", "a.local"}) EXPECT_FALSE(has_known_tld(s)) << s;
}

}  // namespace
}  // namespace iocgate
