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
constexpr uint32_t reduce(uint32_t h, uint32_t n) {
  return static_cast<uint32_t>((static_cast<uint64_t>(h) * n) >> 32);
}

constexpr uint64_t hash_v4(uint32_t key, uint32_t len) {
  return mix64((static_cast<uint64_t>(len) << 32) | key);
}

constexpr uint64_t hash_v6(uint64_t hi, uint64_t lo, uint32_t len) {
  return mix64(hi ^ mix64(lo + len));
}

// Domain names are hashed from the last byte towards the first so that one right-to-left
// pass yields the hash of every suffix: at each label boundary the running state is the
// hash of the suffix that starts there. The name must already be lower-case.
struct SuffixHasher {
  uint64_t state = 0xcbf29ce484222325ULL;
  constexpr void feed(uint8_t c) { state = (state ^ c) * 0x100000001b3ULL; }
  constexpr uint64_t value(size_t suffix_len) const { return mix64(state ^ (uint64_t{suffix_len} << 56)); }
};

constexpr uint64_t hash_domain(const char* name, size_t len) {
  SuffixHasher h;
  for (size_t i = len; i-- > 0;) h.feed(static_cast<uint8_t>(name[i]));
  return h.value(len);
}

// Known answers: the hashes decide where every key sits in a table on disk, so they are part
// of the format. A change here that is not a new kLayoutVersion fails to compile.
static_assert(kLayoutVersion == 3, "new layout: recompute the known answers below");
static_assert(mix64(1) == 0xb456bcfc34c2cb2cULL);
static_assert(hash_v4(0xc0a80001u, 32) == 0xcae80c18c29cc189ULL);
static_assert(hash_v6(0x20010db800000000ULL, 1, 128) == 0x26f2372759a6500fULL);
static_assert(hash_domain("evil.com", 8) == 0x06eec3d518f3e53dULL);
static_assert(reduce(0x80000000u, 10) == 5);

// A checksum of a byte range (not cryptographic: it detects torn and damaged tables; the
// shared-memory directory's ownership keeps others from writing them).
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

// Header::content_checksum: every byte after the header.
inline uint64_t content_checksum(const uint8_t* blob, size_t size) {
  return table_checksum(blob + sizeof(Header), size - sizeof(Header));
}

// Header::header_checksum: the header with that field taken as zero. It covers the
// identity (instance, generation) and content_checksum, so it pins the whole table.
inline uint64_t header_checksum(const Header& header) {
  Header h = header;
  h.header_checksum = 0;
  return table_checksum(reinterpret_cast<const uint8_t*>(&h), sizeof(Header));
}

// Gives a compiled table its identity and seals the header. `instance` longer than
// kInstanceNameBytes - 1 is cut (config names are validated far shorter).
inline void stamp_identity(Header& h, const char* instance, uint64_t generation) {
  std::memset(h.instance, 0, sizeof(h.instance));
  for (size_t i = 0; i + 1 < sizeof(h.instance) && instance[i] != '\0'; ++i) h.instance[i] = instance[i];
  h.generation = generation;
  h.header_checksum = header_checksum(h);
}

}  // namespace iocgate::table
