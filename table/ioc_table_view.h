// table/ioc_table_view.h — read-only lookups in a compiled IoC table blob (ioc_table_format.h).
// Used per packet by the DPDK workers: no allocation, no locks, no exceptions; validate()
// runs once when a blob is attached, never per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "table/ioc_table_format.h"
#include "table/table_hash.h"

namespace iocgate::table {

// The outcome of a lookup: kNoMatch, or a packed (action, record) value.
struct Match {
  uint32_t value = kNoMatch;
  bool hit() const { return value != kNoMatch; }
  Action action() const { return static_cast<Action>(value >> kActionShift); }
  uint32_t record() const { return value & kRecordMask; }
};

class IocTableView {
 public:
  IocTableView() = default;

  // Checks the blob before any lookup may touch it: magic, layout version, sizes, that every
  // section lies inside the blob, and (when verify_checksum) the body checksum. On failure
  // returns false and says why in *error; the view stays empty (every lookup misses).
  bool attach(const void* blob, size_t size, std::string* error, bool verify_checksum = true);

  bool empty() const { return base_ == nullptr; }
  const Header& header() const { return *reinterpret_cast<const Header*>(base_); }
  const uint8_t* base() const { return base_; }

  // --- per-packet lookups ---------------------------------------------------------------

  // Touches the cache lines the v4 lookup will read first; call a few packets ahead.
  void prefetch_v4(uint32_t addr) const {
    if (v4_touched_ != nullptr) __builtin_prefetch(v4_touched_ + (addr >> 8) / 64);
  }

  // `addr` in host byte order. The 2 MiB bitmap of touched /24s stays in cache and turns
  // away most addresses of real traffic; a touched one costs at most two dependent loads in
  // the direct index (built for large sets), else one probe per prefix length present.
  // Without the gate every new flow paid a miss in the 64 MiB index: forwarding with a
  // new flow per packet fell from 3.7 to 2.7 Mpps (docs/BENCHMARKS.md).
  Match lookup_v4(uint32_t addr) const {
    if (v4_touched_ == nullptr || !test_bit(v4_touched_, addr >> 8)) return {};
    if (v4_direct_ != nullptr) return lookup_v4_direct(addr);
    const Header& h = header();
    if (h.v4_by_len[32].capacity != 0) {
      Match m = probe_v4(h.v4_by_len[32], addr, 32);
      if (m.hit()) return m;
    }
    if (!test_bit(v4_prefixed_, addr >> 8)) return {};
    for (uint32_t i = 0; i < h.v4_prefix_len_count; ++i) {
      const uint32_t len = h.v4_prefix_lens[i];
      const uint32_t key = len == 0 ? 0 : addr & (~0u << (32 - len));
      Match m = probe_v4(h.v4_by_len[len], key, len);
      if (m.hit()) return m;
    }
    return {};
  }

  // n lookups as a pipeline, so the misses of a burst overlap instead of queueing: the
  // bitmap for all, then the /24 words of the touched ones, then their runs or blocks.
  void lookup_v4_burst(const uint32_t* addrs, uint32_t n, Match* out) const {
    if (v4_direct_ == nullptr) {
      for (uint32_t k = 0; k < n; ++k) out[k] = lookup_v4(addrs[k]);
      return;
    }
    constexpr uint32_t kTouched = kV4DirectBlock;  // a placeholder no word holds past stage 2
    for (uint32_t k = 0; k < n; ++k) {
      const bool touched = test_bit(v4_touched_, addrs[k] >> 8);
      out[k].value = touched ? kTouched : kNoMatch;
      if (touched) __builtin_prefetch(v4_direct_ + (addrs[k] >> 8));
    }
    for (uint32_t k = 0; k < n; ++k) {
      if (out[k].value == kNoMatch) continue;
      const uint32_t w = v4_direct_[addrs[k] >> 8];
      out[k].value = w;
      if (w < kV4DirectRuns || w == kNoMatch) continue;
      const uint32_t i = w & kRecordMask;
      if ((w & kV4DirectTagMask) == kV4DirectRuns) {
        if (i < v4_run_count_) __builtin_prefetch(v4_runs_ + i);
      } else if (i < v4_block_count_) {
        __builtin_prefetch(v4_blocks_ + uint64_t{i} * 256 + (addrs[k] & 0xff));
      }
    }
    for (uint32_t k = 0; k < n; ++k)
      if (out[k].value >= kV4DirectRuns && out[k].value != kNoMatch) out[k] = lookup_v4_direct(addrs[k]);
  }

