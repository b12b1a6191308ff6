// dataplane/flow_table.cc — bucket probing and eviction of the per-worker flow table.

#include "dataplane/flow_table.h"

#include <bit>

namespace iocgate {

FlowTable::FlowTable(uint32_t capacity) {
  const uint32_t buckets = std::bit_ceil(std::max<uint32_t>(capacity / kWays, 1));
  bucket_mask_ = buckets - 1;
  flows_.reset(new Flow[uint64_t{buckets} * kWays]());
}

Flow* FlowTable::find_or_create(const FlowKey& key, uint64_t hash, uint64_t now, bool* created,
                                Flow* evicted, bool* did_evict) {
  Flow* bucket = &flows_[uint64_t{bucket_of(hash)} * kWays];
  Flow* victim = nullptr;
  *did_evict = false;
  for (uint32_t w = 0; w < kWays; ++w) {
    Flow& f = bucket[w];
    if (!f.in_use) {
      if (victim == nullptr || victim->in_use) victim = &f;
      continue;
    }
    if (f.key == key) {
      *created = false;
      return &f;
    }
    if (victim == nullptr || (victim->in_use && f.last_seen < victim->last_seen)) victim = &f;
  }
  if (victim->in_use) {
    *did_evict = true;
    *evicted = *victim;
  } else {
    ++size_;
  }
  std::memset(victim, 0, sizeof(Flow));
  victim->key = key;
  victim->last_seen = now;
  victim->reasm_slot = kNoSlot;
  victim->in_use = 1;
  victim->addr_match = table::kNoMatch;
  victim->l7_match = table::kNoMatch;
  victim->pending_match = table::kNoMatch;
  victim->generation = ~0ULL;
  *created = true;
  return victim;
}

}  // namespace iocgate
