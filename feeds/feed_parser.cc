// feeds/feed_parser.cc — format detection and dispatch; the parsers live in feed_<format>.cc.
#include "feeds/feed_parser.h"

#include <fmt/format.h>

#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

size_t skip_blank(std::string_view s, size_t i) {
  while (i < s.size() && is_blank(s[i])) ++i;
  return i;
}

// A cheap scan for "type" : "bundle" anywhere, without parsing the JSON: detection must
// not throw or cost a full parse, and the STIX parser reports real syntax errors.
bool mentions_bundle_type(std::string_view s) {
  for (size_t at = s.find("\"type\""); at != std::string_view::npos; at = s.find("\"type\"", at + 1)) {
    size_t i = skip_blank(s, at + 6);
    if (i >= s.size() || s[i] != ':') continue;
    i = skip_blank(s, i + 1);
    if (s.substr(i, 8) == "\"bundle\"") return true;
  }
  return false;
}

}  // namespace

const char* feed_format_name(FeedFormat f) {
  switch (f) {
    case FeedFormat::kAuto: return "auto";
    case FeedFormat::kPlain: return "plain";
    case FeedFormat::kMispCsv: return "misp-csv";
    case FeedFormat::kStix21: return "stix2.1";
  }
  return "unknown";
}

std::string FeedError::message() const {
  std::string_view name = file.empty() ? std::string_view("<feed>") : std::string_view(file);
  if (line == 0) return fmt::format("{}: {}", name, reason);
  return fmt::format("{}:{}: {}", name, line, reason);
}

FeedFormat detect_feed_format(std::string_view content) {
  content = strip_utf8_bom(content);
  size_t first = skip_blank(content, 0);
  if (first < content.size() && content[first] == '{') {
    if (mentions_bundle_type(content) || content.find("\"objects\"") != std::string_view::npos)
      return FeedFormat::kStix21;
    return FeedFormat::kPlain;
  }
  if (content.starts_with("uuid,event_id,category,type,value")) return FeedFormat::kMispCsv;
  return FeedFormat::kPlain;
}

FeedParseResult parse_feed(std::string_view content, const ParseOptions& opts) {
  FeedFormat format = opts.format;
  if (format == FeedFormat::kAuto) {
    format = detect_feed_format(content);
    // JSON that is not a bundle goes to the STIX parser anyway: it explains what the
    // document is instead of the plain parser complaining about a '{' line.
    std::string_view body = strip_utf8_bom(content);
    size_t first = skip_blank(body, 0);
    if (format == FeedFormat::kPlain && first < body.size() && body[first] == '{')
      format = FeedFormat::kStix21;
  }
  switch (format) {
    case FeedFormat::kMispCsv: return parse_misp_csv(content, opts);
    case FeedFormat::kStix21: return parse_stix21(content, opts);
    case FeedFormat::kPlain:
    case FeedFormat::kAuto: break;
  }
  return parse_plain_list(content, opts);
}

}  // namespace iocgate
