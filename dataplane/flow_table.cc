// dataplane/flow_table.cc — bucket probing and eviction of the per-worker flow table.

#include "dataplane/flow_table.h"

#include <sys/mman.h>

#include <bit>
#include <new>

namespace iocgate {

FlowTable::FlowTable(uint32_t capacity) {
  const uint32_t buckets = std::bit_ceil(std::max<uint32_t>(capacity / kWays, 1));
  bucket_mask_ = buckets - 1;
  // Anonymous memory (zero-filled: every flow starts unused) in 2 MiB units, advised for
  // transparent huge pages: each lookup is a random access into up to hundreds of MiB, and
  // with 4 KiB pages nearly every one also misses the TLB, a two-dimensional page walk
  // under a hypervisor. Where THP is off this still works, on small pages.
  constexpr size_t kHuge = 2u << 20;
  bytes_ = (uint64_t{buckets} * kWays * sizeof(Flow) + kHuge - 1) / kHuge * kHuge;
  void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  madvise(p, bytes_, MADV_HUGEPAGE);
  flows_ = static_cast<Flow*>(p);
}

FlowTable::~FlowTable() { munmap(flows_, bytes_); }

Flow* FlowTable::create(const FlowKey& key, uint64_t hash, uint64_t now, Flow* evicted, bool* did_evict,
                        bool* evicted_verdict) {
  Flow* bucket = &flows_[uint64_t{bucket_of(hash)} * kWays];
  Flow* empty_way = nullptr;
  *did_evict = false;
  if (evicted_verdict != nullptr) *evicted_verdict = false;
  for (uint32_t w = 0; w < kWays && empty_way == nullptr; ++w)
    if (!bucket[w].in_use) empty_way = &bucket[w];
  // A full bucket: the victim is chosen only now, off the hit path.
  Flow* plain = nullptr;    // least recently seen flow without a verdict
  Flow* verdict = nullptr;  // least recently seen flow with one
  if (empty_way == nullptr) {
    for (uint32_t w = 0; w < kWays; ++w) {
      Flow& f = bucket[w];
      Flow*& best = holds_verdict(f) ? verdict : plain;
      if (best == nullptr || f.last_seen < best->last_seen) best = &f;
    }
  }
  Flow* victim = empty_way != nullptr ? empty_way : plain != nullptr ? plain : verdict;
  if (victim->in_use) {
    *did_evict = true;
    *evicted = *victim;
    if (evicted_verdict != nullptr) *evicted_verdict = victim == verdict;
  } else {
    ++size_;
  }
  reset(*victim, key, now);
  return victim;
}

void FlowTable::reset(Flow& f, const FlowKey& key, uint64_t now) {
  std::memset(&f, 0, sizeof(Flow));
  f.key = key;
  f.last_seen = now;
  f.reasm_slot = kNoSlot;
  f.in_use = 1;
  f.addr_match = table::kNoMatch;
  f.l7_match = table::kNoMatch;
  f.pending_match = table::kNoMatch;
  f.generation = ~0ULL;
}

}  // namespace iocgate
