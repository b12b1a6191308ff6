// shm/control_block.h — finding, creating and mapping the shared-memory control block
// (shm_protocol.h) and naming the table snapshots beside it, in the configured shm_dir.
// Called once at start-up by each process; nothing here runs per packet.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "config/appliance_config.h"
#include "shm/secure_file.h"
#include "shm/shm_protocol.h"

namespace iocgate {

// "<shm_dir>/<instance>-ctl" and "<shm_dir>/<instance>-table-<generation>".
std::string control_block_path(const ApplianceConfig& cfg);
std::string table_object_path(const ApplianceConfig& cfg, uint64_t generation);
// The file name prefix of the table objects, for listing them.
std::string table_object_prefix(const ApplianceConfig& cfg);

// Maps the control block, creating it exclusively when it does not exist yet (either
// process may start first). The shm directory must pass check_trusted_dir and an existing
// block must be a trusted-owned regular file of this protocol version: a block someone
// else made is refused, never adopted. The mapping lives until the process exits.
Result<ControlBlock*> open_control_block(const ApplianceConfig& cfg, const TrustedOwners& owners);

// The pid of a live dataplane process (DPDK or XDP) other than this one that serves the
// block's instance, else 0: two never serve one instance together.
uint64_t other_dataplane(const ControlBlock& cb);

// A worker owns its slot: it clears what a previous run left there (generation, tallies,
// counters) before it starts.
void reset_worker_slot(WorkerSlot& slot);

// True when `pid` names a live process: not gone, and not a zombie left by a kill -9
// whose parent has not reaped it yet.
bool process_alive(uint64_t pid);

// CLOCK_MONOTONIC in nanoseconds: the clock both processes share for heartbeats.
uint64_t monotonic_ns();

}  // namespace iocgate
