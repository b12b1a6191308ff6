// feeds/ioc_token.cc — see ioc_token.h.
#include "feeds/ioc_token.h"

#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/domain_name.h"
#include "feeds/ip_prefix.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// Hash lists are often mixed into advisories; they are not enforceable on the wire.
const char* hash_name(std::string_view t) {
  for (char c : t)
    if (!is_hex(c)) return nullptr;
  switch (t.size()) {
    case 32: return "md5";
    case 40: return "sha1";
    case 64: return "sha256";
    case 128: return "sha512";
    default: return nullptr;
  }
}

bool is_ipv4_with_port(std::string_view t) {
  size_t colon = t.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == t.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    bool ok = i < colon ? ((c >= '0' && c <= '9') || c == '.') : (c >= '0' && c <= '9');
    if (i != colon && !ok) return false;
  }
  return t.substr(0, colon).find('.') != std::string_view::npos;
}

}  // namespace

const char* hash_kind(std::string_view t) { return hash_name(t); }

IocToken classify_ioc_token(std::string_view raw) {
  IocToken out;
  std::string token = refang(raw);
  std::string_view t(token);
  if (has_url_scheme(t)) {
    out.ioc = ioc_from_url(t, false, out.error);
    return out;
  }
  if ((out.skip = hash_name(t))) return out;
  if (size_t at = t.rfind('@'); at != std::string_view::npos) {
    std::string why;
    if (at > 0 && normalize_domain(t.substr(at + 1), why)) {
      out.skip = "email";
    } else {
      out.error = fmt::format("'{}' is not an e-mail address: {}", raw, at > 0 ? why : "empty local part");
    }
    return out;
  }
  if (is_ipv4_with_port(t)) {
    out.error = fmt::format("'{}' is an address with a port; list the address alone", raw);
    return out;
  }
  // A ':' never occurs in a domain name: the author meant an IPv6 address.
  if (looks_like_ip(t) || t.find(':') != std::string_view::npos) {
    auto p = parse_ip_prefix(t, out.error);
    if (p) out.ioc = ioc_from_prefix(*p, p->is_cidr ? IocForm::kCidr : IocForm::kAddress);
    return out;
  }
  if (t.find_first_of(",\"") != std::string_view::npos) {
    out.error = fmt::format("'{}' looks like a CSV row; the only CSV format read is MISP's "
                            "(header 'uuid,event_id,category,type,value,...')", raw);
    return out;
  }
  if (t.find('/') != std::string_view::npos) {
    out.error = fmt::format("'{}' is not an address, CIDR or domain; a URL needs its 'scheme://'", raw);
    return out;
  }
  std::string why;
  if (auto name = normalize_domain(t, why)) {
    Ioc ioc;
    ioc.kind = IocKind::kDomain;
    ioc.form = IocForm::kDomain;
    ioc.domain = std::move(*name);
    out.ioc = std::move(ioc);
  } else {
    out.error = std::move(why);
  }
  return out;
}


}  // namespace iocgate
