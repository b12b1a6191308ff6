// control/event_log.cc — size-rotated JSON-lines file, syslog copy, token-bucket limit.

#include "control/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>

#include "control/group_readable.h"

namespace iocgate {

std::string format_utc_ms(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", buf, static_cast<int>(unix_ms % 1000));
}

EventLog::EventLog(EventLogConfig cfg) : cfg_(std::move(cfg)) {
  tokens_ = cfg_.rate_limit_per_s;
  if (cfg_.syslog) openlog("iocgate", LOG_PID | LOG_NDELAY, LOG_DAEMON);
  open_file();
}

EventLog::~EventLog() {
  if (fd_ >= 0) close(fd_);
  if (cfg_.syslog) closelog();
}

void EventLog::open_file() {
  if (cfg_.path.empty()) return;
  // 0750 and 0640 whatever the umask: the operators' group follows the log (iocctl events
  // --follow) without the control socket.
  const auto dir = std::filesystem::path(cfg_.path).parent_path();
  if (Status s = make_group_readable_dir(dir.string()); !s.ok()) {
    error_ = s.message();
    return;
  }
  Result<int> fd = open_group_readable_append(cfg_.path);
  if (!fd.ok()) {
    error_ = fd.message();
    return;
  }
  fd_ = *fd;
  struct stat st;
  size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

void EventLog::rotate() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  std::error_code ec;
  namespace fs = std::filesystem;
  if (cfg_.keep == 0) {
    fs::remove(cfg_.path, ec);
  } else {
    fs::remove(cfg_.path + "." + std::to_string(cfg_.keep), ec);
    for (uint32_t i = cfg_.keep; i-- > 1;) {
      const std::string from = cfg_.path + "." + std::to_string(i);
      if (fs::exists(from, ec)) fs::rename(from, cfg_.path + "." + std::to_string(i + 1), ec);
    }
    fs::rename(cfg_.path, cfg_.path + ".1", ec);
  }
  ++rotations_;
  open_file();
}

void EventLog::emit(const std::string& line) {
  if (cfg_.syslog) ::syslog(LOG_NOTICE, "%s", line.c_str());
  if (cfg_.path.empty()) return;
  const uint64_t n = line.size() + 1;
  if (size_ > 0 && size_ + n > cfg_.max_bytes) rotate();
  if (fd_ < 0) return;
  std::string buf = line;
  buf.push_back('\n');
  // O_APPEND and one write per line: a reader (tail -F) never sees half a line.
  const ssize_t w = ::write(fd_, buf.data(), buf.size());
  if (w != static_cast<ssize_t>(buf.size())) error_ = cfg_.path + ": " + (w < 0 ? std::strerror(errno) : "short write");
  else size_ += n;
}

void EventLog::refill(int64_t now_ms) {
  if (now_ms <= refilled_ms_) return;
  tokens_ = std::min<double>(cfg_.rate_limit_per_s,
                             tokens_ + static_cast<double>(now_ms - refilled_ms_) * cfg_.rate_limit_per_s / 1000.0);
  refilled_ms_ = now_ms;
}

bool EventLog::take_token(int64_t now_ms) {
  if (cfg_.rate_limit_per_s == 0) return true;
  refill(now_ms);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

void EventLog::flush_suppressed(int64_t now_ms) {
  if (pending_ == 0) return;
  emit(fmt::format(R"({{"time":"{}","type":"suppressed","events":{},"first":"{}","last":"{}","rate_limit_per_s":{}}})",
                   format_utc_ms(now_ms), pending_, format_utc_ms(pending_first_ms_), format_utc_ms(pending_last_ms_),
                   cfg_.rate_limit_per_s));
  pending_ = 0;
}

bool EventLog::write(const std::string& json_line, int64_t now_ms) {
  if (!take_token(now_ms)) {
    if (pending_ == 0) pending_first_ms_ = now_ms;
    pending_last_ms_ = now_ms;
    ++pending_;
    ++suppressed_total_;
    return false;
  }
  flush_suppressed(now_ms);
  emit(json_line);
  ++written_;
  return true;
}

void EventLog::tick(int64_t now_ms) {
  if (pending_ == 0) return;
  if (cfg_.rate_limit_per_s != 0) {
    refill(now_ms);
    if (tokens_ < 1.0) return;  // still in the burst: the summary waits for some budget
  }
  flush_suppressed(now_ms);
}

}  // namespace iocgate
