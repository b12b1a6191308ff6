// feeds/feed_rpz.cc — DNS response-policy zones (RPZ): every QNAME trigger ("name CNAME .",
// "*.name CNAME .", local data) lists a domain; passthru rules and IP/NS triggers are counted.
#include <fmt/format.h>

#include <vector>

#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/list_header.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

FeedParseResult parse_rpz(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kRpz;
  content = strip_utf8_bom(content);
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    result.feed.iocs.clear();
    return result;
  };
  std::string origin;
  int paren_depth = 0;  // a multi-line SOA "( ... )"
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (size_t semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    auto w = words(line);
    for (std::string_view x : w) {
      for (char c : x) paren_depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    }
    if (w.empty()) continue;
    if (w[0].starts_with("$")) {
      if (lower(w[0]) == "$origin" && w.size() > 1) {
        origin = lower(w[1]);
        if (!origin.empty() && origin.back() == '.') origin.pop_back();
      }
      continue;
    }
    // Records of the zone itself: "@ SOA", " NS ...", and the lines of a "( ... )".
    if (continuation || w[0] == "@" || (paren_depth > 0 && w.size() < 3)) continue;
    std::string owner = lower(w[0]);
    size_t i = 1;
    if (i < w.size() && is_number(w[i])) ++i;
    if (i < w.size() && (lower(w[i]) == "in")) ++i;
    if (i >= w.size()) return fail(line_no, fmt::format("'{}' has no record type", owner));
    std::string type = lower(w[i]);
    std::string rdata = i + 1 < w.size() ? lower(w[i + 1]) : std::string();
    if (type == "soa" || type == "ns") continue;
    if (!owner.empty() && owner.back() == '.') {
      owner.pop_back();
      if (!origin.empty() && owner.ends_with("." + origin)) owner.resize(owner.size() - origin.size() - 1);
    }
    for (const char* trigger : {".rpz-ip", ".rpz-nsdname", ".rpz-nsip", ".rpz-client-ip"}) {
      if (owner.ends_with(trigger)) {
        ++result.feed.skipped[std::string("rpz trigger ") + (trigger + 1)];
        owner.clear();
        break;
      }
    }
    if (owner.empty()) continue;
    if (type == "cname" && (rdata == "rpz-passthru." || rdata == "rpz-tcp-only.")) {
      ++result.feed.skipped[rdata.substr(0, rdata.size() - 1)];
      continue;
    }
    // "*.name" covers the subdomains of name; the table's domain match already does.
    if (owner.starts_with("*.")) owner.erase(0, 2);
    std::string error;
    auto name = normalize_domain(owner, error);
    if (!name) return fail(line_no, std::move(error));
    Ioc ioc;
    ioc.kind = IocKind::kDomain;
    ioc.form = IocForm::kDomain;
    ioc.domain = std::move(*name);
    ioc.line = line_no;
    result.feed.iocs.push_back(std::move(ioc));
  }
  read_list_header(content, result.feed);
  return result;
}

}  // namespace iocgate
