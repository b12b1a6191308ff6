// shm/final_accounting.h — the JSON line a forwarding process (DPDK dataplane or XDP path)
// logs at a clean stop, from its worker slots: what each worker counted and how many packets
// each table generation judged, so an operator (and the tests) can check that nothing was lost.
#pragma once

#include <cstdint>
#include <string>

#include "shm/shm_protocol.h"

namespace iocgate {

// One worker's object: {"worker":i,"counters":{...},"judged":n,"switches":n,
// "recent_generations":{"<generation>":packets,...}}. Written by hand: neither forwarding
// process links a JSON library.
std::string worker_accounting_json(const WorkerSlot& w, uint32_t index);

// `s` as a JSON string, quotes included: port and interface names come from the config and
// may hold anything.
std::string json_quoted(const std::string& s);

}  // namespace iocgate
