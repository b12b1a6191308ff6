// tests/fuzz/fuzz_packet_parser.cc — fuzzes parse_packet on raw frames and checks that what it
// reports stays inside the frame, then hands the payload to the L7 extractors as a worker would.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "dataplane/dns_qname.h"
#include "dataplane/http_host.h"
#include "dataplane/packet_parser.h"
#include "dataplane/tls_sni.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65535 + 22) return 0;
  iocgate::PacketMeta m;
  const iocgate::ParseStatus st = iocgate::parse_packet(data, static_cast<uint32_t>(size), m);
  if (st != iocgate::ParseStatus::kOk) return 0;
  if (size_t{m.payload_offset} + m.payload_len > size) __builtin_trap();
  if (m.l3_offset > m.payload_offset) __builtin_trap();
  if (m.ip_version != 4 && m.ip_version != 6) __builtin_trap();
  if (m.vlan_count > 2) __builtin_trap();
  if (m.later_fragment && (m.has_l4 || !m.is_fragment)) __builtin_trap();
  if (!m.has_l4) return 0;
  const uint8_t* p = data + m.payload_offset;
  char out[iocgate::kMaxNameLen + 1];
  size_t n = 0;
  if (m.l4_proto == 17) {
    iocgate::dns_query_name(p, m.payload_len, out, &n);
  } else {
    iocgate::dns_tcp_query_name(p, m.payload_len, out, &n);
    iocgate::tls_client_hello_sni(p, m.payload_len, out, &n);
    iocgate::http_request_host(p, m.payload_len, out, &n);
  }
  return 0;
}
