// dataplane/dataplane_process.h — `iocgate dataplane`: the long-running forwarding process.
// Brings up the inline port pair, runs one worker per lcore, and follows the table
// generations the control process publishes in shared memory.
#pragma once

#include "config/appliance_config.h"

namespace iocgate {

// Runs until SIGINT or SIGTERM; returns the process exit code.
int run_dataplane(const ApplianceConfig& cfg);

}  // namespace iocgate
