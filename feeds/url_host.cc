// feeds/url_host.cc — see url_host.h.
#include "feeds/url_host.h"

#include <fmt/format.h>

#include "feeds/domain_name.h"
#include "feeds/ip_prefix.h"

namespace iocgate {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t scheme_end(std::string_view text) {
  if (text.empty() || !is_alpha(text[0])) return std::string_view::npos;
  size_t i = 1;
  while (i < text.size() && (is_alpha(text[i]) || is_digit(text[i]) || text[i] == '+' ||
                             text[i] == '-' || text[i] == '.'))
    ++i;
  if (text.substr(i, 3) != "://") return std::string_view::npos;
  return i + 3;
}

}  // namespace

bool has_url_scheme(std::string_view text) { return scheme_end(text) != std::string_view::npos; }

std::optional<std::string_view> url_host(std::string_view url, bool scheme_optional, std::string& error) {
  size_t start = scheme_end(url);
  if (start == std::string_view::npos) {
    if (!scheme_optional) {
      error = fmt::format("'{}' is not a URL: no 'scheme://'", url);
      return std::nullopt;
    }
    start = 0;
  }
  std::string_view authority = url.substr(start);
  authority = authority.substr(0, authority.find_first_of("/?#\\"));
  // The last '@' ends the userinfo: a password may itself contain '@'.
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string_view host;
  std::string_view rest;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = fmt::format("'{}': unterminated '[' around the IPv6 host", url);
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
  }
  if (!rest.empty()) {
    bool port_ok = rest[0] == ':' && rest.size() <= 6;
    for (char c : rest.substr(1)) port_ok = port_ok && is_digit(c);
    if (!port_ok) {
      error = fmt::format("'{}': '{}' after the host is not a port", url, rest);
      return std::nullopt;
    }
  }
  if (host.empty()) {
    error = fmt::format("'{}' has no host", url);
    return std::nullopt;
  }
  return host;
}

std::optional<Ioc> ioc_from_url(std::string_view url, bool scheme_optional, std::string& error) {
  auto host = url_host(url, scheme_optional, error);
  if (!host) return std::nullopt;
  std::string why;
  if (looks_like_ip(*host)) {
    if (host->find('/') != std::string_view::npos) {
      error = fmt::format("URL '{}': host '{}' is not an address", url, *host);
      return std::nullopt;
    }
    auto p = parse_ip_prefix(*host, why);
    if (!p) {
      error = fmt::format("URL '{}': {}", url, why);
      return std::nullopt;
    }
    return ioc_from_prefix(*p, IocForm::kUrlHost);
  }
  auto name = normalize_domain(*host, why);
  if (!name) {
    error = fmt::format("URL '{}': {}", url, why);
    return std::nullopt;
  }
  Ioc ioc;
  ioc.kind = IocKind::kDomain;
  ioc.form = IocForm::kUrlHost;
  ioc.domain = std::move(*name);
  return ioc;
}

}  // namespace iocgate
