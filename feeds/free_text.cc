// feeds/free_text.cc — IoCs pulled out of an advisory's prose or a pasted appendix table
// (AsciiDoc/Markdown tables included). Lenient where prose is ambiguous, strict where the
// author marked a token as an IoC by defanging it; every ignored look-alike is noted.
#include <fmt/format.h>

#include <vector>

#include "feeds/defang.h"
#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/free_text.h"
#include "feeds/ioc_token.h"
#include "feeds/ioc_value.h"
#include "feeds/ip_prefix.h"
#include "feeds/public_suffix.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

constexpr std::string_view kSeparators = " \t\r|,;<>\"`";
constexpr std::string_view kLeadingPunct = "*_'([{";
constexpr std::string_view kTrailingPunct = ".:!?)]}*_'";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::vector<std::string_view> chunks(std::string_view line) { return split_words(line, kSeparators); }

std::string strip_punct(std::string t) {
  size_t b = 0;
  while (b < t.size() && kLeadingPunct.find(t[b]) != std::string::npos) ++b;
  t.erase(0, b);
  while (!t.empty() && kTrailingPunct.find(t.back()) != std::string::npos) t.pop_back();
  return t;
}

// AsciiDoc and Markdown inline markup around a value: "+x+" and "++x++" (AsciiDoc literal
// passthrough, how ESET quotes URLs), `x`, *x*, **x**, _x_. Removed before refanging, so
// "+hxxp://..." is seen as the defanged URL it is.
std::string_view strip_markup(std::string_view t) {
  constexpr std::string_view kMarks = "+`*_";
  while (!t.empty() && kMarks.find(t.front()) != std::string_view::npos) t.remove_prefix(1);
  while (!t.empty() && kMarks.find(t.back()) != std::string_view::npos) t.remove_suffix(1);
  return t;
}

bool all_digits(std::string_view t) {
  if (t.empty()) return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  return true;
}

bool ipv4_shaped(std::string_view t) {
  int dots = 0;
  for (char c : t) {
    if (c == '.') ++dots;
    else if (!is_digit(c) && c != '/' && c != ':') return false;
  }
  return dots >= 3 && is_digit(t.front());
}

bool ipv6_shaped(std::string_view t) {
  int colons = 0;
  for (char c : t) {
    if (c == ':') ++colons;
    else if (!is_hex(c) && c != '.' && c != '/') return false;
  }
  return colons >= 2;
}

bool domain_shaped(std::string_view t) {
  if (t.find('.') == std::string_view::npos || t.front() == '.' || t.back() == '.') return false;
  for (char c : t)
    if (!is_alpha(c) && !is_digit(c) && c != '.' && c != '-' && c != '_') return false;
  std::string_view last = t.substr(t.rfind('.') + 1);
  for (char c : last)
    if (is_alpha(c)) return true;
  return false;
}

// A heading ("= Title", "== Section", "# Title") or nullopt.
std::optional<std::string_view> heading(std::string_view line, int* level) {
  char mark = line.empty() ? 0 : line[0];
  if (mark != '=' && mark != '#') return std::nullopt;
  size_t n = 0;
  while (n < line.size() && line[n] == mark) ++n;
  if (n >= line.size() || line[n] != ' ' || n > 6) return std::nullopt;
  *level = static_cast<int>(n);
  std::string_view text = line.substr(n + 1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::optional<std::string_view> keyed(std::string_view line, std::initializer_list<std::string_view> keys) {
  for (std::string_view k : keys) {
    if (line.size() <= k.size() + 1) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i)
      same = (line[i] | 0x20) == k[i];
    if (!same || line[k.size()] != ':') continue;
    std::string_view v = line.substr(k.size() + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '*')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\r' || v.back() == '*')) v.remove_suffix(1);
    if (!v.empty()) return v;
  }
  return std::nullopt;
}

}  // namespace

class FreeTextReader::Impl {
 public:
  explicit Impl(FeedReader& r) : r_(r) {}

