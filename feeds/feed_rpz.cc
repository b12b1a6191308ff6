// feeds/feed_rpz.cc — DNS response-policy zones (RPZ): every QNAME trigger ("name CNAME .",
// "*.name CNAME .", local data) lists a domain; passthru rules and IP/NS triggers are counted.
#include <fmt/format.h>

#include <vector>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_value.h"
#include "feeds/list_header.h"

namespace iocgate {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::vector<std::string_view> words(std::string_view s) { return split_words(s, " \t\r"); }

bool is_number(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

FeedParseResult parse_rpz(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kRpz, opts);
  std::string origin;
  int paren_depth = 0;  // a multi-line SOA "( ... )"
  r.each_line([&](const TextLine& l) {
    std::string_view line = l.text;
    if (size_t semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
    bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    auto w = words(line);
    for (std::string_view x : w) {
      for (char c : x) paren_depth += c == '(' ? 1 : c == ')' ? -1 : 0;
    }
    if (w.empty()) return true;
    if (w[0].starts_with("$")) {
      if (lower(w[0]) == "$origin" && w.size() > 1) {
        origin = lower(w[1]);
        if (!origin.empty() && origin.back() == '.') origin.pop_back();
      }
      return true;
    }
    // Records of the zone itself: "@ SOA", " NS ...", and the lines of a "( ... )".
    if (continuation || w[0] == "@" || (paren_depth > 0 && w.size() < 3)) return true;
    std::string owner = lower(w[0]);
    size_t i = 1;
    if (i < w.size() && is_number(w[i])) ++i;
    if (i < w.size() && (lower(w[i]) == "in")) ++i;
    if (i >= w.size()) return r.fail(l.number, fmt::format("'{}' has no record type", owner));
    std::string type = lower(w[i]);
    std::string rdata = i + 1 < w.size() ? lower(w[i + 1]) : std::string();
    if (type == "soa" || type == "ns") return true;
    if (!owner.empty() && owner.back() == '.') {
      owner.pop_back();
      if (!origin.empty() && owner.ends_with("." + origin)) owner.resize(owner.size() - origin.size() - 1);
    }
    for (const char* trigger : {".rpz-ip", ".rpz-nsdname", ".rpz-nsip", ".rpz-client-ip"}) {
      if (owner.ends_with(trigger)) {
        r.skip(std::string("rpz trigger ") + (trigger + 1));
        return true;
      }
    }
    if (owner.empty()) return true;
    if (type == "cname" && (rdata == "rpz-passthru." || rdata == "rpz-tcp-only.")) {
      r.skip(rdata.substr(0, rdata.size() - 1));
      return true;
    }
    // "*.name" covers the subdomains of name; the table's domain match already does.
    if (owner.starts_with("*.")) owner.erase(0, 2);
    std::string error;
    auto ioc = domain_ioc(owner, error);
    if (!ioc) return r.fail(l.number, std::move(error));
    r.keep(std::move(*ioc), l.number);
    return true;
  });
  if (r.ok()) read_list_header(r.content(), r.feed());
  return r.finish();
}

}  // namespace iocgate
