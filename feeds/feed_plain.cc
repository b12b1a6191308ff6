// feeds/feed_plain.cc — plain lists: one IoC per line, as in advisories, FireHOL ipsets,
// Spamhaus DROP and abuse.ch exports. Strict: a token that is not an IoC rejects the feed.
#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/ip_prefix.h"
#include "feeds/url_host.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

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

// What one token is: an IoC, a known non-enforceable kind (`skip` set), or an error.
struct TokenOutcome {
  std::optional<Ioc> ioc;
  const char* skip = nullptr;
  std::string error;
};

TokenOutcome classify(std::string_view raw) {
  TokenOutcome out;
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

}  // namespace

FeedParseResult parse_plain_list(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kPlain;
  content = strip_utf8_bom(content);
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = trim(content.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    // ';' too: Spamhaus DROP writes its header and per-entry notes that way.
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    size_t token_end = 0;
    while (token_end < line.size() && !is_space(line[token_end])) ++token_end;
    std::string_view token = line.substr(0, token_end);
    std::string_view rest = trim(line.substr(token_end));
    // "ioc#note" without a space: a '#' cannot occur in an address or domain, only in a URL.
    if (!has_url_scheme(refang(token))) {
      if (size_t hash = token.find('#'); hash != std::string_view::npos) {
        rest = line.substr(hash);
        token = token.substr(0, hash);
      }
    }
    std::string label;
    if (!rest.empty()) {
      if (rest[0] != '#' && rest[0] != ';') {
        result.error = FeedError{opts.file_name, line_no,
            fmt::format("'{}' is followed by '{}': one IoC per line; comments start with '#' or ';'",
                        token, rest)};
        return result;
      }
      label = std::string(trim(rest.substr(1)));
    }
    TokenOutcome o = classify(token);
    if (!o.error.empty() && refang(token) != token)
      o.error += fmt::format(" (written '{}')", token);
    if (o.skip) {
      ++result.feed.skipped[o.skip];
      continue;
    }
    if (!o.ioc) {
      result.error = FeedError{opts.file_name, line_no, std::move(o.error)};
      return result;
    }
    o.ioc->line = line_no;
    o.ioc->label = std::move(label);
    result.feed.iocs.push_back(std::move(*o.ioc));
  }
  return result;
}

}  // namespace iocgate
