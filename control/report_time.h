// control/report_time.h — the times an operator gives `iocctl report` (--since, --until): a
// duration back from now, a date, or an RFC 3339 time; and the fixed UTC offset the report is
// read in (--utc-offset). Pure functions, no time zone database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace iocgate {

// "24h", "7d", "90m", "3600s", "2w" or a plain number of seconds -> seconds; -1 when malformed.
int64_t parse_duration_seconds(const std::string& text);

// "+07:00", "-05:30", "Z", "" (UTC) -> minutes east of UTC, within ±14 h.
Result<int> parse_utc_offset(std::string_view text);
std::string format_utc_offset(int minutes);  // "+07:00"

// A point in time, Unix ms. `text` is a duration (back from now_ms), "YYYY-MM-DD" (midnight
// at the offset; with end_of_day, the midnight after, so "--until 2024-06-30" covers that
// day), "YYYY-MM-DD HH:MM[:SS]" or "YYYY-MM-DDTHH:MM[:SS]" at the offset, or RFC 3339 with
// its own offset. The error says which forms are taken.
Result<int64_t> parse_report_time(std::string_view text, int64_t now_ms, int utc_offset_minutes, bool end_of_day);

}  // namespace iocgate
