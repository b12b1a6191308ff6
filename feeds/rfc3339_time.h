// feeds/rfc3339_time.h — RFC 3339 timestamps (STIX valid_until) to unix seconds, without
// the C library's time zone state, so parsing is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace iocgate {

// "2024-06-24T00:00:00Z", "2024-06-24T00:00:00.123Z", "...+02:00". Fractional seconds are
// truncated. nullopt when the text is not such a timestamp.
std::optional<int64_t> parse_rfc3339(std::string_view text);

}  // namespace iocgate
