// feeds/feed_parser.h — entry points of the feed parsers: detect the format from content
// and parse it. Pure functions over bytes; no files, no DPDK. Called by the control plane.
#pragma once

#include <string_view>

#include "feeds/ioc.h"

namespace iocgate {

// Guesses the format from the first non-blank bytes: '{' with "type":"bundle" -> STIX 2.1,
// a MISP CSV header -> MISP CSV, anything else -> plain list.
FeedFormat detect_feed_format(std::string_view content);

// Parses `content` in opts.format (or the detected one when kAuto).
FeedParseResult parse_feed(std::string_view content, const ParseOptions& opts);

// The individual parsers, for tests and fuzz targets.
FeedParseResult parse_plain_list(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_misp_csv(std::string_view content, const ParseOptions& opts);
FeedParseResult parse_stix21(std::string_view content, const ParseOptions& opts);

}  // namespace iocgate
