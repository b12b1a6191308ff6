// feeds/feed_plain.cc — plain lists: one IoC per line, as in advisories, FireHOL ipsets,
// Spamhaus DROP and abuse.ch exports. Strict: a token that is not an IoC rejects the feed.
#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_token.h"
#include "feeds/list_header.h"
#include "feeds/url_host.h"

namespace iocgate {

FeedParseResult parse_plain_list(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kPlain, opts);
  r.each_line([&](const TextLine& l) {
    std::string_view line = trim_blank(l.text);
    // ';' too: Spamhaus DROP writes its header and per-entry notes that way.
    if (line.empty() || line[0] == '#' || line[0] == ';') return true;
    size_t token_end = 0;
    while (token_end < line.size() && !is_blank(line[token_end])) ++token_end;
    std::string_view token = line.substr(0, token_end);
    std::string_view rest = trim_blank(line.substr(token_end));
    // "ioc#note" without a space: a '#' cannot occur in an address or domain, only in a URL.
    if (!has_url_scheme(refang(token))) {
      if (size_t hash = token.find('#'); hash != std::string_view::npos) {
        rest = line.substr(hash);
        token = token.substr(0, hash);
      }
    }
    std::string label;
    if (!rest.empty()) {
      if (rest[0] != '#' && rest[0] != ';')
        return r.fail(l.number, fmt::format("'{}' is followed by '{}': one IoC per line; comments start with '#' or ';'",
                                            token, rest));
      label = std::string(trim_blank(rest.substr(1)));
    }
    IocToken o = classify_ioc_token(token);
    if (!o.error.empty() && refang(token) != token) o.error += fmt::format(" (written '{}')", token);
    if (o.skip) {
      r.skip(o.skip);
      return true;
    }
    if (!o.ioc) return r.fail(l.number, std::move(o.error));
    r.keep(std::move(*o.ioc), l.number, std::move(label));
    return true;
  });
  if (r.ok()) read_list_header(r.content(), r.feed());
  return r.finish();
}

}  // namespace iocgate
