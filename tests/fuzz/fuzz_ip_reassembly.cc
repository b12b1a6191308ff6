// tests/fuzz/fuzz_ip_reassembly.cc — fuzzes IP fragment reassembly: the input is a sequence of
// frames (2-byte big-endian length, then the frame), each parsed by parse_packet and, if it is
// a fragment, handed to IpReassembly as a worker would; a completed datagram's transport header
// is then read by parse_reassembled. Checks that nothing it reports leaves its buffers and that
// the table never holds more than its capacity.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/ip_reassembly.h"
#include "dataplane/packet_parser.h"
#include "dataplane/tls_sni.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks the timeout, so reuse of expired contexts is reached too.
  const uint64_t timeout = data[0] & 0x0f;
  iocgate::IpReassembly r(4, timeout);
  size_t pos = 1;
  uint64_t now = 0;
  while (size - pos >= 2) {
    const size_t len = (size_t{data[pos]} << 8) | data[pos + 1];
    pos += 2;
    if (len > size - pos) break;
    const uint8_t* frame = data + pos;
    pos += len;
    ++now;
    iocgate::PacketMeta m;
    iocgate::parse_packet(frame, static_cast<uint32_t>(len), m);
    if (!m.is_fragment || !m.frag_ok) continue;
    if (size_t{m.frag_data_offset} + m.frag_data_len > len) __builtin_trap();
    iocgate::Datagram d;
    const iocgate::FragStatus st = r.add(m, frame, now, &d);
    if (r.in_use() > r.capacity()) __builtin_trap();
    if (st != iocgate::FragStatus::kComplete) continue;
    if (d.data == nullptr || d.len == 0 || d.len > iocgate::IpReassembly::kMaxDatagram) __builtin_trap();
    iocgate::PacketMeta whole = m;
    iocgate::parse_reassembled(d.data, d.len, d.next, whole);
    if (whole.has_l4 && size_t{whole.payload_offset} + whole.payload_len > d.len) __builtin_trap();
    if (whole.has_l4) {
      char out[iocgate::kMaxNameLen + 1];
      size_t n = 0;
      iocgate::tls_client_hello_sni(d.data + whole.payload_offset, whole.payload_len, out, &n);
    }
  }
  return 0;
}