  // Prose that defangs anything defangs its IoCs: a live link in it is a reference.
  void scan_defanging(std::string_view content) {
    for (std::string_view chunk : chunks(content))
      if (std::string_view c = strip_markup(chunk); c.find('[') != std::string_view::npos || c.find('(') != std::string_view::npos ||
          c.find('{') != std::string_view::npos || c.starts_with("hxxp") || c.starts_with("fxp"))
        if (refang(c) != c) {
          document_defangs_ = true;
          return;
        }
  }

  // False when the feed is refused (result_.error set).
  bool line(std::string_view text, uint32_t line_no) {
    line_no_ = line_no;
    int level = 0;
    if (auto h = heading(text, &level)) {
      if (level == 1 && r_.feed().advisory.empty()) r_.feed().advisory = std::string(*h);
      section_ = std::string(*h);
      return true;
    }
    if (auto v = keyed(text, {"advisory", "advisory id"})) r_.feed().advisory = std::string(*v);
    if (auto v = keyed(text, {"group", "threat actor", "campaign"}))
      if (r_.feed().group.empty()) r_.feed().group = std::string(*v);
    for (std::string_view c : chunks(text))
      if (!token(c)) return false;
    return true;
  }

 private:
  void note(std::string_view token, std::string_view why) { r_.note(fmt::format("{}: '{}' {}", line_no_, token, why)); }
  bool refuse(std::string reason) { return r_.fail(line_no_, std::move(reason)); }
  void keep(Ioc ioc) {
    std::string label = where_.empty() ? section_ : section_.empty() ? where_ : where_ + ": " + section_;
    r_.keep(std::move(ioc), line_no_, std::move(label));
  }

  // A registrable domain, not a file name ("setup.exe") or a public suffix.
  bool registrable(const std::string& name, std::string_view raw) {
    if (!has_known_tld(name)) {
      note(raw, fmt::format("ignored: '{}' is not a top-level domain (a file name?)", name.substr(name.rfind('.') + 1)));
      return false;
    }
    if (is_public_suffix(name)) {
      note(raw, "ignored: a public suffix, not a registrable domain");
      return false;
    }
    return true;
  }

  bool token(std::string_view written) {
    std::string_view raw = strip_markup(written);
    const bool defanged = refang(raw) != raw;
    std::string t = refang(raw);
    // "[2001:db8::7]:8443": the brackets belong to the address, not to the punctuation.
    if (t.starts_with("[") && t.find(']') != std::string::npos && t.substr(1, t.find(']')).find(':') != std::string::npos)
      while (!t.empty() && kTrailingPunct.find(t.back()) != std::string::npos && t.back() != ']') t.pop_back();
    else
      t = strip_punct(std::move(t));
    // An AsciiDoc link "https://host/path[text]": the text is not part of the URL.
    if (size_t bracket = t.find('['); bracket != std::string::npos && has_url_scheme(t)) t.resize(bracket);
    if (t.empty()) return true;
    without_port_or_scheme_less(t);
    const bool reference = document_defangs_ && !defanged;
    std::string error;
    if (has_url_scheme(t)) {
      auto ioc = ioc_from_url(t, false, error);
      if (!ioc) return defanged ? refuse(fmt::format("defanged URL {}", error)) : (note(raw, "ignored: " + error), true);
      if (reference) return note(raw, "ignored: a live link in a document that defangs its IoCs (a reference)"), true;
      if (ioc->kind == IocKind::kDomain && !registrable(ioc->domain, raw)) return true;
      keep(std::move(*ioc));
      return true;
    }
    if (const char* h = hash_kind(t)) {
      r_.skip(h);
      return true;
    }
    if (size_t at = t.find('@'); at != std::string::npos && at > 0) {
      std::string why;
      if (normalize_domain(std::string_view(t).substr(at + 1), why)) r_.skip("email");
      return true;
    }
    if (ipv4_shaped(t) || ipv6_shaped(t)) {
      std::string_view ip = t;
      // "1.2.3.4:443" in prose: the address is the IoC.
      if (ipv4_shaped(t) && ip.find(':') != std::string_view::npos && ip.find(':') == ip.rfind(':'))
        ip = ip.substr(0, ip.find(':'));
      auto p = parse_ip_prefix(ip, error);
      if (!p) {
        if (defanged) return refuse(fmt::format("defanged address {} (written '{}')", error, raw));
        if (ipv4_shaped(t)) note(raw, "ignored: " + error);
        return true;
      }
      // IPv6 addresses are never auto-linked, so authors do not defang them.
      if (reference && p->kind == IocKind::kIpv4)
        return note(raw, "ignored: not defanged in a document that defangs its IoCs"), true;
      keep(ioc_from_prefix(*p, p->is_cidr ? IocForm::kCidr : IocForm::kAddress));
      return true;
    }
    if (domain_shaped(t)) {
      auto ioc = domain_ioc(t, error);
      if (!ioc) {
        if (defanged) return refuse(fmt::format("defanged {} (written '{}')", error, raw));
        return true;
      }
      if (!registrable(ioc->domain, raw)) return true;
      if (reference) return note(raw, "ignored: not defanged in a document that defangs its IoCs"), true;
      keep(std::move(*ioc));
      return true;
    }
    if (defanged) return refuse(fmt::format("'{}' is defanged but is not an address, CIDR, domain or URL", raw));
    return true;
  }

