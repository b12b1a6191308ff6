// control/control_process.h — `iocgate control`: the control-plane process. Keeps the
// feeds, compiles and publishes table generations, serves iocctl.
#pragma once

#include "config/appliance_config.h"

namespace iocgate {

// Exit codes, as the systemd unit reads them: a configuration error is not retried
// (RestartPreventExitStatus=2); anything else is (a full disk, a socket still in use).
inline constexpr int kExitConfig = 2;
inline constexpr int kExitTemporary = 75;  // EX_TEMPFAIL

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_control(const ApplianceConfig& cfg);

}  // namespace iocgate
