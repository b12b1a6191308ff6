// tests/feeds/feed_test_support.h — helpers shared by the feed parser tests: a readable
// one-line rendering of an IoC so expectations read like the feed they describe.
#pragma once

#include <string>

#include <fmt/format.h>

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

}  // namespace iocgate::testing_support
