// control/event_follow.h — `iocctl events --follow`: reads the event log ([events] path)
// directly, as tail -F does, across the rotations event_log.cc makes (path -> path.1 ...
// path.<keep>): the rest of the old file, then any file rotated in between, then the new
// one, so no line is lost or doubled at a rotation. Prints each matching line as it is
// (--json) or as one readable line. Needs no control socket: the log is 0640, group iocgate.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace iocgate {

struct FollowOptions {
  std::string path;                // the event log
  std::vector<std::string> feeds;  // only lines of these feeds (any listing); empty: all
  bool json = false;               // the lines as they are
  bool from_start = false;         // the current file from its start (default: new lines only)
  uint32_t keep = 5;               // rotated files to look through after several rotations ([events] keep)
  int poll_ms = 250;
};

// One event log line as --follow prints it (no newline), or nullopt when the feed filter
// leaves it out. A line that is not JSON prints as it is (and never matches a feed).
std::optional<std::string> follow_line(std::string_view line, const FollowOptions& o);

class EventFollower {
 public:
  explicit EventFollower(FollowOptions o);
  ~EventFollower();
  EventFollower(const EventFollower&) = delete;
  EventFollower& operator=(const EventFollower&) = delete;

  // Reads what was written since the last poll and calls `line` for each complete line (no
  // newline). A missing log is waited for; an unreadable one is an error that says why.
  Status poll(const std::function<void(std::string_view)>& line);

  // Rotated files removed (past keep) before their lines could be read; torn lines (a
  // rotated file ending without a newline).
  uint64_t lost_files() const { return lost_files_; }
  uint64_t torn_lines() const { return torn_; }

 private:
  struct Opened {
    int fd = -1;
    dev_t dev = 0;
    ino_t ino = 0;
  };
  bool drain(int fd, std::string* partial, const std::function<void(std::string_view)>& line);
  Status follow_rotation(const std::function<void(std::string_view)>& line);

  FollowOptions o_;
  Opened cur_;
  std::string partial_;
  int64_t cur_mtime_ns_ = 0;
  bool started_ = false;
  uint64_t lost_files_ = 0, torn_ = 0;
};

// Polls until `stop`, printing each line (follow_line) to `out`. Returns 0, or 1 with the
// reason on stderr when the log cannot be read.
int follow_events(const FollowOptions& o, std::FILE* out, const std::atomic<bool>& stop);

}  // namespace iocgate
