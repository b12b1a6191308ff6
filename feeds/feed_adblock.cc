// feeds/feed_adblock.cc — Adblock-syntax host lists such as urlhaus-filter: '!' comments,
// bare hosts and "||host^$options" are taken; "||host/path^" rules are validated and counted.
#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/ioc_token.h"
#include "feeds/ip_prefix.h"
#include "feeds/list_header.h"
#include "feeds/url_host.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

}  // namespace

FeedParseResult parse_adblock(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kAdblock;
  content = strip_utf8_bom(content);
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    result.feed.iocs.clear();
    return result;
  };
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = trim(content.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    if (line.empty() || line[0] == '!' || line[0] == '[') continue;
    // Element hiding and exceptions change what a browser shows or allows; a packet
    // filter has nothing to enforce for them.
    if (contains(line, "##") || contains(line, "#@#") || contains(line, "#?#")) {
      ++result.feed.skipped["cosmetic filter"];
      continue;
    }
    if (line.starts_with("@@")) {
      ++result.feed.skipped["exception rule"];
      continue;
    }
    if (line[0] == '#') continue;
    std::string_view body = line;
    bool anchored = body.starts_with("||");
    if (anchored) body.remove_prefix(2);
    else if (body.starts_with("|")) body.remove_prefix(1);
    if (size_t dollar = body.find('$'); dollar != std::string_view::npos) body = body.substr(0, dollar);
    if (size_t caret = body.find('^'); caret != std::string_view::npos) body = body.substr(0, caret);
    if (body.empty()) return fail(line_no, fmt::format("'{}' names no host", line));
    if (contains(body, "*"))
      return fail(line_no, fmt::format("'{}' is a wildcard rule: only exact hosts can be enforced", line));
    Ioc ioc;
    // "1.2.3.0/24" is a CIDR, not a path: looks_like_ip() sends it to the address parser.
    if (has_url_scheme(body) || (body.find_first_of("/?") != std::string_view::npos && !looks_like_ip(body))) {
      // A rule with a path blocks that path only; its host is usually a shared platform
      // (github.com, drive.google.com) that the list deliberately does not block. A packet
      // filter cannot see the path of an HTTPS request, so the rule is counted, not widened.
      std::string error;
      if (!ioc_from_url(body, true, error)) return fail(line_no, std::move(error));
      ++result.feed.skipped["url path rule"];
      continue;
    } else {
      IocToken t = classify_ioc_token(body);
      if (t.skip) {
        ++result.feed.skipped[t.skip];
        continue;
      }
      if (!t.ioc) return fail(line_no, std::move(t.error));
      ioc = std::move(*t.ioc);
    }
    ioc.line = line_no;
    result.feed.iocs.push_back(std::move(ioc));
  }
  read_list_header(content, result.feed);
  return result;
}

}  // namespace iocgate