  // `addr` is 16 bytes in network byte order.
  Match lookup_v6(const uint8_t* addr) const {
    if (base_ == nullptr) return {};
    const Header& h = header();
    if (h.v6_len_count == 0) return {};
    uint64_t hi, lo;
    std::memcpy(&hi, addr, 8);
    std::memcpy(&lo, addr + 8, 8);
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
    for (uint32_t i = 0; i < h.v6_len_count; ++i) {
      const uint32_t len = h.v6_lens[i];
      uint64_t mh, ml;
      mask_v6(hi, lo, len, &mh, &ml);
      const uint64_t hv = hash_v6(mh, ml, len);
      if (!test_bit(v6_filter_, hv >> (64 - h.v6_filter_log2))) continue;
      Match m = probe_v6(h.v6_by_len[len], mh, ml, static_cast<uint32_t>(hv));
      if (m.hit()) return m;
    }
    return {};
  }

  // `name` is lower-case, without a trailing dot. Matches the name itself or any parent
  // domain on a label boundary; the most specific listed domain wins.
  Match lookup_domain(const char* name, size_t len) const {
    if (base_ == nullptr || header().domains.capacity == 0 || len == 0 || len > 253) return {};
    // One right-to-left pass computes each suffix's hash; probe most specific first.
    uint64_t hashes[128];
    uint32_t starts[128];
    uint32_t n = 0;
    SuffixHasher hs;
    for (size_t i = len; i-- > 0;) {
      hs.feed(static_cast<uint8_t>(name[i]));
      if ((i == 0 || name[i - 1] == '.') && n < 128) {
        hashes[n] = hs.value(len - i);
        starts[n] = static_cast<uint32_t>(i);
        ++n;
      }
    }
    const uint32_t log2 = header().domain_filter_log2;
    for (uint32_t k = n; k-- > 0;) {
      if (!test_bit(domain_filter_, hashes[k] >> (64 - log2))) continue;
      Match m = probe_domain(hashes[k], name + starts[k], len - starts[k]);
      if (m.hit()) return m;
    }
    return {};
  }

  // --- exact probes, off the hot path (explain: every entry that covers a value) --------

  // The entry for exactly this key: an IPv4 prefix (host byte order, masked to len), an IPv6
  // prefix (16 bytes, network order, masked here), a domain (lower-case, no trailing dot).
  Match find_v4(uint32_t key, uint32_t len) const {
    if (base_ == nullptr || len > 32 || header().v4_by_len[len].capacity == 0) return {};
    return probe_v4(header().v4_by_len[len], key, len);
  }
  Match find_v6(const uint8_t* addr, uint32_t len) const {
    if (base_ == nullptr || len > 128 || header().v6_by_len[len].capacity == 0) return {};
    uint64_t hi, lo, mh, ml;
    std::memcpy(&hi, addr, 8);
    std::memcpy(&lo, addr + 8, 8);
    mask_v6(__builtin_bswap64(hi), __builtin_bswap64(lo), len, &mh, &ml);
    return probe_v6(header().v6_by_len[len], mh, ml, static_cast<uint32_t>(hash_v6(mh, ml, len)));
  }
  Match find_domain(const char* name, size_t len) const {
    if (base_ == nullptr || header().domains.capacity == 0 || len == 0 || len > 253) return {};
    return probe_domain(hash_domain(name, len), name, len);
  }

  // --- provenance, off the hot path -----------------------------------------------------

  const MatchRecord& record(uint32_t i) const {
    return reinterpret_cast<const MatchRecord*>(base_ + header().records.offset)[i];
  }
  uint64_t record_count() const { return header().records.size / sizeof(MatchRecord); }
  const FeedRecord& feed(uint32_t i) const {
    return reinterpret_cast<const FeedRecord*>(base_ + header().feeds.offset)[i];
  }
  uint64_t feed_count() const { return header().feed_count; }
  // The listings of `record` besides its own (feed, line): [first, last), strongest first.
  std::pair<const Listing*, const Listing*> more_listings(uint32_t record) const;
  const char* string_at(uint32_t off) const {
    return reinterpret_cast<const char*>(base_ + header().strings.offset + off);
  }
  // "1.2.3.0/24", "2001:db8::/48" or the domain: the IoC as an operator would write it.
  // Without an index this scans the record's hash table (fine for a report's few lines).
  std::string describe(uint32_t record) const;

