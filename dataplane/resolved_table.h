// dataplane/resolved_table.h — the addresses DNS answers gave, each with the name asked, for
// the answer's TTL: a connection to one of them (without SNI: ECH, raw TCP C2) is judged by
// that name with the table in force, so an answer seen before a push is enforced after it.
// One table may serve every worker: any worker writes, any reads, without locks (a seqlock per
// entry: a writer claims it with one compare-and-swap, a reader that sees it change misses).
// Written once per DNS answer address, read once per new flow and table generation; never per
// packet of a flow. Memory is allocated once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace iocgate {

class ResolvedTable {
 public:
  static constexpr uint32_t kWays = 4;
  // Longest name kept: a longer one keeps its last labels (a label boundary), enough for
  // every listed domain up to this length to match it, as a suffix lookup does.
  static constexpr size_t kNameBytes = 88;

  // `entries` is rounded up to a power of two of buckets of kWays.
  explicit ResolvedTable(uint32_t entries);
  ~ResolvedTable();
  ResolvedTable(const ResolvedTable&) = delete;
  ResolvedTable& operator=(const ResolvedTable&) = delete;

  // `name` (lower case, no trailing dot) resolved to `addr` (4 or 16 bytes by version) until
  // `expires` (clock units). `listed`: the table in force lists the name, so it is kept over
  // unlisted ones when a bucket is full. An entry another worker is writing is left alone.
  void bind(uint8_t version, const uint8_t* addr, const char* name, size_t len, uint64_t expires, uint64_t now,
            bool listed);
  // The name `addr` resolved to (copied to out, which holds kNameBytes), or 0 when none is
  // bound or its TTL passed.
  size_t lookup(uint8_t version, const uint8_t* addr, uint64_t now, char* out) const;

  uint32_t capacity() const { return (bucket_mask_ + 1) * kWays; }

 private:
  // 128 bytes. seq: even when stable, odd while a writer fills the words. Words: [0] expires,
  // [1..2] address, [3] version | name length << 8 | listed << 16, [4..14] the name.
  struct alignas(64) Entry {
    std::atomic<uint32_t> seq;
    uint32_t pad;
    std::atomic<uint64_t> w[15];
  };
  static_assert(sizeof(Entry) == 128);

  struct Key {
    uint64_t hi, lo;
    uint8_t version;
  };
  static Key key_of(uint8_t version, const uint8_t* addr);
  Entry* bucket(const Key& k) const;

  Entry* entries_ = nullptr;
  size_t bytes_ = 0;
  uint32_t bucket_mask_ = 0;
};

}  // namespace iocgate
