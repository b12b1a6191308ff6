// control/control_process.h — `iocgate control`: the control-plane process. Keeps the
// feeds, compiles and publishes table generations, serves iocctl.
#pragma once

#include "config/appliance_config.h"

namespace iocgate {

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_control(const ApplianceConfig& cfg);

}  // namespace iocgate