  // Rewrites the spellings that carry a host in another shape: "[2001:db8::1]:443" and
  // "host:443" -> the host; "evil.example/gate.php", "1.2.3.4:8080/x" (a URL without its
  // scheme) -> "http://" + it. A CIDR ("10.0.0.0/8") is left alone.
  static void without_port_or_scheme_less(std::string& t) {
    if (t.front() == '[') {
      size_t close = t.find(']');
      if (close != std::string::npos && close > 1 && (close + 1 == t.size() || t[close + 1] == ':') &&
          (close + 1 == t.size() || all_digits(std::string_view(t).substr(close + 2)))) {
        t = t.substr(1, close - 1);
        return;
      }
    }
    if (has_url_scheme(t)) return;
    std::string_view v(t);
    const size_t slash = v.find('/');
    std::string_view authority = v.substr(0, slash);
    std::string_view host = authority;
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':', colon + 1) != std::string_view::npos || !all_digits(authority.substr(colon + 1))) return;
      host = authority.substr(0, colon);
    }
    if (host.empty() || (!domain_shaped(host) && !(ipv4_shaped(host) && host.find_first_of("/:") == std::string_view::npos)))
      return;
    if (slash != std::string_view::npos) {
      // "10.0.0.0/8" is a prefix, not a path; an address with a '/' and no port is never a URL.
      if (colon == std::string_view::npos && ipv4_shaped(host)) return;
      t = "http://" + t;
      return;
    }
    t = std::string(host);
  }

  FeedReader& r_;
 public:
  std::string where_;  // the page or table a document line came from
 private:
  bool document_defangs_ = false;
  std::string section_;
  uint32_t line_no_ = 0;
};

FreeTextReader::FreeTextReader(FeedReader& r) : impl_(std::make_unique<Impl>(r)) {}
FreeTextReader::~FreeTextReader() = default;
void FreeTextReader::scan_defanging(std::string_view content) { impl_->scan_defanging(content); }
bool FreeTextReader::line(std::string_view text, uint32_t line_no, std::string_view where) {
  impl_->where_ = std::string(where);
  return impl_->line(text, line_no);
}

FeedParseResult parse_free_text(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kText, opts);
  FreeTextReader reader(r);
  reader.scan_defanging(r.content());
  r.each_line([&](const TextLine& l) { return reader.line(l.text, l.number); });
  return r.finish();
}

}  // namespace iocgate
