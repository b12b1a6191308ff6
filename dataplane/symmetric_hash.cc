// dataplane/symmetric_hash.cc — the distributor's per-frame hash: a VLAN walk, two address
// reads, an order-free mix. Every read is checked against len; the tag loop is capped.
#include "dataplane/symmetric_hash.h"

#include <bit>
#include <cstring>

#include "table/table_hash.h"

namespace iocgate {
namespace {

// parse_packet's limits: a frame it refuses for too many tags must hash as it judges it.
constexpr int kMaxSkippedVlanTags = 8;

inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline uint32_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

// The table's finaliser: every input bit reaches the bits the worker index is taken from,
// so hosts that differ only in their high bits still spread.
inline uint32_t finish(uint64_t x) {
  return static_cast<uint32_t>(table::mix64(x) >> 32) | 1u;  // never 0: 0 means "no addresses"
}

// One 64-bit word per address; the two are then combined only by commutative operations
// (sum, xor), so swapping them changes nothing while the result keeps both addresses' bits.
inline uint64_t fold(const uint8_t* p, uint32_t n) {
  if (n == 4) return load32(p);
  return load64(p) * 0x9e3779b97f4a7c15ULL ^ load64(p + 8);
}

}  // namespace

uint32_t symmetric_address_hash(const uint8_t* a, const uint8_t* b, uint32_t addr_len) {
  const uint64_t x = fold(a, addr_len), y = fold(b, addr_len);
  return finish((x + y) ^ std::rotl(x ^ y, 1) ^ addr_len);
}

uint32_t symmetric_address_hash(const uint8_t* frame, uint32_t len) {
  if (len < 14) return 0;
  uint16_t ethertype = load_be16(frame + 12);
  uint32_t off = 14;
  for (int tags = 0; is_vlan_tpid(ethertype); ++tags) {
    if (tags == kMaxSkippedVlanTags || len - off < 4) return 0;
    ethertype = load_be16(frame + off + 2);
    off += 4;
  }
  const uint8_t* ip = frame + off;
  if (ethertype == 0x0800) {
    if (len - off < 20 || (ip[0] >> 4) != 4) return 0;
    return symmetric_address_hash(ip + 12, ip + 16, 4);
  }
  if (ethertype == 0x86dd) {
    if (len - off < 40 || (ip[0] >> 4) != 6) return 0;
    return symmetric_address_hash(ip + 8, ip + 24, 16);
  }
  return 0;
}

}  // namespace iocgate
