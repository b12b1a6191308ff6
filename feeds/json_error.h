// feeds/json_error.h — turns nlohmann's parse errors into "line N: reason" for the JSON
// feed parsers (STIX, MISP, ThreatFox, Spamhaus), without the library's exception ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace iocgate {

// 1-based line of byte `offset` in `s`.
uint32_t line_of_offset(std::string_view s, size_t offset);

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ...".
std::string without_exception_id(std::string_view what);

// Parses a whole JSON feed. On failure returns false and sets *line (0: the whole file) and
// *reason ("not valid JSON: parse error at line 2, column 1: ..."); never throws.
bool parse_json_document(std::string_view content, nlohmann::json* doc, uint32_t* line, std::string* reason);

}  // namespace iocgate
