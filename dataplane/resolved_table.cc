// dataplane/resolved_table.cc — set-associative buckets of seqlocked entries.

#include "dataplane/resolved_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>

#include "table/table_hash.h"

namespace iocgate {

namespace {

constexpr size_t kNameWords = 11;  // words 4..14
static_assert(kNameWords * 8 == ResolvedTable::kNameBytes);

uint64_t load_word(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

}  // namespace

ResolvedTable::ResolvedTable(uint32_t entries) {
  const uint32_t buckets = std::bit_ceil(std::max<uint32_t>(entries / kWays, 1));
  bucket_mask_ = buckets - 1;
  bytes_ = size_t{buckets} * kWays * sizeof(Entry);
  // Zeroed anonymous memory: every entry starts stable (seq 0) and empty (expires 0).
  void* p = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  entries_ = static_cast<Entry*>(p);
}

ResolvedTable::~ResolvedTable() { munmap(entries_, bytes_); }

ResolvedTable::Key ResolvedTable::key_of(uint8_t version, const uint8_t* addr) {
  Key k{0, 0, version};
  if (version == 4) {
    uint32_t v;
    std::memcpy(&v, addr, 4);
    k.lo = v;
  } else {
    k.hi = load_word(addr);
    k.lo = load_word(addr + 8);
  }
  return k;
}

ResolvedTable::Entry* ResolvedTable::bucket(const Key& k) const {
  const uint64_t h = table::mix64(k.hi ^ table::mix64(k.lo ^ k.version));
  return &entries_[uint64_t{static_cast<uint32_t>(h) & bucket_mask_} * kWays];
}

void ResolvedTable::bind(uint8_t version, const uint8_t* addr, const char* name, size_t len, uint64_t expires,
                         uint64_t now, bool listed) {
  if (len == 0) return;
  // The name's last labels when it is long: a suffix lookup still finds every listed domain
  // that fits, and a cut label never reads as another name.
  if (len > kNameBytes) {
    size_t from = len - kNameBytes;
    while (from < len && name[from - 1] != '.') ++from;
    if (from >= len) return;
    name += from;
    len -= from;
  }
  const Key k = key_of(version, addr);
  Entry* b = bucket(k);
  // The way to write: the same address, else an empty or expired one, else the unlisted one
  // that expires first, else the one that expires first.
  int pick = -1, same = -1;
  uint64_t pick_score = ~0ull;
  for (uint32_t i = 0; i < kWays; ++i) {
    Entry& e = b[i];
    const uint32_t s = e.seq.load(std::memory_order_acquire);
    if (s & 1) continue;
    const uint64_t exp = e.w[0].load(std::memory_order_relaxed);
    const uint64_t hi = e.w[1].load(std::memory_order_relaxed), lo = e.w[2].load(std::memory_order_relaxed);
    const uint64_t meta = e.w[3].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != s) continue;
    const bool live = exp > now;
    if (live && hi == k.hi && lo == k.lo && (meta & 0xff) == k.version) {
      same = static_cast<int>(i);
      break;
    }
    const uint64_t score = !live ? 0 : ((meta >> 16) & 1) ? (1ull << 63) | (exp >> 1) : exp >> 1;
    if (score < pick_score) {
      pick_score = score;
      pick = static_cast<int>(i);
    }
  }
  const int way = same >= 0 ? same : pick;
  if (way < 0) return;  // every way is being written right now: this answer is not kept
  Entry& e = b[way];
  uint32_t s = e.seq.load(std::memory_order_relaxed);
  if ((s & 1) || !e.seq.compare_exchange_strong(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed))
    return;
  uint8_t buf[kNameBytes] = {};
  std::memcpy(buf, name, len);
  e.w[0].store(expires, std::memory_order_relaxed);
  e.w[1].store(k.hi, std::memory_order_relaxed);
  e.w[2].store(k.lo, std::memory_order_relaxed);
  e.w[3].store(uint64_t{k.version} | uint64_t{len} << 8 | uint64_t{listed} << 16, std::memory_order_relaxed);
  for (size_t i = 0; i < kNameWords; ++i) e.w[4 + i].store(load_word(buf + 8 * i), std::memory_order_relaxed);
  e.seq.store(s + 2, std::memory_order_release);
}

size_t ResolvedTable::lookup(uint8_t version, const uint8_t* addr, uint64_t now, char* out) const {
  const Key k = key_of(version, addr);
  const Entry* b = bucket(k);
  for (uint32_t i = 0; i < kWays; ++i) {
    const Entry& e = b[i];
    const uint32_t s = e.seq.load(std::memory_order_acquire);
    if (s & 1) continue;
    if (e.w[0].load(std::memory_order_relaxed) <= now) continue;
    if (e.w[1].load(std::memory_order_relaxed) != k.hi || e.w[2].load(std::memory_order_relaxed) != k.lo) continue;
    const uint64_t meta = e.w[3].load(std::memory_order_relaxed);
    if ((meta & 0xff) != k.version) continue;
    const size_t len = (meta >> 8) & 0xff;
    uint64_t words[kNameWords];
    for (size_t j = 0; j < kNameWords; ++j) words[j] = e.w[4 + j].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (e.seq.load(std::memory_order_relaxed) != s) return 0;  // rewritten while read: a miss this time
    if (len == 0 || len > kNameBytes) return 0;
    std::memcpy(out, words, len);
    return len;
  }
  return 0;
}

}  // namespace iocgate
