// tests/dataplane/http_host_test.cc — table-driven tests of the HTTP/1.x Host extractor: header
// case and spacing, ports, IPv6 literals, CONNECT, absolute-form fallback, LF-only, incomplete.
#include "dataplane/http_host.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

namespace iocgate {
namespace {

struct Result {
  ExtractStatus status;
  std::string name;
};

Result run(std::string_view s) {
  // A heap copy of exactly the given size, so ASan catches any read past it.
  std::unique_ptr<uint8_t[]> buf(new uint8_t[s.size()]);
  std::copy(s.begin(), s.end(), buf.get());
  char out[kMaxNameLen + 1];
  size_t n = 99;
  const ExtractStatus st = http_request_host(buf.get(), s.size(), out, &n);
  if (st != ExtractStatus::kFound) {
    EXPECT_EQ(0u, n);
  }
  return {st, st == ExtractStatus::kFound ? std::string(out, n) : std::string()};
}

struct Case {
  std::string description;
  std::string request;
  ExtractStatus status;
  std::string name;
};

const std::vector<Case> kCases = {
    {"simple GET", "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", ExtractStatus::kFound,
     "example.com"},
    {"Host after other headers", "GET /a HTTP/1.1\r\nUser-Agent: x\r\nAccept: */*\r\nHost: a.b\r\n\r\n",
     ExtractStatus::kFound, "a.b"},
    {"header name lower-case", "GET / HTTP/1.1\r\nhost: example.com\r\n\r\n",
     ExtractStatus::kFound, "example.com"},
    {"header name upper-case, value mixed", "POST /x HTTP/1.0\r\nHOST: WwW.Example.COM\r\n\r\n",
     ExtractStatus::kFound, "www.example.com"},
    {"no space after colon", "GET / HTTP/1.1\r\nHost:example.com\r\n\r\n", ExtractStatus::kFound,
     "example.com"},
    {"tabs and trailing spaces trimmed", "GET / HTTP/1.1\r\nHost: \t example.com \t\r\n\r\n",
     ExtractStatus::kFound, "example.com"},
    {"space before colon tolerated", "GET / HTTP/1.1\r\nHost : example.com\r\n\r\n",
     ExtractStatus::kFound, "example.com"},
    {"port stripped", "GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", ExtractStatus::kFound,
     "example.com"},
    {"trailing dot dropped", "GET / HTTP/1.1\r\nHost: example.com.:80\r\n\r\n",
     ExtractStatus::kFound, "example.com"},
    {"IPv6 literal with port", "GET / HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n",
     ExtractStatus::kFound, "::1"},
    {"IPv6 literal without port", "GET / HTTP/1.1\r\nHost: [2001:DB8::1]\r\n\r\n",
     ExtractStatus::kFound, "2001:db8::1"},
    {"IPv4 host", "HEAD / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", ExtractStatus::kFound,
     "192.0.2.1"},
    {"Hostname header is not Host", "GET / HTTP/1.1\r\nHostname: evil\r\nHost: good.example\r\n\r\n",
     ExtractStatus::kFound, "good.example"},
    {"X-Host is not Host", "GET / HTTP/1.1\r\nX-Host: evil\r\n\r\n", ExtractStatus::kNoName, ""},
    {"first Host wins", "GET / HTTP/1.1\r\nHost: one.example\r\nHost: two.example\r\n\r\n",
     ExtractStatus::kFound, "one.example"},
    {"LF-only line endings", "GET / HTTP/1.1\nAccept: */*\nHost: lf.example\n\n",
     ExtractStatus::kFound, "lf.example"},
    {"LF-only, no Host, absolute form", "GET http://abs.example/x HTTP/1.1\nAccept: */*\n\n",
     ExtractStatus::kFound, "abs.example"},
    {"absolute-form fallback", "GET http://Proxy.Example:3128/path?q=1 HTTP/1.1\r\n\r\n",
     ExtractStatus::kFound, "proxy.example"},
    {"absolute-form with userinfo", "GET https://user:pw@sec.example/ HTTP/1.1\r\n\r\n",
     ExtractStatus::kFound, "sec.example"},
    {"absolute-form IPv6", "GET http://[fe80::2]:81/ HTTP/1.1\r\n\r\n", ExtractStatus::kFound,
     "fe80::2"},
    {"Host preferred over absolute form",
     "GET http://abs.example/ HTTP/1.1\r\nHost: hdr.example\r\n\r\n", ExtractStatus::kFound,
     "hdr.example"},
    {"empty Host falls back to absolute form",
     "GET http://abs.example/ HTTP/1.1\r\nHost:\r\n\r\n", ExtractStatus::kFound, "abs.example"},
    {"HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", ExtractStatus::kNoName, ""},
    {"CONNECT uses its target", "CONNECT Tunnel.Example:443 HTTP/1.1\r\nHost: other\r\n\r\n",
     ExtractStatus::kFound, "tunnel.example"},
    {"CONNECT needs only its request line", "CONNECT t.example:443 HTTP/1.1\r\n",
     ExtractStatus::kFound, "t.example"},
    {"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: o.example\r\n\r\n", ExtractStatus::kFound,
     "o.example"},
    {"DELETE", "DELETE /r HTTP/1.1\r\nHost: d.example\r\n\r\n", ExtractStatus::kFound,
     "d.example"},
    {"PUT", "PUT /r HTTP/1.1\r\nHost: p.example\r\n\r\n", ExtractStatus::kFound, "p.example"},
    {"PATCH", "PATCH /r HTTP/1.1\r\nHost: pa.example\r\n\r\n", ExtractStatus::kFound,
     "pa.example"},
    {"TRACE", "TRACE / HTTP/1.1\r\nHost: t.example\r\n\r\n", ExtractStatus::kFound, "t.example"},
    {"Host found before the header block ends", "GET / HTTP/1.1\r\nHost: early.example\r\nAcc",
     ExtractStatus::kFound, "early.example"},
    {"incomplete request line", "GET /index.ht", ExtractStatus::kNeedMore, ""},
    {"incomplete Host line", "GET / HTTP/1.1\r\nHost: exam", ExtractStatus::kNeedMore, ""},
    {"incomplete header block without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n",
     ExtractStatus::kNeedMore, ""},
    {"method prefix", "PO", ExtractStatus::kNeedMore, ""},
    {"empty stream", "", ExtractStatus::kNeedMore, ""},
    {"lower-case method is not HTTP", "get / HTTP/1.1\r\nHost: x\r\n\r\n",
     ExtractStatus::kNotMine, ""},
    {"unknown method", "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", ExtractStatus::kNotMine, ""},
    {"HTTP/0.9 request line", "GET /\r\n\r\n", ExtractStatus::kNotMine, ""},
    {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", ExtractStatus::kNotMine, ""},
    {"HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", ExtractStatus::kNotMine, ""},
    {"TLS bytes", std::string("\x16\x03\x01\x02\x00\x01", 6), ExtractStatus::kNotMine, ""},
    {"Host with a space inside refused", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
     ExtractStatus::kNotMine, ""},
    {"Host with a non-numeric port refused", "GET / HTTP/1.1\r\nHost: a.b:http\r\n\r\n",
     ExtractStatus::kNotMine, ""},
    {"unbracketed IPv6 refused", "GET / HTTP/1.1\r\nHost: ::1\r\n\r\n", ExtractStatus::kNotMine,
     ""},
    {"unclosed bracket refused", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", ExtractStatus::kNotMine,
     ""},
    {"Host of port only refused", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", ExtractStatus::kNotMine,
     ""},
};

TEST(HttpHost, Table) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.description);
    const Result r = run(c.request);
    EXPECT_EQ(c.status, r.status);
    EXPECT_EQ(c.name, r.name);
  }
}

