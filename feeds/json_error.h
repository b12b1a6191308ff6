// feeds/json_error.h — turns nlohmann's parse errors into "line N: reason" for the JSON
// feed parsers (STIX, MISP, ThreatFox, Spamhaus), without the library's exception ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace iocgate {

// 1-based line of byte `offset` in `s`.
uint32_t line_of_offset(std::string_view s, size_t offset);

// "[json.exception.parse_error.101] parse error at ..." -> "parse error at ...".
std::string without_exception_id(std::string_view what);

}  // namespace iocgate
