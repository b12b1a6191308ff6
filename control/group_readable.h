// control/group_readable.h — the event log and the review store, which the operators' group
// reads directly (`iocctl events --follow`, `iocctl report --state-dir`): directories 0750 and
// files 0640 whatever the umask, never world-readable. Only the control process writes them.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace iocgate {

inline constexpr unsigned kGroupReadableDirMode = 0750;
inline constexpr unsigned kGroupReadableFileMode = 0640;

// Creates `dir` and its missing parents 0750; an existing `dir` this process owns is set to
// 0750 (a store made under a stricter umask becomes readable by the group, never by others).
Status make_group_readable_dir(const std::string& dir);

// Opens `path` to append (created when missing; a symbolic link is refused) with mode 0640.
// The descriptor is the caller's to close.
Result<int> open_group_readable_append(const std::string& path);

// Replaces `path` with `bytes`: a temporary file beside it, fdatasync, rename, directory
// fsync. Nothing changes when it fails.
Status replace_group_readable(const std::string& path, std::string_view bytes);

}  // namespace iocgate