TEST(HttpHost, EveryPrefixNeedsMoreUntilHostLine) {
  const std::string req =
      "GET /search?q=1 HTTP/1.1\r\nUser-Agent: curl/8.0\r\nHost: Prefix.Example:8443\r\n"
      "Accept: */*\r\n\r\n";
  const size_t host_line_end = req.find("8443\r\n") + 6;
  for (size_t n = 0; n <= req.size(); ++n) {
    const Result r = run(std::string_view(req).substr(0, n));
    if (n < host_line_end) {
      EXPECT_EQ(ExtractStatus::kNeedMore, r.status) << n;
    } else {
      EXPECT_EQ(ExtractStatus::kFound, r.status) << n;
      EXPECT_EQ("prefix.example", r.name);
    }
  }
}

TEST(HttpHost, HeaderBlockLimit) {
  std::string big = "GET / HTTP/1.1\r\nX-Fill: " + std::string(9000, 'a');
  EXPECT_EQ(ExtractStatus::kNotMine, run(big).status);
  EXPECT_EQ(ExtractStatus::kNeedMore, run(big.substr(0, 8000)).status);
  // A Host within the first 8 KiB is still read when the block goes on.
  std::string early = "GET / HTTP/1.1\r\nHost: in.example\r\nX-Fill: " + std::string(9000, 'a');
  EXPECT_EQ("in.example", run(early).name);
  // A long but complete block under the limit is fine.
  std::string ok = "GET / HTTP/1.1\r\nX-Fill: " + std::string(7000, 'a') + "\r\nHost: h.example\r\n\r\n";
  EXPECT_EQ("h.example", run(ok).name);
}

TEST(HttpHost, LooksLikeRequest) {
  for (std::string_view s : {"G", "GE", "GET", "GET ", "GET /", "H", "HEA", "POST /", "PUT",
                             "DELETE", "OPTIONS ", "PATCH", "CONNECT", "C", "TRACE /", "P", "PA"}) {
    EXPECT_TRUE(looks_like_http_request(reinterpret_cast<const uint8_t*>(s.data()), s.size()))
        << s;
  }
  for (std::string_view s : {"", "X", "get", "GETX", "GET/", "POSTS", "\x16\x03", "SSH-2.0"}) {
    EXPECT_FALSE(looks_like_http_request(reinterpret_cast<const uint8_t*>(s.data()), s.size()))
        << s;
  }
}

}  // namespace
}  // namespace iocgate
