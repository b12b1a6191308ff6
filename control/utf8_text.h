// control/utf8_text.h — checks that text from a socket or the command line is UTF-8, and cuts
// or repairs text for messages, so a reply never carries invalid UTF-8 or a megabyte of echo.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace iocgate {

// The offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong
// forms, surrogates and code points over U+10FFFF are ill-formed), or nullopt when all is.
std::optional<size_t> utf8_error_offset(std::string_view text);

// "not valid UTF-8 (byte 0xE9 at offset 3)"; empty when the text is UTF-8.
std::string utf8_problem(std::string_view text);

// The text as a person may read it in a message: ill-formed bytes become U+FFFD, control
// characters (newlines included) become spaces, and past max_bytes it is cut on a character
// boundary with "... (N bytes)" after it.
std::string excerpt(std::string_view text, size_t max_bytes = 120);

// The text cut to at most max_bytes on a character boundary, with "... (N bytes in all)"
// after it when it was cut; newlines stay (multi-line error messages).
std::string truncate_text(std::string_view text, size_t max_bytes);

// The text with each ill-formed byte replaced by U+FFFD and nothing else changed.
std::string to_valid_utf8(std::string_view text);

}  // namespace iocgate
