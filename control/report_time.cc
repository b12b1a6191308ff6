// control/report_time.cc — durations, dates and offsets; full timestamps go through the one
// RFC 3339 parser (feeds/rfc3339_time.h).

#include "control/report_time.h"

#include <fmt/format.h>

#include "feeds/rfc3339_time.h"

namespace iocgate {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

int64_t parse_duration_seconds(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  if (i == 0 || i > 12) return -1;  // 12 digits: far past any period the store holds
  const int64_t n = std::stoll(text.substr(0, i));
  const std::string unit = text.substr(i);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return -1;
}

Result<int> parse_utc_offset(std::string_view t) {
  if (t.empty() || t == "Z" || t == "z" || t == "UTC") return 0;
  const auto bad = [&] {
    return Status::error("'" + std::string(t) + "': give the UTC offset as +HH:MM or -HH:MM, e.g. +07:00");
  };
  if (t.size() != 6 || (t[0] != '+' && t[0] != '-') || t[3] != ':' || !all_digits(t.substr(1, 2)) ||
      !all_digits(t.substr(4, 2)))
    return bad();
  const int h = (t[1] - '0') * 10 + (t[2] - '0'), m = (t[4] - '0') * 10 + (t[5] - '0');
  if (h > 14 || m > 59 || (h == 14 && m != 0)) return bad();
  return (t[0] == '-' ? -1 : 1) * (h * 60 + m);
}

std::string format_utc_offset(int minutes) {
  const int a = minutes < 0 ? -minutes : minutes;
  return fmt::format("{}{:02d}:{:02d}", minutes < 0 ? '-' : '+', a / 60, a % 60);
}

Result<int64_t> parse_report_time(std::string_view text, int64_t now_ms, int offset, bool end_of_day) {
  const std::string t(text);
  const auto bad = [&] {
    return Status::error("'" + t + "': give a duration back from now (90m, 24h, 7d, 4w), a date (2024-06-24), " +
                         "a date and time (2024-06-24 13:00) or an RFC 3339 time (2024-06-24T13:00:00+07:00)");
  };
  if (!t.empty() && t[0] >= '0' && t[0] <= '9' && (t.size() < 5 || t[4] != '-')) {
    const int64_t s = parse_duration_seconds(t);
    if (s < 0) return bad();
    return now_ms - s * 1000;
  }
  const std::string off = format_utc_offset(offset);
  std::optional<int64_t> unix;
  if (t.size() == 10) {
    unix = parse_rfc3339(t + "T00:00:00" + off);
    if (unix && end_of_day) *unix += 86400;
  } else if (t.size() == 16 && (t[10] == ' ' || t[10] == 'T')) {
    unix = parse_rfc3339(t + ":00" + off);
  } else if (t.size() == 19 && (t[10] == ' ' || t[10] == 'T')) {
    unix = parse_rfc3339(t + off);
  } else {
    unix = parse_rfc3339(t);
  }
  if (!unix) return bad();
  return *unix * 1000;
}

}  // namespace iocgate
