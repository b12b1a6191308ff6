// dataplane/packet_parser.cc — Ethernet/VLAN/IPv4/IPv6/TCP/UDP decode of one frame into PacketMeta.
// Runs per packet on the workers, so every read is bounds-checked against len and loops are capped.
#include "dataplane/packet_parser.h"

#include <cstring>

namespace iocgate {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
// The IPv6 extension-header walk stops here: real stacks send two or three, and an attacker
// must not be able to make a worker walk an arbitrarily long chain.
constexpr int kMaxIpv6ExtHeaders = 8;
constexpr int kMaxVlanTags = 2;
constexpr int kMaxSkippedVlanTags = 8;  // bounds the loop; no real network stacks more

// Frames come straight from the NIC at arbitrary alignment: memcpy keeps loads legal on
// every target and compiles to a single load plus bswap.
inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline uint32_t load_be32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}

inline bool is_vlan_tpid(uint16_t t) { return t == 0x8100 || t == 0x88a8 || t == 0x9100; }

// Reads the L4 header in [off, end); `end` is where the IP datagram ends, which excludes any
// Ethernet padding the NIC delivered after it.
[[gnu::always_inline]] inline ParseStatus parse_l4(const uint8_t* frame, uint32_t off, uint32_t end, PacketMeta& meta) {
  meta.payload_offset = static_cast<uint16_t>(off);
  meta.payload_len = static_cast<uint16_t>(end - off);
  if (meta.later_fragment) return ParseStatus::kOk;  // no L4 header in a non-first fragment
  const uint8_t* l4 = frame + off;
  if (meta.l4_proto == kProtoTcp) {
    // A first fragment too short for the ports (RFC 1858 tiny fragment) is reported as
    // truncated so the caller can drop it rather than judge it without ports.
    if (end - off < 20) return ParseStatus::kTruncated;
    const uint32_t doff = static_cast<uint32_t>(l4[12] >> 4) * 4;
    if (doff < 20) return ParseStatus::kMalformed;
    if (end - off < doff) return ParseStatus::kTruncated;
    meta.sport = load_be16(l4);
    meta.dport = load_be16(l4 + 2);
    meta.tcp_seq = load_be32(l4 + 4);
    meta.tcp_ack = load_be32(l4 + 8);
    meta.tcp_flags = l4[13];
    meta.has_l4 = 1;
    meta.payload_offset = static_cast<uint16_t>(off + doff);
    meta.payload_len = static_cast<uint16_t>(end - off - doff);
  } else if (meta.l4_proto == kProtoUdp) {
    if (end - off < 8) return ParseStatus::kTruncated;
    meta.sport = load_be16(l4);
    meta.dport = load_be16(l4 + 2);
    meta.has_l4 = 1;
    meta.payload_offset = static_cast<uint16_t>(off + 8);
    // The UDP length may only shrink the payload: a larger one is a lie the IP length caps,
    // and 0 is legal for IPv6 jumbograms.
    const uint32_t ulen = load_be16(l4 + 4);
    const uint32_t avail = end - off;
    meta.payload_len = static_cast<uint16_t>((ulen >= 8 && ulen <= avail ? ulen : avail) - 8);
  }
  return ParseStatus::kOk;
}

[[gnu::always_inline]] inline ParseStatus parse_ipv4(const uint8_t* frame, uint32_t len, uint32_t off, PacketMeta& meta) {
  if (len - off < 20) return ParseStatus::kTruncated;
  const uint8_t* ip = frame + off;
  if ((ip[0] >> 4) != 4) return ParseStatus::kMalformed;
  // Addresses first: a frame whose lengths lie is still judged by who sent it.
  meta.ip_version = 4;
  std::memcpy(meta.src, ip + 12, 4);
  std::memcpy(meta.dst, ip + 16, 4);
  meta.l4_proto = ip[9];
  const uint16_t frag = load_be16(ip + 6);
  const bool more_fragments = (frag & 0x2000) != 0;
  const bool offset_nonzero = (frag & 0x1fff) != 0;
  meta.is_fragment = more_fragments || offset_nonzero;
  meta.later_fragment = offset_nonzero;
  const uint32_t ihl = static_cast<uint32_t>(ip[0] & 0x0f) * 4;
  if (ihl < 20) return ParseStatus::kMalformed;
  if (len - off < ihl) return ParseStatus::kTruncated;
  const uint32_t total = load_be16(ip + 2);
  if (total < ihl) return ParseStatus::kMalformed;
  if (len - off < total) return ParseStatus::kTruncated;
  if (meta.is_fragment) {
    meta.frag_ok = 1;
    meta.frag_more = more_fragments;
    meta.frag_next = meta.l4_proto;
    meta.frag_offset = static_cast<uint16_t>((frag & 0x1fff) * 8);
    meta.frag_data_offset = static_cast<uint16_t>(off + ihl);
    meta.frag_data_len = static_cast<uint16_t>(total - ihl);
    meta.frag_id = load_be16(ip + 4);
  }
  return parse_l4(frame, off + ihl, off + total, meta);
}

