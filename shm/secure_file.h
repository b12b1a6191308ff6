// shm/secure_file.h — files only the appliance can write: directories whose every component
// is owned by root or the control user and writable by nobody else, objects created
// exclusively, and opens that check owner, type and mode before a byte is trusted.
// Used for the shared-memory directory and the state directory, by both processes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/status.h"

namespace iocgate {

// Who may own what the appliance reads: root and the user the control process runs as.
struct TrustedOwners {
  std::vector<uid_t> uids;  // always holds 0
  uid_t owner_uid = 0;      // owner for what this process creates (the control user)
  gid_t owner_gid = 0;      // group for what this process creates (the operators' group)
  bool trusts(uid_t uid) const;
};

// Root, and `control_user` when it exists (else the effective user, for development boxes
// without one). `group` (the operators' group) owns created directories when it exists.
TrustedOwners trusted_owners(const std::string& control_user, const std::string& group);

// Every component of `dir`, from "/" down, must be a directory (not a symlink) owned by a
// trusted uid, and not writable by group or others unless sticky (/tmp, /dev/shm). The
// error names the component, its owner and mode, and what to do.
Status check_trusted_dir(const std::string& dir, const TrustedOwners& owners);

// Creates `dir` (and missing parents) with `mode`, given to owners.owner_uid/owner_gid
// when this process may, then checks it as check_trusted_dir does.
Status ensure_trusted_dir(const std::string& dir, mode_t mode, const TrustedOwners& owners);

// Opens `path` (flags: O_RDONLY or O_RDWR; O_NOFOLLOW and O_CLOEXEC are added) and checks
// that it is a regular file owned by a trusted uid and writable by nobody else. The
// returned descriptor is the caller's to close.
Result<int> open_trusted(const std::string& path, int flags, const TrustedOwners& owners);

// Creates `path` exclusively (O_CREAT | O_EXCL | O_NOFOLLOW), never adopting an existing
// name. With replace_stale, a name left behind (by a crash) is unlinked first: callers
// use it only inside a directory check_trusted_dir accepted, where only we create names.
Result<int> create_exclusive(const std::string& path, mode_t mode, bool replace_stale);

// Writes all of `n` bytes; false with errno set.
bool write_fully(int fd, const void* p, size_t n);

// fsync of the directory holding `path`, so a rename in it is durable.
Status sync_parent_dir(const std::string& path);

std::string errno_text();

}  // namespace iocgate
