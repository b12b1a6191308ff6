// tests/feeds/feed_test_support.h — helpers shared by the feed parser tests: a readable
// one-line rendering of an IoC so expectations read like the feed they describe.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/ioc.h"

namespace iocgate::testing_support {

inline std::string render_addr(const Ioc& ioc) {
  if (ioc.kind == IocKind::kIpv4)
    return fmt::format("{}.{}.{}.{}", ioc.addr[0], ioc.addr[1], ioc.addr[2], ioc.addr[3]);
  std::string out;
  for (size_t i = 0; i < 16; i += 2) {
    if (i) out += ':';
    out += fmt::format("{:x}", ioc.addr[i] << 8 | ioc.addr[i + 1]);
  }
  return out;
}

// "ipv4 1.2.3.4/32", "cidr6 2001:db8:0:0:0:0:0:0/32", "domain example.com", "url-host ..."
inline std::string render(const Ioc& ioc) {
  const char* form = "";
  switch (ioc.form) {
    case IocForm::kAddress: form = ioc.kind == IocKind::kIpv4 ? "ipv4" : "ipv6"; break;
    case IocForm::kCidr: form = ioc.kind == IocKind::kIpv4 ? "cidr4" : "cidr6"; break;
    case IocForm::kDomain: form = "domain"; break;
    case IocForm::kUrlHost: form = "url-host"; break;
  }
  if (ioc.kind == IocKind::kDomain) return fmt::format("{} {}", form, ioc.domain);
  return fmt::format("{} {}/{}", form, render_addr(ioc), ioc.prefix_len);
}

// The bytes of tests/fixtures/feeds/<name> (IOCGATE_FEED_FIXTURES, set by meson); empty
// when unreadable, which the parse assertions then report.
inline std::string read_fixture(const std::string& name) {
  const char* dir = std::getenv("IOCGATE_FEED_FIXTURES");
  std::ifstream in(std::filesystem::path(dir ? dir : "tests/fixtures/feeds") / name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses a fixture through parse_feed (detection, duplicates), as `feed check` does.
inline FeedParseResult parse_fixture(const std::string& name, FeedFormat format = FeedFormat::kAuto) {
  ParseOptions opts;
  opts.file_name = name;
  opts.format = format;
  opts.now_unix = 1719187200;  // 2024-06-24
  return parse_feed(read_fixture(name), opts);
}

// What rendered() returns, for expectations written as a list.
using V = std::vector<std::string>;

// render() of every IoC, in feed order.
inline std::vector<std::string> rendered(const ParsedFeed& feed) {
  std::vector<std::string> out;
  for (const Ioc& i : feed.iocs) out.push_back(render(i));
  return out;
}

}  // namespace iocgate::testing_support

// A parse the test expects to succeed in `expected_format`: stops the test with the FeedError if not.
#define ASSERT_ACCEPTED_AS(result, expected_format)                   \
  ASSERT_TRUE((result).ok()) << (result).error->message();            \
  EXPECT_EQ((result).feed.format, (expected_format))
