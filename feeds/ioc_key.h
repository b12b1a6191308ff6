// feeds/ioc_key.h — one IoC's identity (kind, address, prefix, name), and the set of distinct
// IoCs the parsers, guards and expiry count: open addressing over pointers, names never copied.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string_view>
#include <vector>

#include "feeds/ioc.h"

namespace iocgate {

// Equal when two listings name the same IoC, whatever their lines, labels or dates.
inline bool same_ioc(const Ioc& a, const Ioc& b) {
  return a.kind == b.kind && a.prefix_len == b.prefix_len && a.addr == b.addr && a.domain == b.domain;
}

inline uint64_t ioc_key_hash(const Ioc& i) {
  uint64_t lo, hi;
  std::memcpy(&lo, i.addr.data(), 8);
  std::memcpy(&hi, i.addr.data() + 8, 8);
  uint64_t h = (lo * 0x9e3779b97f4a7c15ULL) ^ (hi + 0xc2b2ae3d27d4eb4fULL) ^
               (static_cast<uint64_t>(i.kind) << 56) ^ (uint64_t{i.prefix_len} << 48);
  if (!i.domain.empty()) h ^= std::hash<std::string_view>{}(i.domain) * 0xff51afd7ed558ccdULL;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  return h ^ (h >> 32);
}

// The distinct IoCs among those inserted, each numbered in the order first seen. Holds
// pointers: every Ioc inserted must stay where it is while the set is used.
class DistinctIocs {
 public:
  explicit DistinctIocs(size_t expected = 0) { rehash(capacity_for(expected)); }

  // The number of `i`'s IoC (0, 1, ... in the order first seen); *is_new when it was not in.
  uint32_t insert(const Ioc& i, bool* is_new = nullptr) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.size() * 2);
    const uint64_t h = ioc_key_hash(i);
    for (size_t s = h & mask_;; s = (s + 1) & mask_) {
      Slot& slot = slots_[s];
      if (slot.ioc == nullptr) {
        slot = {&i, static_cast<uint32_t>(h), static_cast<uint32_t>(size_)};
        if (is_new != nullptr) *is_new = true;
        return static_cast<uint32_t>(size_++);
      }
      if (slot.hash == static_cast<uint32_t>(h) && same_ioc(*slot.ioc, i)) {
        if (is_new != nullptr) *is_new = false;
        return slot.number;
      }
    }
  }

  bool contains(const Ioc& i) const {
    const uint64_t h = ioc_key_hash(i);
    for (size_t s = h & mask_;; s = (s + 1) & mask_) {
      const Slot& slot = slots_[s];
      if (slot.ioc == nullptr) return false;
      if (slot.hash == static_cast<uint32_t>(h) && same_ioc(*slot.ioc, i)) return true;
    }
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  struct Slot {
    const Ioc* ioc;
    uint32_t hash;
    uint32_t number;
  };

  static size_t capacity_for(size_t n) {
    size_t c = 16;
    while (c < n * 2) c *= 2;
    return c;
  }

  void rehash(size_t capacity) {
    std::vector<Slot> old(capacity, Slot{nullptr, 0, 0});
    old.swap(slots_);
    mask_ = capacity - 1;
    for (const Slot& o : old) {
      if (o.ioc == nullptr) continue;
      size_t s = ioc_key_hash(*o.ioc) & mask_;
      while (slots_[s].ioc != nullptr) s = (s + 1) & mask_;
      slots_[s] = o;
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace iocgate
