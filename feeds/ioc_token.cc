// feeds/ioc_token.cc — see ioc_token.h.
#include "feeds/ioc_token.h"

#include <fmt/format.h>

#include "feeds/defang.h"
#include <algorithm>

#include "feeds/domain_name.h"
#include "feeds/ioc_value.h"
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

// The host of "host:port" / "[v6]:port" / "[v6]" as an Ioc: stealer C2 lists write the port.
std::optional<Ioc> host_with_port(std::string_view t, std::string& error) {
  std::string_view host = t;
  if (t.front() == '[' && t.back() == ']') {
    host = t.substr(1, t.size() - 2);
  } else {
    uint16_t port = 0;
    if (!split_host_port(t, host, port, error)) return std::nullopt;
  }
  if (looks_like_ip(host) || host.find(':') != std::string_view::npos) return address_ioc(host, error);
  return domain_ioc(host, error);
}

}  // namespace

const char* hash_kind(std::string_view t) { return hash_name(t); }

IocToken classify_ioc_token(std::string_view raw) {
  IocToken out;
  std::string token = refang(raw);
  std::string_view t(token);
  if (t.empty()) {
    out.error = "an empty token is not an IoC";
    return out;
  }
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
  // One ':' is a port (an IPv6 address has two or more); '[' opens a bracketed IPv6 host.
  const size_t colons = static_cast<size_t>(std::count(t.begin(), t.end(), ':'));
  const size_t slash = t.find('/');
  if (slash == std::string_view::npos && (t.front() == '[' || colons == 1)) {
    out.ioc = host_with_port(t, out.error);
    return out;
  }
  // A ':' never occurs in a domain name: the author meant an IPv6 address.
  if (looks_like_ip(t) || (colons > 1 && t.front() != '[')) {
    out.ioc = prefix_ioc(t, out.error);
    return out;
  }
  if (t.find_first_of(",\"") != std::string_view::npos) {
    out.error = fmt::format("'{}' looks like a CSV row; read a delimited IoC table with --format table "
                            "(a MISP export: misp-csv)", raw);
    return out;
  }
  if (slash != std::string_view::npos) {
    // "evil.example/gate.php", "1.2.3.4:8080/x": a URL written without its scheme. An
    // address with a '/' and no port is a (perhaps damaged) CIDR, never a URL.
    std::string_view host = t.substr(0, slash);
    if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
      out.ioc = prefix_ioc(t, out.error);
      return out;
    }
    out.ioc = ioc_from_url(t, true, out.error);
    return out;
  }
  out.ioc = domain_ioc(t, out.error);
  return out;
}


}  // namespace iocgate