  // Maps every address record to its slot, once per table (O(table), 4 B per record), so
  // describe(record, index) is O(1): for a stream of events against a large table.
  std::vector<uint32_t> build_describe_index() const;
  std::string describe(uint32_t record, const std::vector<uint32_t>& index) const;

 private:
  static bool test_bit(const uint64_t* bits, uint64_t i) { return (bits[i >> 6] >> (i & 63)) & 1; }

  static void mask_v6(uint64_t hi, uint64_t lo, uint32_t len, uint64_t* mh, uint64_t* ml) {
    if (len == 0) {
      *mh = *ml = 0;
    } else if (len <= 64) {
      *mh = len == 64 ? hi : hi & (~0ULL << (64 - len));
      *ml = 0;
    } else {
      *mh = hi;
      *ml = len == 128 ? lo : lo & (~0ULL << (128 - len));
    }
  }

  // Two dependent loads at most: the /24's word, then its runs or its block. The index
  // bounds are checked although the checksum vouches for them: one compare per split /24.
  Match lookup_v4_direct(uint32_t addr) const {
    const uint32_t w = v4_direct_[addr >> 8];
    if (w < kV4DirectRuns || w == kNoMatch) return {w};
    const uint32_t i = w & kRecordMask;
    const uint32_t octet = addr & 0xff;
    if ((w & kV4DirectTagMask) == kV4DirectRuns) {
      if (i >= v4_run_count_) return {};
      const V4Runs& r = v4_runs_[i];
      uint32_t n = 0;
      for (uint32_t k = 1; k < kV4RunsMax; ++k) n += r.start[k] <= octet;
      return {r.value[n]};
    }
    if (i >= v4_block_count_) return {};
    return {v4_blocks_[uint64_t{i} * 256 + octet]};
  }

  Match probe_v4(const HashDesc& d, uint32_t key, uint32_t len) const {
    const V4Slot* slots = reinterpret_cast<const V4Slot*>(base_ + d.offset);
    uint32_t i = reduce(static_cast<uint32_t>(hash_v4(key, len)), d.capacity);
    for (uint32_t n = 0; n < d.capacity; ++n) {
      const V4Slot& s = slots[i];
      if (s.value == kNoMatch) return {};
      if (s.key == key) return {s.value};
      if (++i == d.capacity) i = 0;
    }
    return {};
  }

  Match probe_v6(const HashDesc& d, uint64_t hi, uint64_t lo, uint32_t h32) const {
    const V6Slot* slots = reinterpret_cast<const V6Slot*>(base_ + d.offset);
    uint32_t i = reduce(h32, d.capacity);
    for (uint32_t n = 0; n < d.capacity; ++n) {
      const V6Slot& s = slots[i];
      if (s.value == kNoMatch) return {};
      if (s.hi == hi && s.lo == lo) return {s.value};
      if (++i == d.capacity) i = 0;
    }
    return {};
  }

  Match probe_domain(uint64_t h, const char* name, size_t len) const {
    const HashDesc& d = header().domains;
    const DomainSlot* slots = reinterpret_cast<const DomainSlot*>(base_ + d.offset);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    uint32_t i = reduce(static_cast<uint32_t>(h), d.capacity);
    for (uint32_t n = 0; n < d.capacity; ++n) {
      const DomainSlot& s = slots[i];
      if (s.value == kNoMatch) return {};
      if (s.tag == tag) {
        const MatchRecord& r = record(s.value & kRecordMask);
        if (r.name_len == len && std::memcmp(string_at(r.name_off), name, len) == 0)
          return {s.value};
      }
      if (++i == d.capacity) i = 0;
    }
    return {};
  }

  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  const uint64_t* v4_touched_ = nullptr;
  const uint64_t* v4_prefixed_ = nullptr;
  const uint32_t* v4_direct_ = nullptr;
  const V4Runs* v4_runs_ = nullptr;
  const uint32_t* v4_blocks_ = nullptr;
  uint32_t v4_run_count_ = 0;
  uint32_t v4_block_count_ = 0;
  const uint64_t* v6_filter_ = nullptr;
  const uint64_t* domain_filter_ = nullptr;
};

}  // namespace iocgate::table
