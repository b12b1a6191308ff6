// feeds/domain_name.h — normalizes and validates a domain name as written in a feed.
// The table matches names byte-for-byte, so every format must agree on one canonical spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace iocgate {

// Lower-cases ASCII, drops one trailing dot, and checks: LDH labels (underscore allowed,
// as real hostnames use it), 1..63 bytes each, 253 bytes in all, at least two labels, a
// non-numeric top-level label, and ASCII only (an IDN must arrive as punycode, 'xn--').
// On failure returns nullopt and sets `error`, quoting the text.
std::optional<std::string> normalize_domain(std::string_view text, std::string& error);

}  // namespace iocgate
