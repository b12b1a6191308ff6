// tests/fuzz/fuzz_reject_reply.cc — the reject action's answers built from any frame the
// parser accepts: never past kMaxRejectReply, and every answer built is itself a well-formed
// frame that parses back to the swapped (or kept) endpoints.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/packet_parser.h"
#include "dataplane/reject_reply.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535 + 22) return 0;
  iocgate::PacketMeta m{};
  if (iocgate::parse_packet(data, static_cast<uint32_t>(size), m) != iocgate::ParseStatus::kOk) return 0;
  uint8_t out[iocgate::kMaxRejectReply];
  for (int k = 0; k < 3; ++k) {
    const size_t n = k < 2 ? iocgate::build_tcp_reset(data, m, k == 0, out) : iocgate::build_dns_nxdomain(data, m, out);
    if (n == 0) continue;
    if (n > iocgate::kMaxRejectReply) __builtin_trap();
    iocgate::PacketMeta r{};
    if (iocgate::parse_packet(out, static_cast<uint32_t>(n), r) != iocgate::ParseStatus::kOk) __builtin_trap();
    const size_t alen = m.ip_version == 4 ? 4 : 16;
    const bool swapped = k != 1;
    if (std::memcmp(r.src, swapped ? m.dst : m.src, alen) != 0) __builtin_trap();
    if (r.sport != (swapped ? m.dport : m.sport)) __builtin_trap();
  }
  return 0;
}
