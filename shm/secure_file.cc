// shm/secure_file.cc — ownership and mode checks on the appliance's own files.

#include "shm/secure_file.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace iocgate {

std::string errno_text() { return std::strerror(errno); }

bool TrustedOwners::trusts(uid_t uid) const { return std::find(uids.begin(), uids.end(), uid) != uids.end(); }

TrustedOwners trusted_owners(const std::string& control_user, const std::string& group) {
  TrustedOwners t;
  t.uids.push_back(0);
  t.owner_uid = geteuid();
  t.owner_gid = getegid();
  if (const passwd* pw = getpwnam(control_user.c_str())) {
    t.owner_uid = pw->pw_uid;
    t.owner_gid = pw->pw_gid;
  }
  if (const ::group* g = getgrnam(group.c_str())) t.owner_gid = g->gr_gid;
  if (!t.trusts(t.owner_uid)) t.uids.push_back(t.owner_uid);
  if (!t.trusts(geteuid())) t.uids.push_back(geteuid());
  return t;
}

namespace {

std::string describe_mode(const struct stat& st) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "owner uid %u, mode %04o", static_cast<unsigned>(st.st_uid),
                static_cast<unsigned>(st.st_mode & 07777));
  return buf;
}

}  // namespace

Status check_trusted_dir(const std::string& dir, const TrustedOwners& owners) {
  if (dir.empty() || dir[0] != '/') return Status::error(dir + ": must be an absolute path");
  std::filesystem::path cur;
  for (const auto& part : std::filesystem::path(dir).lexically_normal()) {
    if (part.empty()) continue;  // a trailing slash
    cur /= part;
    const std::string at = cur.string();
    struct stat st;
    if (lstat(at.c_str(), &st) != 0) return Status::error(at + ": " + errno_text());
    if (S_ISLNK(st.st_mode))
      return Status::error(at + ": is a symbolic link; the appliance's directories must be real directories "
                                "(replace the link with a directory owned by root)");
    if (!S_ISDIR(st.st_mode)) return Status::error(at + ": is not a directory");
    if (!owners.trusts(st.st_uid))
      return Status::error(at + ": " + describe_mode(st) +
                           ": owned by a user the appliance does not trust; only root and the control user may "
                           "own it (someone else may have created it: remove it and restart)");
    const bool sticky = (st.st_mode & S_ISVTX) != 0;
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky)
      return Status::error(at + ": " + describe_mode(st) +
                           ": writable by group or others, so they could replace what the appliance enforces "
                           "(chmod go-w)");
  }
  return Status();
}

Status ensure_trusted_dir(const std::string& dir, mode_t mode, const TrustedOwners& owners) {
  std::error_code ec;
  const std::filesystem::path p(dir);
  if (!std::filesystem::exists(p, ec)) {
    if (p.has_parent_path() && p.parent_path() != p) {
      if (Status s = ensure_trusted_dir(p.parent_path().string(), mode, owners); !s.ok()) return s;
    }
    if (mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) return Status::error(dir + ": cannot create: " + errno_text());
    if (geteuid() == 0 && chown(dir.c_str(), owners.owner_uid, owners.owner_gid) != 0)
      return Status::error(dir + ": cannot give it to the control user: " + errno_text());
    if (chmod(dir.c_str(), mode) != 0) return Status::error(dir + ": cannot set its mode: " + errno_text());
  }
  return check_trusted_dir(dir, owners);
}

Result<int> open_trusted(const std::string& path, int flags, const TrustedOwners& owners) {
  const int fd = open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return Status::error(path + ": is a symbolic link; refused");
    return Status::error(path + ": " + errno_text());
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const std::string why = errno_text();
    close(fd);
    return Status::error(path + ": cannot stat: " + why);
  }
  auto refuse = [&](const std::string& why) -> Result<int> {
    close(fd);
    return Status::error(path + ": " + why);
  };
  if (!S_ISREG(st.st_mode)) return refuse("is not a regular file");
  if (!owners.trusts(st.st_uid))
    return refuse(describe_mode(st) + ": owned by a user the appliance does not trust; refused");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    return refuse(describe_mode(st) + ": writable by group or others; refused");
  // O_NONBLOCK only kept a FIFO from blocking the open; regular files ignore it.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

Result<int> create_exclusive(const std::string& path, mode_t mode, bool replace_stale) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) {
      // The umask may have taken bits away; never added any.
      if (fchmod(fd, mode) != 0) {
        const std::string why = errno_text();
        close(fd);
        return Status::error(path + ": cannot set its mode: " + why);
      }
      return fd;
    }
    if (errno != EEXIST || !replace_stale || attempt == 1) return Status::error(path + ": cannot create: " + errno_text());
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::error(path + ": cannot remove a stale copy: " + errno_text());
  }
  return Status::error(path + ": cannot create");
}

bool write_fully(int fd, const void* p, size_t n) {
  const auto* c = static_cast<const uint8_t*>(p);
  while (n > 0) {
    const ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = EIO;
      return false;
    }
    c += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

Status sync_parent_dir(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int fd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::error(dir + ": cannot open to sync: " + errno_text());
  const bool ok = fsync(fd) == 0;
  const std::string why = errno_text();
  close(fd);
  if (!ok) return Status::error(dir + ": fsync: " + why);
  return Status();
}

}  // namespace iocgate