ParseStatus parse_ipv6(const uint8_t* frame, uint32_t len, uint32_t off, PacketMeta& meta) {
  if (len - off < 40) return ParseStatus::kTruncated;
  const uint8_t* ip = frame + off;
  if ((ip[0] >> 4) != 6) return ParseStatus::kMalformed;
  meta.ip_version = 6;
  std::memcpy(meta.src, ip + 8, 16);
  std::memcpy(meta.dst, ip + 24, 16);
  const uint32_t end = off + 40 + load_be16(ip + 4);
  if (end > len) return ParseStatus::kTruncated;
  uint8_t next = ip[6];
  uint32_t cur = off + 40;
  for (int i = 0;; ++i) {
    uint32_t hlen;
    switch (next) {
      case 0:   // hop-by-hop options
      case 43:  // routing
      case 60:  // destination options
        if (end - cur < 2) return ParseStatus::kTruncated;
        hlen = (static_cast<uint32_t>(frame[cur + 1]) + 1) * 8;
        break;
      case 51:  // AH counts 4-byte units, minus 2
        if (end - cur < 2) return ParseStatus::kTruncated;
        hlen = (static_cast<uint32_t>(frame[cur + 1]) + 2) * 4;
        break;
      case 44:  // fragment
        hlen = 8;
        if (end - cur < hlen) return ParseStatus::kTruncated;
        meta.is_fragment = 1;
        meta.later_fragment = (load_be16(frame + cur + 2) & 0xfff8) != 0;
        meta.frag_ok = 1;
        meta.frag_more = load_be16(frame + cur + 2) & 1;
        meta.frag_next = frame[cur];
        meta.frag_offset = static_cast<uint16_t>(load_be16(frame + cur + 2) & 0xfff8);
        meta.frag_data_offset = static_cast<uint16_t>(cur + 8);
        meta.frag_data_len = static_cast<uint16_t>(end - cur - 8);
        meta.frag_id = load_be32(frame + cur + 4);
        break;
      default:  // an upper-layer protocol, ESP (50) or no-next-header (59)
        meta.l4_proto = next;
        return parse_l4(frame, cur, end, meta);
    }
    if (i == kMaxIpv6ExtHeaders) return ParseStatus::kMalformed;
    if (end - cur < hlen) return ParseStatus::kTruncated;
    next = frame[cur];
    cur += hlen;
    if (meta.later_fragment) {
      // The rest of the chain lives in the first fragment; what follows here is data.
      meta.l4_proto = next;
      return parse_l4(frame, cur, end, meta);
    }
  }
}

}  // namespace

ParseStatus parse_reassembled(const uint8_t* data, uint32_t len, uint8_t next, PacketMeta& meta) {
  meta.later_fragment = 0;
  meta.has_l4 = 0;
  uint32_t cur = 0;
  // The first fragment carried the rest of the IPv6 header chain: walk it as parse_ipv6 does.
  for (int i = 0; meta.ip_version == 6; ++i) {
    uint32_t hlen;
    if (next == 0 || next == 43 || next == 60) {
      if (len - cur < 2) return ParseStatus::kTruncated;
      hlen = (static_cast<uint32_t>(data[cur + 1]) + 1) * 8;
    } else if (next == 51) {
      if (len - cur < 2) return ParseStatus::kTruncated;
      hlen = (static_cast<uint32_t>(data[cur + 1]) + 2) * 4;
    } else if (next == 44) {
      return ParseStatus::kMalformed;  // a fragment header inside a reassembled datagram
    } else {
      break;
    }
    if (i == kMaxIpv6ExtHeaders) return ParseStatus::kMalformed;
    if (len - cur < hlen) return ParseStatus::kTruncated;
    next = data[cur];
    cur += hlen;
  }
  meta.l4_proto = next;
  return parse_l4(data, cur, len, meta);
}

ParseStatus parse_packet(const uint8_t* frame, uint32_t len, PacketMeta& meta) {
  meta = PacketMeta{};
  if (len < 14) return ParseStatus::kTruncated;
  uint16_t ethertype = load_be16(frame + 12);
  uint32_t off = 14;
  // Untagged IPv4 first: most frames skip the three TPID compares.
  if (ethertype == kEtherIpv4) {
    meta.l3_offset = static_cast<uint16_t>(off);
    return parse_ipv4(frame, len, off, meta);
  }
  for (int tags = 0; is_vlan_tpid(ethertype); ++tags) {
    // Tags beyond the two recorded are skipped, not refused: the IP header behind them must
    // still be judged, or stacking tags would carry a listed address past the filter.
    if (tags == kMaxSkippedVlanTags) return ParseStatus::kMalformed;
    if (len - off < 4) return ParseStatus::kTruncated;
    if (meta.vlan_count < kMaxVlanTags) meta.vlan[meta.vlan_count++] = load_be16(frame + off) & 0x0fff;
    ethertype = load_be16(frame + off + 2);
    off += 4;
  }
  meta.l3_offset = static_cast<uint16_t>(off);
  if (ethertype == kEtherIpv4) return parse_ipv4(frame, len, off, meta);
  if (ethertype == kEtherIpv6) return parse_ipv6(frame, len, off, meta);
  return ParseStatus::kNotIp;
}

}  // namespace iocgate
