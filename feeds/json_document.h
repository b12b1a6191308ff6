// feeds/json_document.h — a JSON feed as a document: nlohmann's parse errors as "line N:
// reason" without the library's exception ids, and the typed look-ups the JSON parsers share.
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
// The largest JSON document a feed may be (see parse_json_document).
inline constexpr size_t kMaxJsonDocumentBytes = size_t{32} << 20;

bool parse_json_document(std::string_view content, nlohmann::json* doc, uint32_t* line, std::string* reason);

// The string at obj[key], or "" when absent or not a string.
std::string json_string(const nlohmann::json& obj, const char* key);

}  // namespace iocgate
