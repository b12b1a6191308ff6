// dataplane/control_block.h — the one definition of the shared-memory control block that
// joins the control process and the dataplane process: the published table generation,
// each worker's quiescent-state report, heartbeats, counters, ports and event rings.
//
// Every field has exactly one writer (named in its comment); readers only load. Fields
// written while the other side reads are lock-free std::atomic (address-free on x86-64, so
// valid across processes) or per-worker plain data that readers tolerate seeing mid-update
// (monotonic 64-bit counters, aligned: never torn). See docs/ARCHITECTURE.md "Shared memory".
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "dataplane/dataplane_counters.h"
#include "dataplane/match_event.h"

namespace iocgate {

inline constexpr uint64_t kControlBlockMagic = 0x314b4c4243'4f49ULL;  // "IOCBLK1"
inline constexpr uint32_t kControlBlockVersion = 1;
inline constexpr uint32_t kMaxWorkers = 16;
inline constexpr uint32_t kMaxPorts = 4;
inline constexpr uint32_t kGenerationTally = 8;

// Packets a worker judged under one table generation: the sum over a worker's tallies and
// its older, folded-in total equals its rx count, which shows that every packet was judged
// by exactly one generation.
struct GenerationTally {
  std::atomic<uint64_t> generation;
  std::atomic<uint64_t> packets;
};

struct alignas(64) WorkerSlot {
  // Written by the worker.
  std::atomic<uint64_t> generation;     // quiescent report: table generation of its last burst
  std::atomic<uint64_t> heartbeat_tsc;  // TSC at its last loop (see ControlBlock::tsc_hz)
  std::atomic<uint64_t> loops;
  std::atomic<uint32_t> running;        // 1 between start and clean stop
  uint32_t lcore;
  GenerationTally tally[kGenerationTally];  // ring, indexed by switch count
  std::atomic<uint64_t> switches;
  std::atomic<uint64_t> tally_folded;   // packets of tallies overwritten by the ring
  alignas(64) DataplaneCounters counters;  // copied from the classifier every few loops
  EventRing events;                     // consumer: the control process
};

struct alignas(64) PortSlot {
  // Written by the dataplane main thread about once a second.
  char name[64];
  std::atomic<uint32_t> link_up;
  std::atomic<uint32_t> link_speed_mbps;
  std::atomic<uint64_t> ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors;
};

struct ControlBlock {
  uint64_t magic;                       // written last at initialisation
  uint32_t version;
  uint32_t size;                        // sizeof(ControlBlock)

  // Written by the control process: the newest complete table snapshot. The snapshot's
  // shared-memory object is table_shm_name(instance, generation).
  std::atomic<uint64_t> published_generation;
  std::atomic<uint64_t> control_pid;

  // Written by the dataplane main thread.
  std::atomic<uint64_t> active_generation;   // mapped, validated, handed to the workers
  std::atomic<uint64_t> rejected_generation; // a snapshot that failed validation
  std::atomic<uint64_t> dataplane_pid;
  std::atomic<uint64_t> dataplane_heartbeat_ns;   // CLOCK_MONOTONIC, see monotonic_ns()
  std::atomic<uint64_t> dataplane_start_unix;
  std::atomic<uint64_t> tsc_hz;
  std::atomic<uint32_t> worker_count;
  std::atomic<uint32_t> port_count;

  PortSlot ports[kMaxPorts];
  WorkerSlot workers[kMaxWorkers];
};
static_assert(std::is_standard_layout_v<ControlBlock>);
static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free);

// POSIX shared-memory names: "/iocgate-<instance>-ctl" and "/iocgate-<instance>-table-<gen>".
std::string control_block_shm_name(const std::string& instance);
std::string table_shm_name(const std::string& instance, uint64_t generation);

// Maps the control block, creating and initialising it if it does not exist yet (either
// process may start first; initialisation is serialised with flock). Returns nullptr with
// *error set. The mapping lives until the process exits.
ControlBlock* open_control_block(const std::string& instance, std::string* error);

// True when `pid` names a live process: not gone, and not a zombie left by a kill -9
// whose parent has not reaped it yet.
bool process_alive(uint64_t pid);

// Reads the TSC (the workers' clock: cheap, invariant on x86-64, but possibly a little
// skewed between cores of a VM, so compare readings with a signed difference).
inline uint64_t read_tsc() { return __builtin_ia32_rdtsc(); }

// CLOCK_MONOTONIC in nanoseconds: the clock both processes share for heartbeats.
uint64_t monotonic_ns();

// True when a heartbeat read from `beat` (TSC) is younger than `max_age_s` seconds.
inline bool tsc_fresh(uint64_t beat, uint64_t hz, double max_age_s) {
  const int64_t age = static_cast<int64_t>(read_tsc() - beat);
  return hz != 0 && age < static_cast<int64_t>(max_age_s * static_cast<double>(hz));
}

}  // namespace iocgate
