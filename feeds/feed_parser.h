// feeds/feed_parser.h — entry points of the feed parsers: detect the format from content
// and parse it. Pure functions over bytes; no files, no DPDK, no exceptions escape.
#pragma once

#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

// Guesses the format from the head of the content: JSON by its first key (or "type":
// "bundle"), CSV exports by their header, text lists by their comment header (FireHOL,
// Spamhaus, Feodo, Adblock '!', RPZ), AsciiDoc documents as free text; anything else is
// a plain list. Free text is otherwise only read when asked for (docs/FEEDS.md says why).
FeedFormat detect_feed_format(std::string_view content);

// Parses `content` in opts.format (or the detected one when kAuto). Refuses UTF-16 and
// binary content; counts repeated IoCs as skipped "duplicate".
FeedParseResult parse_feed(std::string_view content, const ParseOptions& opts);

// The individual parsers, for tests and fuzz targets. They do not drop duplicates.
FeedParseResult parse_plain_list(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_misp_csv(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_stix21(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_misp_json(std::string_view content, const ParseOptions& opts);
// A plain list with a recognised header (FireHOL, Spamhaus DROP, Feodo plain): the plain
// parser, plus the list's name and maintainer as provenance.
FeedParseResult parse_headed_list(std::string_view content, FeedFormat format, const ParseOptions& opts);
FeedParseResult parse_spamhaus_json(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_feodo_csv(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_threatfox_csv(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_threatfox_json(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_urlhaus_csv(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_adblock(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_rpz(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_free_text(std::string_view content, const ParseOptions& opts);
// A delimited IoC table: header by column names (English, Vietnamese) or by content.
FeedParseResult parse_ioc_table(std::string_view content, const ParseOptions& opts);
// True when the first row of `content` is a delimited header naming a value column.
bool looks_like_ioc_table(std::string_view content);
// Documents (feeds/document_*.cc): bounded in size, pages and entries; see docs/FEEDS.md.
FeedParseResult parse_pdf(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_xlsx(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_docx(std::string_view content, const ParseOptions& opts);

}  // namespace iocgate
