// control/group_readable.cc — modes that do not depend on the umask.

#include "control/group_readable.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace iocgate {

namespace {

std::string err_text() { return std::strerror(errno); }

// The mode is set on what this process owns; another owner's (root's state directory in a
// development box) is left as it is.
Status fix_mode(int fd, const std::string& path, mode_t mode) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::error(path + ": cannot stat: " + err_text());
  if ((st.st_mode & 07777) == mode || st.st_uid != geteuid()) return Status();
  if (fchmod(fd, mode) != 0) return Status::error(path + ": cannot set mode " + std::to_string(mode) + ": " + err_text());
  return Status();
}

}  // namespace

Status make_group_readable_dir(const std::string& dir) {
  if (dir.empty()) return Status();
  // Missing parents are made 0750 too; existing ones are not touched (they may be shared).
  std::vector<std::string> missing;
  std::error_code ec;
  for (std::filesystem::path p(dir); !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p.string());
    if (p.parent_path() == p) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (mkdir(it->c_str(), kGroupReadableDirMode) != 0 && errno != EEXIST)
      return Status::error(*it + ": cannot create: " + err_text());
  for (const std::string& d : missing)
    if (d != dir) {
      const int fd = open(d.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        Status s = fix_mode(fd, d, kGroupReadableDirMode);
        close(fd);
        if (!s.ok()) return s;
      }
    }
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Status::error(dir + ": " + err_text());
  Status s = fix_mode(fd, dir, kGroupReadableDirMode);
  close(fd);
  return s;
}

Result<int> open_group_readable_append(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, kGroupReadableFileMode);
  if (fd < 0) return Status::error(path + ": " + (errno == ELOOP ? std::string("is a symbolic link; refused") : err_text()));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::error(path + ": not a regular file");
  }
  if (Status s = fix_mode(fd, path, kGroupReadableFileMode); !s.ok()) {
    close(fd);
    return s;
  }
  return fd;
}

Status replace_group_readable(const std::string& path, std::string_view bytes) {
  const std::filesystem::path p(path);
  const std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
  unlink(tmp.c_str());  // left by a crash; only this process creates names here
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, kGroupReadableFileMode);
  if (fd < 0) return Status::error(tmp + ": " + err_text());
  bool ok = fix_mode(fd, tmp, kGroupReadableFileMode).ok();
  for (size_t off = 0; ok && off < bytes.size();) {
    const ssize_t w = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) off += static_cast<size_t>(w);
  }
  ok = ok && fdatasync(fd) == 0;
  const std::string why = err_text();
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string e = ok ? err_text() : why;
    unlink(tmp.c_str());
    return Status::error(path + ": cannot write: " + e);
  }
  const std::string parent = p.parent_path().empty() ? "." : p.parent_path().string();
  const int dfd = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status();
}

}  // namespace iocgate
