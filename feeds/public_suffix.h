// feeds/public_suffix.h — the public-suffix list (Debian's `publicsuffix` data through
// libpsl): tells a registrable domain from "com", "gov.vn" or a file name like "setup.exe".
#pragma once

#include <string_view>

namespace iocgate {

// True when `name` (normalized, lower case) is itself a public suffix, ICANN or private
// ("com", "gov.vn", "com.vn", "github.io"): listing it would block a whole registry.
bool is_public_suffix(std::string_view name);

// True when the last label of `name` is a top-level domain the list names explicitly (not
// only through the "*" default rule): "exe" and "dll" are not, "com" and "zip" are.
bool has_known_tld(std::string_view name);

}  // namespace iocgate
