// control/event_follow.cc — following a size-rotated log by inode, and the readable form.

#include "control/event_follow.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

namespace iocgate {

namespace {

using nlohmann::json;

constexpr size_t kMaxLineBytes = 64 * 1024;  // the collector's lines are well under 1 KiB

int64_t mtime_ns(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::string str(const json& j, const char* k) {
  const auto it = j.find(k);
  if (it == j.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

std::string endpoint(const json& j, const char* addr, const char* port) {
  const std::string a = str(j, addr);
  const int p = j.contains(port) && j[port].is_number_integer() ? j[port].get<int>() : 0;
  if (p == 0) return a;
  return a.find(':') != std::string::npos ? fmt::format("[{}]:{}", a, p) : fmt::format("{}:{}", a, p);
}

bool feed_matches(const json& j, const std::vector<std::string>& feeds) {
  auto in = [&](const json& v) {
    return v.is_string() && std::find(feeds.begin(), feeds.end(), v.get<std::string>()) != feeds.end();
  };
  if (j.contains("feed") && in(j["feed"])) return true;
  for (const char* k : {"listings", "also"})
    if (j.contains(k) && j[k].is_array())
      for (const json& l : j[k])
        if (l.is_object() && l.contains("feed") && in(l["feed"])) return true;
  return false;
}

// Control characters from a hostile name seen in traffic (or a damaged file) never reach the
// terminal raw.
std::string printable(std::string s) {
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

std::optional<std::string> readable(std::string_view line, const FollowOptions& o) {
  const json j = line.size() <= kMaxLineBytes ? json::parse(line.begin(), line.end(), nullptr, false) : json();
  if (!j.is_object()) {
    if (!o.feeds.empty()) return std::nullopt;
    return std::string(line);
  }
  const std::string type = str(j, "type");
  // A summary of suppressed lines concerns every feed: a filtered view must say lines are missing.
  if (!o.feeds.empty() && type != "suppressed" && !feed_matches(j, o.feeds)) return std::nullopt;
  if (o.json) return std::string(line);
  if (type == "suppressed")
    return fmt::format("{}  {} events not logged (rate limit {}/s) from {} to {}", str(j, "time"), str(j, "events"),
                       str(j, "rate_limit_per_s"), str(j, "first"), str(j, "last"));
  if (type != "match") return std::string(line);
  std::string s = fmt::format("{}  {:<6} {:<8} {} -> {} {}  {} {}", str(j, "time"), str(j, "action"),
                              str(j, "direction"), endpoint(j, "client", "client_port"),
                              endpoint(j, "server", "server_port"), str(j, "proto"), str(j, "matched"), str(j, "ioc"));
  const std::string seen = str(j, "seen");
  if (!seen.empty() && seen != str(j, "ioc")) s += " (seen " + seen + ")";
  s += "  host " + str(j, "host") + "  feed " + str(j, "feed");
  std::string extra;
  for (const char* k : {"advisory", "group"})
    if (!str(j, k).empty()) extra += (extra.empty() ? "" : ", ") + str(j, k);
  if (!extra.empty()) s += " [" + extra + "]";
  return s;
}

}  // namespace

std::optional<std::string> follow_line(std::string_view line, const FollowOptions& o) {
  std::optional<std::string> s = readable(line, o);
  if (s && !o.json) *s = printable(std::move(*s));
  return s;
}

EventFollower::EventFollower(FollowOptions o) : o_(std::move(o)) {}

EventFollower::~EventFollower() {
  if (cur_.fd >= 0) close(cur_.fd);
}

bool EventFollower::drain(int fd, std::string* partial, const std::function<void(std::string_view)>& line) {
  char buf[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n == 0;
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (buf[i] != '\n') continue;
      if (partial->empty()) {
        line(std::string_view(buf + start, i - start));
      } else {
        partial->append(buf + start, i - start);
        if (partial->size() <= kMaxLineBytes) line(*partial);
        partial->clear();
      }
      start = i + 1;
    }
    partial->append(buf + start, static_cast<size_t>(n) - start);
    if (partial->size() > kMaxLineBytes) partial->resize(kMaxLineBytes + 1);  // bounded; dropped at its newline
  }
}

Status EventFollower::follow_rotation(const std::function<void(std::string_view)>& line) {
  // The writer renames the file away only after its last write to it: what is read now is
  // the old file's end.
  drain(cur_.fd, &partial_, line);
  if (!partial_.empty()) ++torn_;
  partial_.clear();
  struct stat old_st;
  if (fstat(cur_.fd, &old_st) == 0) cur_mtime_ns_ = std::max(cur_mtime_ns_, mtime_ns(old_st));
  // The new file first, then path.1, path.2 ... down to the old one: every file between them
  // was rotated in since the last poll. Opened before read, so a rotation meanwhile only
  // shows files twice (skipped by inode), never hides one.
  Opened fresh;
  fresh.fd = open(o_.path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fresh.fd >= 0 && fstat(fresh.fd, &st) == 0) {
    fresh.dev = st.st_dev;
    fresh.ino = st.st_ino;
  }
  std::vector<Opened> between;  // newest first
  bool found_old = false;
  for (uint32_t i = 1; i <= o_.keep && !found_old; ++i) {
    const std::string p = o_.path + "." + std::to_string(i);
    const int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (fstat(fd, &st) != 0) {
      close(fd);
      continue;
    }
    const bool is_old = st.st_dev == cur_.dev && st.st_ino == cur_.ino;
    const bool dup = (st.st_dev == fresh.dev && st.st_ino == fresh.ino) ||
                     std::any_of(between.begin(), between.end(),
                                 [&](const Opened& b) { return b.dev == st.st_dev && b.ino == st.st_ino; });
    // A file last written before the old one is older (left by another keep setting).
    if (is_old || dup || mtime_ns(st) < cur_mtime_ns_) {
      found_old = found_old || is_old;
      close(fd);
      continue;
    }
    between.push_back({fd, st.st_dev, st.st_ino});
  }
  if (!found_old && o_.keep > 0 && !between.empty()) ++lost_files_;  // the old file went past keep
  close(cur_.fd);
  for (auto it = between.rbegin(); it != between.rend(); ++it) {
    std::string part;
    drain(it->fd, &part, line);
    if (!part.empty()) ++torn_;
    if (fstat(it->fd, &st) == 0) cur_mtime_ns_ = std::max(cur_mtime_ns_, mtime_ns(st));
    close(it->fd);
  }
  cur_ = fresh;
  if (cur_.fd >= 0) drain(cur_.fd, &partial_, line);
  return Status();
}

Status EventFollower::poll(const std::function<void(std::string_view)>& line) {
  if (cur_.fd < 0) {
    cur_.fd = open(o_.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (cur_.fd < 0) {
      if (errno == ENOENT) {  // not written yet: wait for it, as tail -F, and read it whole
        started_ = true;
        return Status();
      }
      return Status::error(o_.path + ": " + std::strerror(errno) +
                           (errno == EACCES ? std::string("; the event log is readable by root and the operators' "
                                                          "group (0640): is this user in it? (id -nG)")
                                            : ""));
    }
    struct stat st;
    if (fstat(cur_.fd, &st) == 0) {
      cur_.dev = st.st_dev;
      cur_.ino = st.st_ino;
      cur_mtime_ns_ = mtime_ns(st);
      // Only what is written from now on, unless asked; a file that appears later is new.
      if (!started_ && !o_.from_start) lseek(cur_.fd, 0, SEEK_END);
    }
    started_ = true;
  }
  drain(cur_.fd, &partial_, line);
  struct stat st;
  const bool rotated = stat(o_.path.c_str(), &st) != 0 || st.st_dev != cur_.dev || st.st_ino != cur_.ino;
  if (rotated) return follow_rotation(line);
  // Truncated in place (copytruncate by an outside tool): start over at its beginning.
  const off_t at = lseek(cur_.fd, 0, SEEK_CUR);
  if (at > st.st_size) {
    lseek(cur_.fd, 0, SEEK_SET);
    partial_.clear();
    drain(cur_.fd, &partial_, line);
  }
  return Status();
}

int follow_events(const FollowOptions& o, std::FILE* out, const std::atomic<bool>& stop) {
  EventFollower f(o);
  bool said_waiting = false;
  while (!stop.load()) {
    Status s = f.poll([&](std::string_view l) {
      if (std::optional<std::string> t = follow_line(l, o)) std::fprintf(out, "%s\n", t->c_str());
    });
    if (!s.ok()) {
      std::fprintf(stderr, "iocctl: %s\n", s.message().c_str());
      return 1;
    }
    if (!said_waiting && access(o.path.c_str(), F_OK) != 0) {
      std::fprintf(stderr, "iocctl: waiting for %s to be written\n", o.path.c_str());
      said_waiting = true;
    }
    std::fflush(out);
    std::this_thread::sleep_for(std::chrono::milliseconds(o.poll_ms));
  }
  return 0;
}

}  // namespace iocgate
