// control/report_i18n.h — the review report's words, dates and numbers in English (default)
// or Vietnamese (`iocctl report --lang vi`). Labels are looked up by key; a key without a
// translation is a bug the unit test catches (every key has both).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <functional>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace iocgate {

enum class Lang { kEn, kVi };

Result<Lang> parse_lang(std::string_view text);  // "en", "vi"
const char* lang_code(Lang l);                   // for <html lang>

// The label of `key` ("flows", "dir.outbound", ...); "{}" in it takes fmt arguments.
// An unknown key returns its part after the first dot ("dir.sideways" -> "sideways"): a
// word from the store that this version does not name shows as it is.
std::string tr(Lang l, std::string_view key);
// Every key of the table (for the test that each has both languages).
std::vector<std::string_view> label_keys();

// "2024-06-24 13:00:01" (en) or "24/06/2024 13:00:01" (vi), at the offset; "-" for 0.
std::string format_time(int64_t unix_ms, Lang l, int utc_offset_minutes);
// The date part alone, and a short "06-24 13:00" / "24/06 13:00" for chart ticks.
std::string format_date(int64_t unix_ms, Lang l, int utc_offset_minutes);
std::string format_tick(int64_t unix_ms, Lang l, int utc_offset_minutes, bool with_time);
// 23,496,730 (en) or 23.496.730 (vi).
std::string format_count(uint64_t n, Lang l);
// An interval: "45 s", "5 min", "2 h" (vi: "45 giây", "5 phút", "2 giờ").
std::string format_interval(int64_t seconds, Lang l);
// A timeline bin: "hour", "3 hours", "day", "week" ... in the language.
std::string format_bin(int64_t bin_ms, Lang l);

// How a renderer marks up a label's own words and the values put into it (plain text: both
// identity; HTML: escaped words, values that must not break).
struct Markup {
  std::function<std::string(std::string_view)> text;
  std::function<std::string(std::string_view)> value;
};
inline Markup plain_markup() {
  return {[](std::string_view s) { return std::string(s); }, [](std::string_view s) { return std::string(s); }};
}

// The label of `key` with its "{}" filled by `args` in order (each passed through
// m.value), the rest through m.text.
std::string fill(Lang l, std::string_view key, const std::vector<std::string>& args, const Markup& m);
// One of a host's reasons (the report's "reasons" entries) as a phrase.
std::string reason_text(const nlohmann::json& reason, Lang l, const Markup& m);

}  // namespace iocgate
