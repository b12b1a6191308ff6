// dataplane/packet_parser.h — L2–L4 parse of one frame into the fields the verdict needs.
// Pure and DPDK-free so it is unit-tested and fuzzed alone; called per packet by the workers:
// no allocation, no exceptions, bounded work.
#pragma once

#include <cstdint>

namespace iocgate {

enum class ParseStatus : uint8_t {
  kOk,          // an IPv4/IPv6 packet; fields below are valid as far as the flags say
  kNotIp,       // ARP, LLDP, ...: forwarded untouched
  kTruncated,   // a header runs past the frame
  kMalformed,   // a header field is impossible (IHL < 5, bad version, ...)
};

struct PacketMeta {
  uint16_t vlan[2];          // outer, inner TCI VLAN ids (12 bits); valid up to vlan_count
  uint8_t vlan_count;        // 0, 1 (802.1Q) or 2 (QinQ: outer 0x88a8 or 0x8100)
  uint8_t ip_version;        // 4 or 6
  uint8_t l4_proto;          // IPPROTO_TCP, IPPROTO_UDP, or another protocol number
  uint8_t has_l4;            // 1 when sport/dport (and TCP fields) were read
  uint8_t is_fragment;       // part of a fragmented datagram
  uint8_t later_fragment;    // a non-first fragment: no L4 header, judged by address only
  uint8_t tcp_flags;         // TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10)
  uint8_t src[16];           // IPv4 in src[0..4), network byte order
  uint8_t dst[16];
  uint16_t sport;            // host byte order
  uint16_t dport;
  uint32_t tcp_seq;          // host byte order
  uint32_t tcp_ack;          // host byte order (a reset in reply takes its sequence from it)
  uint16_t l3_offset;        // offset of the IP header in the frame
  uint16_t payload_offset;   // offset of the L4 payload in the frame
  uint16_t payload_len;      // L4 payload bytes present in the frame (bounded by IP length)
  // Fragments (valid when frag_ok): where this fragment's data lies and where it goes.
  uint8_t frag_ok;           // 1 when the fragment fields below were read from a whole header
  uint8_t frag_more;         // more fragments follow (IPv4 MF, IPv6 M)
  uint8_t frag_next;         // IPv4 protocol, or the IPv6 fragment header's next header
  uint16_t frag_offset;      // byte offset of this fragment's data in the datagram
  uint16_t frag_data_offset; // offset in the frame of the fragment's data
  uint16_t frag_data_len;    // its length (bounded by the IP length)
  uint32_t frag_id;          // IPv4 identification (16 bits) or IPv6 fragment identification
};

// Parses Ethernet, up to two VLAN tags (0x8100 / 0x88a8 / 0x9100), IPv4 (with options;
// fragments), IPv6 (hop-by-hop, routing, destination options, fragment, AH extension
// headers), then TCP or UDP. Trailing Ethernet padding is excluded from payload_len.
// Whatever the status, ip_version != 0 means src/dst (and l4_proto, the fragment flags) were
// read from a complete fixed IP header, so a truncated or malformed datagram can still be
// judged by its addresses. A third VLAN tag is kMalformed (not kNotIp: stacking tags must not
// carry IP past the filter); so are IHL < 5, IPv4 total length < IHL, TCP data offset < 5 and
// more than 8 IPv6 extension headers. A TCP/UDP header cut by the IP length (e.g. a tiny
// first fragment) is kTruncated. payload_offset/payload_len are set when has_l4, and for a
// non-TCP/UDP protocol or a later fragment (the bytes after the IP/extension headers).
ParseStatus parse_packet(const uint8_t* frame, uint32_t len, PacketMeta& meta);

// Reads the transport header of a reassembled datagram: `data` is its fragmentable part (for
// IPv6 possibly starting with further extension headers), `next` the protocol of its first
// byte. The caller has filled meta's addresses; this sets l4_proto, ports, TCP fields and
// payload_offset/payload_len relative to `data`, under the same rules as parse_packet.
ParseStatus parse_reassembled(const uint8_t* data, uint32_t len, uint8_t next, PacketMeta& meta);

}  // namespace iocgate
