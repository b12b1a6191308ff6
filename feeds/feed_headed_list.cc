// feeds/feed_headed_list.cc — plain lists that announce what they are in a header:
// FireHOL .netset/.ipset, Spamhaus DROP/EDROP ("CIDR ; SBLnnn") and Feodo Tracker's plain
// list. Entries are read by the plain parser; the header gives the format name and provenance.
#include "feeds/feed_parser.h"
#include "feeds/list_header.h"

namespace iocgate {

FeedParseResult parse_headed_list(std::string_view content, FeedFormat format, const ParseOptions& opts) {
  FeedParseResult r = parse_plain_list(content, opts);
  r.feed.format = format;
  if (r.ok() && r.feed.advisory.empty()) {
    if (format == FeedFormat::kSpamhausDrop) r.feed.advisory = "Spamhaus DROP";
    if (format == FeedFormat::kFeodoPlain) r.feed.advisory = "abuse.ch Feodo Tracker";
  }
  return r;
}

}  // namespace iocgate
