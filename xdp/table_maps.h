// xdp/table_maps.h — converts one compiled IoC table (IocTableView) into the ruleset image the
// XDP program probes (layout: xdp/xdp_abi.h). Off the hot path: once per table generation.
//
// The image keeps the table's own structure: its IPv4 /24 bitmaps, per-length V4Slot and
// V6Slot hash tables and hashed filters are copied verbatim, so memory per IoC is the
// table's, and the program's probes (same hash functions) answer what the view answers. Only
// domains are re-laid: each slot carries its name's place in a word-aligned pool, so the
// program confirms a tag hit against the name without the table's records and strings.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "table/ioc_table_view.h"

namespace iocgate::xdp {

// Where each part of an image lies, in 64-bit words from its start.
struct RulesetLayout {
  uint64_t total_words = 0;
  uint64_t v4_words = 0;       // bitmaps + slot tables: the memory the IPv4 entries cost
  uint64_t v6_words = 0;       // filter + slot tables
  uint64_t domain_words = 0;   // filter + slots + name pool
  uint32_t v4_touched = 0, v4_prefixed = 0;
  uint32_t v4_table[33] = {};
  uint32_t v6_filter = 0;
  uint32_t v6_table[129] = {};
  uint32_t dn_filter = 0, dn_table = 0, dn_pool = 0;
};

// The layout for `view`, or an error naming what the table holds that the image cannot (a
// domain slot naming a record or string outside the table, an image beyond 2^32 words).
Result<RulesetLayout> plan_ruleset(const table::IocTableView& view);

// Writes the image into `words` (layout.total_words of them, all zero: a new BPF array is),
// stamped with `generation`: the header, the copied sections, the domain slots and names.
void write_ruleset(const table::IocTableView& view, const RulesetLayout& layout, uint64_t generation,
                   uint64_t* words);

}  // namespace iocgate::xdp
