// control/privileges.h — the control process gives up root before it reads a single feed:
// it prepares the directories it will write (state, shm, socket) for [control] user, then
// becomes that user with no capabilities. Called once at start-up by `iocgate control`.
#pragma once

#include "base/status.h"
#include "config/appliance_config.h"
#include "shm/secure_file.h"

namespace iocgate {

// Started as root with a non-root [control] user: hands the state directory (and files a
// root-run control process left there), the shm directory and the socket directory to that
// user, then switches to it (groups, gid, uid) for good. Started as any other user: checks
// that it is the configured one. The error says what to create or change.
Status become_control_user(const ApplianceConfig& cfg, const TrustedOwners& owners);

}  // namespace iocgate
