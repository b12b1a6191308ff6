// table/table_hash.h — the hash functions that place keys in the compiled IoC table.
// Shared by the compiler and the per-packet lookups, so both sides agree bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "table/ioc_table_format.h"

namespace iocgate::table {

// Murmur3's 64-bit finalizer: full avalanche in a few cycles.
constexpr uint64_t mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Maps a 32-bit hash onto [0, n) without a division (Lemire's multiply-shift).
inline uint32_t reduce(uint32_t h, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(h) * n) >> 32);
}

inline uint64_t hash_v4(uint32_t key, uint32_t len) {
  return mix64((static_cast<uint64_t>(len) << 32) | key);
}

inline uint64_t hash_v6(uint64_t hi, uint64_t lo, uint32_t len) {
  return mix64(hi ^ mix64(lo + len));
}

// Domain names are hashed from the last byte towards the first so that one right-to-left
// pass yields the hash of every suffix: at each label boundary the running state is the
// hash of the suffix that starts there. The name must already be lower-case.
struct SuffixHasher {
  uint64_t state = 0xcbf29ce484222325ULL;
  void feed(uint8_t c) { state = (state ^ c) * 0x100000001b3ULL; }
  uint64_t value(size_t suffix_len) const { return mix64(state ^ (suffix_len << 56)); }
};

inline uint64_t hash_domain(const char* name, size_t len) {
  SuffixHasher h;
  for (size_t i = len; i-- > 0;) h.feed(static_cast<uint8_t>(name[i]));
  return h.value(len);
}

// A checksum of the table body, so a torn or corrupted table file is refused at load.
inline uint64_t table_checksum(const uint8_t* p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = mix64(h ^ w) + i;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  return mix64(h ^ tail ^ (n << 3));
}

// The checksum stored in Header::body_checksum: the whole blob with the two fields that are
// not part of the compiled content (generation, patched by the publisher, and the checksum
// itself) taken as zero. A torn or corrupted table file fails it and is refused at load.
inline uint64_t blob_checksum(const uint8_t* blob, size_t size) {
  Header h;
  std::memcpy(&h, blob, sizeof(Header));
  h.generation = 0;
  h.body_checksum = 0;
  const uint64_t head = table_checksum(reinterpret_cast<const uint8_t*>(&h), sizeof(Header));
  return head ^ mix64(table_checksum(blob + sizeof(Header), size - sizeof(Header)));
}

}  // namespace iocgate::table
