// xdp/table_maps.cc — planning and writing a ruleset image from a compiled table.

#include "xdp/table_maps.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "xdp/xdp_abi.h"

namespace iocgate::xdp {

namespace {

using table::DomainSlot;
using table::HashDesc;
using table::Header;
using table::V4Slot;
using table::V6Slot;

static_assert(sizeof(V4Slot) == 8 && offsetof(V4Slot, value) == 4, "a V4Slot is one word: key | value << 32");
static_assert(sizeof(V6Slot) == 24 && offsetof(V6Slot, value) == 16, "a V6Slot is three words: hi, lo, value");
static_assert(sizeof(DomainSlot) == 8 && offsetof(DomainSlot, value) == 4, "a DomainSlot is one word");
static_assert(IOCGATE_NO_MATCH == table::kNoMatch && IOCGATE_ACTION_SHIFT == table::kActionShift);
static_assert(XA_DROP == static_cast<int>(table::Action::kDrop) && XA_REJECT == static_cast<int>(table::Action::kReject) &&
              XA_ALLOW == static_cast<int>(table::Action::kAllow));

constexpr uint64_t kAlignWords = 8;  // sections start on a cache line

uint64_t aligned(uint64_t w) { return (w + kAlignWords - 1) / kAlignWords * kAlignWords; }
uint64_t words_of_bytes(uint64_t b) { return (b + 7) / 8; }

uint64_t descriptor(uint32_t base, uint32_t capacity) { return base | (uint64_t{capacity} << 32); }

void put_lengths(uint64_t* words, uint32_t first, const uint8_t* lens, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) words[first + i / 8] |= uint64_t{lens[i]} << (8 * (i % 8));
}

}  // namespace

Result<RulesetLayout> plan_ruleset(const table::IocTableView& view) {
  if (view.empty()) return Status::error("no table to convert");
  const Header& h = view.header();
  RulesetLayout l;
  uint64_t at = RS_HEADER_WORDS;
  auto take = [&](uint64_t words) {
    const uint64_t base = at;
    at = aligned(at + words);
    return base;
  };
  if (h.v4_entries != 0) {
    const uint64_t before = at;
    l.v4_touched = static_cast<uint32_t>(take(words_of_bytes(h.v4_touched.size)));
    l.v4_prefixed = static_cast<uint32_t>(take(words_of_bytes(h.v4_prefixed.size)));
    for (uint32_t len = 0; len <= 32; ++len)
      if (h.v4_by_len[len].capacity != 0) l.v4_table[len] = static_cast<uint32_t>(take(h.v4_by_len[len].capacity));
    l.v4_words = at - before;
  }
  if (h.v6_entries != 0) {
    const uint64_t before = at;
    l.v6_filter = static_cast<uint32_t>(take(words_of_bytes(h.v6_filter.size)));
    for (uint32_t len = 0; len <= 128; ++len)
      if (h.v6_by_len[len].capacity != 0)
        l.v6_table[len] = static_cast<uint32_t>(take(uint64_t{h.v6_by_len[len].capacity} * 3));
    l.v6_words = at - before;
  }
  if (h.domain_entries != 0 && h.domains.capacity != 0) {
    const uint64_t before = at;
    l.dn_filter = static_cast<uint32_t>(take(words_of_bytes(h.domain_filter.size)));
    l.dn_table = static_cast<uint32_t>(take(uint64_t{h.domains.capacity} * 2));
    // Every occupied slot's name, checked against the table's records and string pool.
    const auto* slots = reinterpret_cast<const DomainSlot*>(view.base() + h.domains.offset);
    uint64_t pool = 0;
    for (uint32_t i = 0; i < h.domains.capacity; ++i) {
      if (slots[i].value == table::kNoMatch) continue;
      const uint32_t rec = slots[i].value & table::kRecordMask;
      if (rec >= view.record_count())
        return Status::error("domain slot " + std::to_string(i) + " names record " + std::to_string(rec) +
                             " of " + std::to_string(view.record_count()));
      const table::MatchRecord& r = view.record(rec);
      if (r.name_len == 0 || r.name_len > IOCGATE_MAX_NAME || uint64_t{r.name_off} + r.name_len >= h.strings.size)
        return Status::error("domain record " + std::to_string(rec) + " has its name outside the string pool");
      pool += words_of_bytes(r.name_len);
    }
    l.dn_pool = static_cast<uint32_t>(take(pool));
    l.domain_words = at - before;
  }
  l.total_words = at;
  // Descriptors hold 32-bit word offsets; a BPF array holds at most 2^32 - 1 elements.
  if (at >= (uint64_t{1} << 32))
    return Status::error("the table needs a ruleset of " + std::to_string(at >> 17) +
                         " MiB, beyond the 32 GiB an XDP ruleset can address");
  return l;
}

