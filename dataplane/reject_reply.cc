// dataplane/reject_reply.cc — TCP resets and DNS NXDOMAIN answers for the reject action.

#include "dataplane/reject_reply.h"

#include <cstring>

namespace iocgate {

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t* p, uint32_t v) {
  put16(p, static_cast<uint16_t>(v >> 16));
  put16(p + 2, static_cast<uint16_t>(v));
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t{p[i]} << 8) | p[i + 1];
  if (n & 1) acc += uint32_t{p[n - 1]} << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

// Ethernet (and the frame's VLAN tags) with the addresses as the reply needs them; returns
// where the IP header goes.
size_t put_l2(const uint8_t* frame, const PacketMeta& m, bool swap, uint8_t* out) {
  std::memcpy(out, frame, m.l3_offset);
  if (swap) {
    std::memcpy(out, frame + 6, 6);
    std::memcpy(out + 6, frame, 6);
  }
  return m.l3_offset;
}

// The IP header for an L4 part of l4_len bytes from `src` to `dst`; returns its length.
size_t put_ip(const PacketMeta& m, const uint8_t* src, const uint8_t* dst, uint8_t proto, size_t l4_len,
              uint8_t* out) {
  if (m.ip_version == 4) {
    std::memset(out, 0, 20);
    out[0] = 0x45;
    put16(out + 2, static_cast<uint16_t>(20 + l4_len));
    out[6] = 0x40;  // don't fragment
    out[8] = 64;
    out[9] = proto;
    std::memcpy(out + 12, src, 4);
    std::memcpy(out + 16, dst, 4);
    put16(out + 10, fold(sum16(out, 20, 0)));
    return 20;
  }
  std::memset(out, 0, 40);
  out[0] = 0x60;
  put16(out + 4, static_cast<uint16_t>(l4_len));
  out[6] = proto;
  out[7] = 64;
  std::memcpy(out + 8, src, 16);
  std::memcpy(out + 24, dst, 16);
  return 40;
}

// The TCP or UDP checksum over the pseudo-header and the L4 bytes (checksum field zero).
uint16_t l4_checksum(const PacketMeta& m, const uint8_t* src, const uint8_t* dst, uint8_t proto, const uint8_t* l4,
                     size_t len) {
  const size_t alen = m.ip_version == 4 ? 4 : 16;
  uint32_t acc = sum16(src, alen, 0);
  acc = sum16(dst, alen, acc);
  acc += proto;
  acc += static_cast<uint32_t>(len & 0xffff) + static_cast<uint32_t>(len >> 16);
  acc = sum16(l4, len, acc);
  const uint16_t c = fold(acc);
  return proto == kUdp && c == 0 ? 0xffff : c;
}

}  // namespace

size_t build_tcp_reset(const uint8_t* frame, const PacketMeta& m, bool to_sender, uint8_t* out) {
  if (m.ip_version == 0 || m.l4_proto != kTcp || !m.has_l4 || m.is_fragment || (m.tcp_flags & kRst) != 0) return 0;
  const uint8_t* src = to_sender ? m.dst : m.src;
  const uint8_t* dst = to_sender ? m.src : m.dst;
  size_t off = put_l2(frame, m, to_sender, out);
  const size_t ip_len = m.ip_version == 4 ? 20 : 40;
  uint8_t* tcp = out + off + ip_len;
  std::memset(tcp, 0, 20);
  put16(tcp, to_sender ? m.dport : m.sport);
  put16(tcp + 2, to_sender ? m.sport : m.dport);
  if (to_sender) {
    // The sender accepts a reset whose sequence is the one it acknowledged; a segment that
    // acknowledged nothing (a SYN) gets a reset that acknowledges it.
    if (m.tcp_flags & kAck) {
      put32(tcp + 4, m.tcp_ack);
      tcp[13] = kRst;
    } else {
      const uint32_t len = m.payload_len + ((m.tcp_flags & kSyn) ? 1 : 0) + ((m.tcp_flags & kFin) ? 1 : 0);
      put32(tcp + 8, m.tcp_seq + len);
      tcp[13] = kRst | kAck;
    }
  } else {
    // The receiver expects the sender's bytes at this very sequence: a reset there is in its window.
    put32(tcp + 4, m.tcp_seq);
    tcp[13] = kRst;
  }
  tcp[12] = 5 << 4;
  put16(tcp + 16, l4_checksum(m, src, dst, kTcp, tcp, 20));
  put_ip(m, src, dst, kTcp, 20, out + off);
  return off + ip_len + 20;
}

size_t build_dns_nxdomain(const uint8_t* frame, const PacketMeta& m, uint8_t* out) {
  if (m.ip_version == 0 || m.l4_proto != kUdp || !m.has_l4 || m.is_fragment || m.payload_len < 12 + 5) return 0;
  const uint8_t* q = frame + m.payload_offset;
  // A query (QR 0, opcode QUERY) with one question: the question's end bounds what is echoed.
  if ((q[2] & 0xf8) != 0 || q[4] != 0 || q[5] != 1) return 0;
  size_t i = 12;
  while (i < m.payload_len && q[i] != 0) {
    if (q[i] > 63 || i + 1 + q[i] >= m.payload_len) return 0;
    i += 1 + q[i];
  }
  if (i >= m.payload_len || i + 1 + 4 > m.payload_len) return 0;
  const size_t dns_len = i + 1 + 4;  // header, name, its root label, qtype, qclass
  if (dns_len > 12 + 260) return 0;
  size_t off = put_l2(frame, m, true, out);
  const size_t ip_len = m.ip_version == 4 ? 20 : 40;
  uint8_t* udp = out + off + ip_len;
  uint8_t* dns = udp + 8;
  std::memcpy(dns, q, dns_len);
  dns[2] = static_cast<uint8_t>(0x80 | (q[2] & 0x01));  // QR, opcode QUERY, RD as asked
  dns[3] = 0x80 | 3;                                    // RA, RCODE NXDOMAIN
  std::memset(dns + 6, 0, 6);                           // no answer, authority, additional
  put16(udp, m.dport);
  put16(udp + 2, m.sport);
  put16(udp + 4, static_cast<uint16_t>(8 + dns_len));
  put16(udp + 6, 0);
  put16(udp + 6, l4_checksum(m, m.dst, m.src, kUdp, udp, 8 + dns_len));
  put_ip(m, m.dst, m.src, kUdp, 8 + dns_len, out + off);
  return off + ip_len + 8 + dns_len;
}

}  // namespace iocgate
