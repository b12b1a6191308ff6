// xdp/xdp_process.h — `iocgate-xdp`: the XDP enforcement path of one instance, in the role
// the DPDK dataplane has: it follows published generations, reports through the control block
// (one worker slot, the interfaces as ports) and detaches its program when it stops.
#pragma once

#include "config/appliance_config.h"

namespace iocgate::xdp {

// Runs until SIGTERM/SIGINT. Exit codes: 0 clean stop, 2 configuration (or another
// dataplane serves the instance), 3 the program could not be loaded or attached.
int run_xdp(const ApplianceConfig& cfg);

}  // namespace iocgate::xdp