void write_ruleset(const table::IocTableView& view, const RulesetLayout& l, uint64_t generation, uint64_t* w) {
  const Header& h = view.header();
  const uint8_t* base = view.base();
  std::memset(w, 0, RS_HEADER_WORDS * sizeof(uint64_t));
  w[RS_MAGIC] = IOCGATE_RS_MAGIC;
  w[RS_GENERATION] = generation;

  if (h.v4_entries != 0) {
    w[RS_V4_TOUCHED] = l.v4_touched;
    w[RS_V4_PREFIXED] = l.v4_prefixed;
    std::memcpy(w + l.v4_touched, base + h.v4_touched.offset, h.v4_touched.size);
    std::memcpy(w + l.v4_prefixed, base + h.v4_prefixed.offset, h.v4_prefixed.size);
    w[RS_V4_LEN_COUNT] = h.v4_prefix_len_count;
    put_lengths(w, RS_V4_LENS, h.v4_prefix_lens, h.v4_prefix_len_count);
    for (uint32_t len = 0; len <= 32; ++len) {
      const HashDesc& d = h.v4_by_len[len];
      if (d.capacity == 0) continue;
      w[RS_V4_TABLE + len] = descriptor(l.v4_table[len], d.capacity);
      std::memcpy(w + l.v4_table[len], base + d.offset, uint64_t{d.capacity} * sizeof(V4Slot));
    }
  }
  if (h.v6_entries != 0) {
    w[RS_V6_FILTER] = l.v6_filter;
    w[RS_V6_FILTER_LOG2] = h.v6_filter_log2;
    std::memcpy(w + l.v6_filter, base + h.v6_filter.offset, h.v6_filter.size);
    w[RS_V6_LEN_COUNT] = h.v6_len_count;
    put_lengths(w, RS_V6_LENS, h.v6_lens, h.v6_len_count);
    for (uint32_t len = 0; len <= 128; ++len) {
      const HashDesc& d = h.v6_by_len[len];
      if (d.capacity == 0) continue;
      w[RS_V6_TABLE + len] = descriptor(l.v6_table[len], d.capacity);
      std::memcpy(w + l.v6_table[len], base + d.offset, uint64_t{d.capacity} * sizeof(V6Slot));
    }
  }
  if (l.dn_table != 0) {
    w[RS_DN_FILTER] = l.dn_filter;
    w[RS_DN_FILTER_LOG2] = h.domain_filter_log2;
    w[RS_DN_TABLE] = descriptor(l.dn_table, h.domains.capacity);
    std::memcpy(w + l.dn_filter, base + h.domain_filter.offset, h.domain_filter.size);
    const auto* slots = reinterpret_cast<const DomainSlot*>(base + h.domains.offset);
    uint64_t pool = l.dn_pool;
    for (uint32_t i = 0; i < h.domains.capacity; ++i) {
      uint64_t* slot = w + l.dn_table + uint64_t{i} * 2;
      std::memcpy(slot, &slots[i], sizeof(DomainSlot));
      if (slots[i].value == table::kNoMatch) {
        slot[1] = 0;
        continue;
      }
      const table::MatchRecord& r = view.record(slots[i].value & table::kRecordMask);
      slot[1] = pool | (uint64_t{r.name_len} << 32);
      std::memcpy(w + pool, view.string_at(r.name_off), r.name_len);  // the rest of its last word stays zero
      pool += words_of_bytes(r.name_len);
    }
  }
}

}  // namespace iocgate::xdp
