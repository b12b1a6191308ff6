// control/privileges.cc — preparing directories and dropping root.

#include "control/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace iocgate {

namespace fs = std::filesystem;

namespace {

// Root-owned files a control process that ran as root left behind become the user's, so the
// unprivileged process can replace them. Nothing else's ownership changes.
Status hand_over_tree(const std::string& dir, uid_t uid, gid_t gid) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return Status();
  auto give = [&](const std::string& p) -> Status {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return Status::error(p + ": " + errno_text());
    if (S_ISLNK(st.st_mode)) return Status::error(p + ": a symbolic link in the state directory; refused");
    if (st.st_uid == 0 && lchown(p.c_str(), uid, gid) != 0) return Status::error(p + ": cannot give it to the control user: " + errno_text());
    return Status();
  };
  if (Status s = give(dir); !s.ok()) return s;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (Status s = give(it->path().string()); !s.ok()) return s;
  if (ec) return Status::error(dir + ": " + ec.message());
  return Status();
}

}  // namespace

Status become_control_user(const ApplianceConfig& cfg, const TrustedOwners& owners) {
  const passwd* pw = getpwnam(cfg.control_user.c_str());
  if (pw == nullptr)
    return Status::error(cfg.path + ": [control] user '" + cfg.control_user +
                         "' does not exist: create it (the iocgate package does; by hand: useradd --system --user-group " +
                         cfg.control_user + ") or set user = \"root\" (not recommended)");
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (geteuid() != 0) {
    if (geteuid() != uid)
      return Status::error("running as uid " + std::to_string(geteuid()) + ", but " + cfg.path + " says [control] user '" +
                           cfg.control_user + "' (uid " + std::to_string(uid) + "): start it as that user or as root");
    return Status();
  }
  if (uid == 0) return Status();  // configured to stay root

  // Directories it writes: created (as root, where it may) and handed over.
  for (const std::string* dir : {&cfg.state_dir, &cfg.shm_dir}) {
    if (Status s = ensure_trusted_dir(*dir, 0750, owners); !s.ok()) return s;
    if (Status s = hand_over_tree(*dir, uid, gid); !s.ok()) return s;
  }
  // The socket's directory is created for the user when missing; an existing one is never
  // taken over (it may be shared, like /run): binding then says whether the user may write it.
  const std::string socket_dir = fs::path(cfg.socket_path).parent_path().string();
  std::error_code ec;
  if (!fs::exists(socket_dir, ec))
    if (Status s = ensure_trusted_dir(socket_dir, 0750, owners); !s.ok()) return s;

  // Supplementary groups, then gid, then uid: the order that leaves no way back.
  if (initgroups(pw->pw_name, gid) != 0) return Status::error(std::string("initgroups: ") + errno_text());
  if (setresgid(gid, gid, gid) != 0) return Status::error(std::string("setresgid: ") + errno_text());
  if (setresuid(uid, uid, uid) != 0) return Status::error(std::string("setresuid: ") + errno_text());
  if (setuid(0) == 0) return Status::error("could regain root after dropping it; refusing to run");
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  return Status();
}

}  // namespace iocgate
