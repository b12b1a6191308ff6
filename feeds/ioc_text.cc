// feeds/ioc_text.cc — see ioc_text.h.
#include "feeds/ioc_text.h"

#include <arpa/inet.h>

#include <fmt/format.h>

namespace iocgate {

std::string ioc_text(const Ioc& ioc) {
  if (ioc.kind == IocKind::kDomain) return ioc.domain;
  char buf[INET6_ADDRSTRLEN] = {};
  const bool v4 = ioc.kind == IocKind::kIpv4;
  inet_ntop(v4 ? AF_INET : AF_INET6, ioc.addr.data(), buf, sizeof buf);
  const unsigned full = v4 ? 32 : 128;
  if (ioc.prefix_len == full && ioc.form != IocForm::kCidr) return buf;
  return fmt::format("{}/{}", buf, ioc.prefix_len);
}

const char* ioc_kind_name(const Ioc& ioc) {
  if (ioc.form == IocForm::kUrlHost) return "url-host";
  if (ioc.kind == IocKind::kIpv4) return ioc.prefix_len == 32 ? "ipv4" : "cidr4";
  if (ioc.kind == IocKind::kIpv6) return ioc.prefix_len == 128 ? "ipv6" : "cidr6";
  return "domain";
}

}  // namespace iocgate
