// tests/feeds/url_host_test.cc — a URL reduces to its host; everything else is not on the wire.
#include "feeds/url_host.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

TEST(UrlHost, ExtractsHost) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://example.com", "example.com"},
      {"https://example.com/path?q=1#frag", "example.com"},
      {"http://user:pa@ss@example.com:8080/x", "example.com"},
      {"ftp://files.example.org:21", "files.example.org"},
      {"http://[2001:db8::1]:443/x", "2001:db8::1"},
      {"http://[2001:db8::1]", "2001:db8::1"},
      {"http://1.2.3.4:8080/a", "1.2.3.4"},
      {"HTTP://Example.COM", "Example.COM"},
      {"svn+ssh://host.example/repo", "host.example"},
      {"http://example.com?x", "example.com"},
  };
  for (const auto& [in, want] : cases) {
    std::string error;
    auto host = url_host(in, false, error);
    ASSERT_TRUE(host) << in << ": " << error;
    EXPECT_EQ(*host, want);
  }
}

TEST(UrlHost, SchemeOptional) {
  std::string error;
  EXPECT_FALSE(url_host("example.com/x", false, error));
  EXPECT_EQ(error, "'example.com/x' is not a URL: no 'scheme://'");
  auto host = url_host("example.com/x", true, error);
  ASSERT_TRUE(host);
  EXPECT_EQ(*host, "example.com");
}

TEST(UrlHost, Errors) {
  const std::pair<const char*, const char*> cases[] = {
      {"http://", "'http://' has no host"},
      {"http:///path", "'http:///path' has no host"},
      {"http://[2001:db8::1/x", "'http://[2001:db8::1/x': unterminated '[' around the IPv6 host"},
      {"http://example.com:80a/", "'http://example.com:80a/': ':80a' after the host is not a port"},
      {"http://300.1.2.3/", "URL 'http://300.1.2.3/': '300.1.2.3' is not an IPv4 address: octet 300 is above 255"},
      {"http://localhost/", "URL 'http://localhost/': 'localhost' is not a domain name: a single label; a feed entry needs at least two ('example.com')"},
  };
  for (const auto& [in, want] : cases) {
    std::string error;
    EXPECT_FALSE(ioc_from_url(in, false, error)) << in;
    EXPECT_EQ(error, want);
  }
}

TEST(UrlHost, IocKinds) {
  std::string error;
  auto d = ioc_from_url("https://WWW.Example.com./login", false, error);
  ASSERT_TRUE(d) << error;
  EXPECT_EQ(d->kind, IocKind::kDomain);
  EXPECT_EQ(d->form, IocForm::kUrlHost);
  EXPECT_EQ(d->domain, "www.example.com");
  auto v4 = ioc_from_url("http://198.51.100.7:8080/", false, error);
  ASSERT_TRUE(v4) << error;
  EXPECT_EQ(v4->kind, IocKind::kIpv4);
  EXPECT_EQ(v4->form, IocForm::kUrlHost);
  EXPECT_EQ(v4->prefix_len, 32);
  EXPECT_EQ(v4->addr[0], 198);
  auto v6 = ioc_from_url("http://[2001:db8::7]/", false, error);
  ASSERT_TRUE(v6) << error;
  EXPECT_EQ(v6->kind, IocKind::kIpv6);
  EXPECT_EQ(v6->prefix_len, 128);
  EXPECT_TRUE(has_url_scheme("hxxp://x") );
  EXPECT_FALSE(has_url_scheme("example.com"));
  EXPECT_FALSE(has_url_scheme("://x"));
}

}  // namespace
}  // namespace iocgate
