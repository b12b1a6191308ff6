// tests/fuzz/fuzz_symmetric_hash.cc — fuzzes the distributor's hash on raw frames: it must read
// inside the frame, agree with parse_packet's addresses, and not change when they are swapped.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "dataplane/packet_parser.h"
#include "dataplane/symmetric_hash.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535 + 22) return 0;
  const auto len = static_cast<uint32_t>(size);
  const uint32_t h = iocgate::symmetric_address_hash(data, len);
  iocgate::PacketMeta m;
  iocgate::parse_packet(data, len, m);
  if (m.ip_version == 0) {
    if (h != 0) __builtin_trap();  // no addresses for the classifier: worker 0, as for non-IP
    return 0;
  }
  const uint32_t n = m.ip_version == 4 ? 4 : 16;
  if (h == 0 || h != iocgate::symmetric_address_hash(m.src, m.dst, n)) __builtin_trap();
  // The frame with its addresses swapped (the other direction) lands on the same worker.
  std::vector<uint8_t> swapped(data, data + size);
  const size_t src = m.l3_offset + (n == 4 ? 12 : 8);
  std::memcpy(swapped.data() + src, m.dst, n);
  std::memcpy(swapped.data() + src + n, m.src, n);
  if (iocgate::symmetric_address_hash(swapped.data(), len) != h) __builtin_trap();
  return 0;
}
