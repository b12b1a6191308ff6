// feeds/feed_plain.cc — plain lists: one IoC per line, as in advisories, FireHOL ipsets,
// Spamhaus DROP and abuse.ch exports. Strict: a token that is not an IoC rejects the feed.
#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/feed_parser.h"
#include "feeds/ioc_token.h"
#include "feeds/list_header.h"
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
    IocToken o = classify_ioc_token(token);
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
  read_list_header(content, result.feed);
  return result;
}

}  // namespace iocgate
