// tests/fuzz/fuzz_table_view.cc — a table blob of any content, sealed as the compiler seals
// one (magic, layout, sizes, both checksums set), then attached and probed: attach's checks
// must leave every IPv4 and IPv6 lookup inside the blob, and the burst lookup must answer as
// the single one. Domain lookups read records the checksum vouches for, so they stay out.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "table/ioc_table_view.h"

using namespace iocgate::table;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(Header) || size > (8u << 20)) return 0;  // a table with IPv4 entries holds two 2 MiB bitmaps
  const size_t rounded = (size + kBlobAlign - 1) / kBlobAlign * kBlobAlign;
  auto* blob = static_cast<uint8_t*>(std::aligned_alloc(kBlobAlign, rounded));
  std::memcpy(blob, data, size);
  Header h;
  std::memcpy(&h, blob, sizeof(h));
  h.magic = kMagic;
  h.layout_version = kLayoutVersion;
  h.header_size = sizeof(Header);
  h.total_size = size;
  std::memcpy(blob, &h, sizeof(h));
  h.content_checksum = content_checksum(blob, size);
  stamp_identity(h, "", 0);
  std::memcpy(blob, &h, sizeof(h));
  IocTableView v;
  std::string error;
  if (v.attach(blob, size, &error)) {
    // Addresses from the input itself, so the fuzzer can aim at the keys it planted.
    uint32_t addrs[32];
    for (uint32_t k = 0; k < 32; ++k) {
      std::memcpy(&addrs[k], data + (k * 4) % (size - 3), 4);
      if (k % 4 == 0) addrs[k] = static_cast<uint32_t>(k) << 24;
    }
    Match burst[32];
    v.lookup_v4_burst(addrs, 32, burst);
    for (uint32_t k = 0; k < 32; ++k) {
      v.prefetch_v4(addrs[k]);
      if (v.lookup_v4(addrs[k]).value != burst[k].value) __builtin_trap();
    }
    uint8_t a6[16];
    for (size_t off = 0; off + 16 <= size && off < 512; off += 16) {
      std::memcpy(a6, data + off, 16);
      (void)v.lookup_v6(a6);
      (void)v.find_v6(a6, a6[0] % 129);
    }
    (void)v.find_v4(addrs[1], addrs[2] % 33);
  }
  std::free(blob);
  return 0;
}
