// tests/feeds/defang_test.cc — every defanging convention the plain parser promises to undo.
#include "feeds/defang.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

TEST(Defang, Refangs) {
  const std::pair<const char*, const char*> cases[] = {
      {"example[.]com", "example.com"},
      {"example(.)com", "example.com"},
      {"example{.}com", "example.com"},
      {"example[dot]com", "example.com"},
      {"example[DOT]com", "example.com"},
      {"example(dot)com", "example.com"},
      {"1[.]2[.]3[.]4", "1.2.3.4"},
      {"2001:db8[:]:1", "2001:db8::1"},
      {"hxxp://evil[.]example/x", "http://evil.example/x"},
      {"HXXPS://evil.example", "https://evil.example"},
      {"hXXps://evil.example", "https://evil.example"},
      {"fxp://files.example", "ftp://files.example"},
      {"hxxp[://]evil.example", "http://evil.example"},
      {"http[://]evil.example", "http://evil.example"},
      {"hxxp[:]//evil.example", "http://evil.example"},
      {"user[at]example.com", "user@example.com"},
      {"user[@]example.com", "user@example.com"},
      // Untouched: no defanging, or "fxp"/"hxxp" not in scheme position.
      {"fxp.example.com", "fxp.example.com"},
      {"hxxp.example.com", "hxxp.example.com"},
      {"http://[2001:db8::1]/", "http://[2001:db8::1]/"},
      {"[", "["},
      {"", ""},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(refang(in), want) << in;
}

}  // namespace
}  // namespace iocgate
