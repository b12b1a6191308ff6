// dataplane/symmetric_hash.h — which worker judges a frame when one lcore receives for all of
// them: a hash of the frame's address pair that is the same in both directions.
// Pure and DPDK-free (fuzzed alone); called per packet by the distributor, bounded work.
#pragma once

#include <cstdint>

namespace iocgate {

// The hash of {source, destination} as an unordered pair, so a flow's two directions, its
// IP fragments (which carry no ports) and the DNS exchange and connection between the same
// two hosts meet on one worker. Reads the addresses where parse_packet reads them (the same
// VLAN/QinQ walk, the same length and version checks); a frame parse_packet finds no
// addresses in hashes to 0.
uint32_t symmetric_address_hash(const uint8_t* frame, uint32_t len);

// The same hash from addresses already read (4 or 16 bytes each): what the classifier's
// view of a frame maps to. Tests and the fuzz target hold the two equal.
uint32_t symmetric_address_hash(const uint8_t* a, const uint8_t* b, uint32_t addr_len);

}  // namespace iocgate
