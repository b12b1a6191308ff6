// control/event_log.h — the event log: one JSON line per matched flow, appended to a file
// that rotates by size (path, path.1 … path.<keep>) and optionally copied to syslog. A burst
// is rate-limited by a token bucket: suppressed lines are counted and summarised by one
// {"type":"suppressed",...} line when lines flow again (the counts in the stats and the
// review store never depend on the log). Used by the event collector thread only.
#pragma once

#include <cstdint>
#include <string>

namespace iocgate {

struct EventLogConfig {
  std::string path;                 // empty: no file
  uint64_t max_bytes = 64ull << 20; // rotate before a line would make the file larger
  uint32_t keep = 5;                // rotated files kept
  bool syslog = false;              // also send each line to syslog (LOG_DAEMON, notice)
  uint32_t rate_limit_per_s = 1000; // lines per second, bursts up to this many; 0: no limit
};

class EventLog {
 public:
  explicit EventLog(EventLogConfig cfg);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Writes `json_line` (one JSON object, no newline) unless the rate limit holds it back.
  // `now_ms` is the wall clock in milliseconds. Returns true when written.
  bool write(const std::string& json_line, int64_t now_ms);
  // Writes the pending "suppressed" summary once the bucket has refilled; call about once a
  // second so a burst's summary does not wait for the next event.
  void tick(int64_t now_ms);

  uint64_t written() const { return written_; }
  uint64_t suppressed() const { return suppressed_total_; }
  uint64_t rotations() const { return rotations_; }
  const std::string& error() const { return error_; }  // the last write or open failure

 private:
  void refill(int64_t now_ms);
  bool take_token(int64_t now_ms);
  void flush_suppressed(int64_t now_ms);
  void emit(const std::string& line);
  void open_file();
  void rotate();

  EventLogConfig cfg_;
  int fd_ = -1;
  uint64_t size_ = 0;
  double tokens_ = 0;
  int64_t refilled_ms_ = 0;
  uint64_t pending_ = 0;           // suppressed since the last summary
  int64_t pending_first_ms_ = 0;
  int64_t pending_last_ms_ = 0;
  uint64_t written_ = 0, suppressed_total_ = 0, rotations_ = 0;
  std::string error_;
};

// "2024-06-24T12:00:00.123Z".
std::string format_utc_ms(int64_t unix_ms);

}  // namespace iocgate
