// feeds/feed_adblock.cc — Adblock-syntax host lists such as urlhaus-filter: '!' comments,
// bare hosts and "||host^$options" are taken; "||host/path^" rules are validated and counted.
#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_token.h"
#include "feeds/ip_prefix.h"
#include "feeds/list_header.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

bool contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

}  // namespace

FeedParseResult parse_adblock(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kAdblock, opts);
  r.each_line([&](const TextLine& l) {
    std::string_view line = trim_blank(l.text);
    if (line.empty() || line[0] == '!' || line[0] == '[') return true;
    // Element hiding and exceptions change what a browser shows or allows; a packet
    // filter has nothing to enforce for them.
    if (contains(line, "##") || contains(line, "#@#") || contains(line, "#?#")) {
      r.skip("cosmetic filter");
      return true;
    }
    if (line.starts_with("@@")) {
      r.skip("exception rule");
      return true;
    }
    if (line[0] == '#') return true;
    std::string_view body = line;
    if (body.starts_with("||")) body.remove_prefix(2);
    else if (body.starts_with("|")) body.remove_prefix(1);
    if (size_t dollar = body.find('$'); dollar != std::string_view::npos) body = body.substr(0, dollar);
    if (size_t caret = body.find('^'); caret != std::string_view::npos) body = body.substr(0, caret);
    if (body.empty()) return r.fail(l.number, fmt::format("'{}' names no host", line));
    if (contains(body, "*"))
      return r.fail(l.number, fmt::format("'{}' is a wildcard rule: only exact hosts can be enforced", line));
    // "1.2.3.0/24" is a CIDR, not a path: looks_like_ip() sends it to the address parser.
    if (has_url_scheme(body) || (body.find_first_of("/?") != std::string_view::npos && !looks_like_ip(body))) {
      // A rule with a path blocks that path only; its host is usually a shared platform
      // (github.com, drive.google.com) that the list deliberately does not block. A packet
      // filter cannot see the path of an HTTPS request, so the rule is counted, not widened.
      std::string error;
      if (!ioc_from_url(body, true, error)) return r.fail(l.number, std::move(error));
      r.skip("url path rule");
      return true;
    }
    IocToken t = classify_ioc_token(body);
    if (t.skip) {
      r.skip(t.skip);
      return true;
    }
    if (!t.ioc) return r.fail(l.number, std::move(t.error));
    r.keep(std::move(*t.ioc), l.number);
    return true;
  });
  if (r.ok()) read_list_header(r.content(), r.feed());
  return r.finish();
}

}  // namespace iocgate
