// tests/dataplane/reject_reply_test.cc — the reject action's answers: resets that each end
// accepts (sequence numbers per RFC 793, both directions, IPv4 and IPv6, VLAN tags kept) and a
// DNS NXDOMAIN that echoes the query; every checksum verified independently; nothing built
// for a reset, a fragment or a malformed query.

#include "dataplane/reject_reply.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/dataplane/dns_builder.h"
#include "tests/dataplane/packet_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::PacketBuilder;

uint32_t be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; }
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// One's-complement sum over 16-bit words: 0xffff over a whole header (or pseudo-header and
// segment) means its checksum is right.
uint16_t ones_sum(const std::vector<uint8_t>& v) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < v.size(); i += 2) s += (uint32_t{v[i]} << 8) | v[i + 1];
  if (v.size() & 1) s += uint32_t{v.back()} << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

void expect_checksums(const uint8_t* f, size_t len, const PacketMeta& m) {
  const uint8_t* ip = f + m.l3_offset;
  std::vector<uint8_t> pseudo;
  size_t l4_len;
  const uint8_t* l4;
  if (m.ip_version == 4) {
    EXPECT_EQ(ones_sum(std::vector<uint8_t>(ip, ip + 20)), 0xffff) << "IPv4 header checksum";
    pseudo.insert(pseudo.end(), ip + 12, ip + 20);
    l4 = ip + 20;
    l4_len = be16(ip + 2) - 20;
  } else {
    pseudo.insert(pseudo.end(), ip + 8, ip + 40);
    l4 = ip + 40;
    l4_len = be16(ip + 4);
  }
  ASSERT_EQ(l4 + l4_len, f + len);
  pseudo.push_back(0);
  pseudo.push_back(m.l4_proto);
  pseudo.push_back(static_cast<uint8_t>(l4_len >> 8));
  pseudo.push_back(static_cast<uint8_t>(l4_len));
  pseudo.insert(pseudo.end(), l4, l4 + l4_len);
  EXPECT_EQ(ones_sum(pseudo), 0xffff) << "TCP/UDP checksum";
}

PacketMeta parsed(const uint8_t* f, size_t n) {
  PacketMeta m{};
  EXPECT_EQ(parse_packet(f, static_cast<uint32_t>(n), m), ParseStatus::kOk);
  return m;
}

Bytes with_ack(Bytes frame, uint32_t ack) {
  PacketMeta m = parsed(frame.data(), frame.size());
  const size_t tcp = m.payload_offset - 20;
  for (int i = 0; i < 4; ++i) frame[tcp + 8 + i] = static_cast<uint8_t>(ack >> (24 - 8 * i));
  return frame;
}

TEST(RejectReply, ResetsBothEndsOfAnEstablishedConnection) {
  for (int v : {4, 6}) {
    SCOPED_TRACE(v);
    PacketBuilder b;
    b.vlan(0x8100, 42);
    if (v == 4) b.ipv4(); else b.ipv6();
    Bytes seg = with_ack(b.tcp(40000, 443, 0x18, 1000).payload(Bytes(10, 'x')).build(), 5000);
    const PacketMeta in = parsed(seg.data(), seg.size());
    uint8_t out[kMaxRejectReply];
    // Back to the sender: from the receiver's address and port, at the sequence it acked.
    size_t n = build_tcp_reset(seg.data(), in, true, out);
    ASSERT_GT(n, 0u);
    PacketMeta r = parsed(out, n);
    EXPECT_EQ(r.vlan_count, 1);
    EXPECT_EQ(r.vlan[0], 42);
    EXPECT_EQ(std::memcmp(out, seg.data() + 6, 6), 0) << "to the sender's MAC";
    EXPECT_EQ(std::memcmp(r.src, in.dst, 16), 0);
    EXPECT_EQ(std::memcmp(r.dst, in.src, 16), 0);
    EXPECT_EQ(r.sport, 443);
    EXPECT_EQ(r.dport, 40000);
    EXPECT_EQ(r.tcp_flags, 0x04);
    EXPECT_EQ(r.tcp_seq, 5000u);
    EXPECT_EQ(r.payload_len, 0);
    expect_checksums(out, n, r);
    // On to the receiver: from the sender, at the segment's own sequence.
    n = build_tcp_reset(seg.data(), in, false, out);
    ASSERT_GT(n, 0u);
    r = parsed(out, n);
    EXPECT_EQ(std::memcmp(out, seg.data(), 12), 0) << "the frame's own MACs";
    EXPECT_EQ(std::memcmp(r.src, in.src, 16), 0);
    EXPECT_EQ(r.sport, 40000);
    EXPECT_EQ(r.tcp_flags, 0x04);
    EXPECT_EQ(r.tcp_seq, 1000u);
    expect_checksums(out, n, r);
  }
}

TEST(RejectReply, ASynGetsAResetThatAcknowledgesIt) {
  Bytes syn = PacketBuilder().ipv4().tcp(40000, 443, 0x02, 777).build();
  const PacketMeta in = parsed(syn.data(), syn.size());
  uint8_t out[kMaxRejectReply];
  const size_t n = build_tcp_reset(syn.data(), in, true, out);
  ASSERT_GT(n, 0u);
  const PacketMeta r = parsed(out, n);
  EXPECT_EQ(r.tcp_flags, 0x14) << "RST+ACK";
  EXPECT_EQ(r.tcp_seq, 0u);
  EXPECT_EQ(r.tcp_ack, 778u) << "the SYN counts as one";
  expect_checksums(out, n, r);
}

TEST(RejectReply, NoAnswerToAResetAFragmentOrNonTcp) {
  uint8_t out[kMaxRejectReply];
  Bytes rst = PacketBuilder().ipv4().tcp(1, 2, 0x04).build();
  EXPECT_EQ(build_tcp_reset(rst.data(), parsed(rst.data(), rst.size()), true, out), 0u);
  Bytes frag = PacketBuilder().ipv4().ipv4_fragment(0, true).tcp(1, 2).payload(Bytes(16, 0)).build();
  PacketMeta fm{};
  parse_packet(frag.data(), static_cast<uint32_t>(frag.size()), fm);
  EXPECT_EQ(build_tcp_reset(frag.data(), fm, true, out), 0u);
  Bytes u = PacketBuilder().ipv4().udp(1, 53).payload(Bytes(8, 0)).build();
  EXPECT_EQ(build_tcp_reset(u.data(), parsed(u.data(), u.size()), true, out), 0u);
}

TEST(RejectReply, ADnsQueryGetsNxdomainEchoingItsQuestion) {
  for (int v : {4, 6}) {
    SCOPED_TRACE(v);
    Bytes q = test::dns_query("www.evil.example");
    q[0] = 0xbe;
    q[1] = 0xef;
    PacketBuilder b;
    if (v == 4) b.ipv4(); else b.ipv6();
    Bytes frame = b.udp(53535, 53).payload(q).build();
    const PacketMeta in = parsed(frame.data(), frame.size());
    uint8_t out[kMaxRejectReply];
    const size_t n = build_dns_nxdomain(frame.data(), in, out);
    ASSERT_GT(n, 0u);
    const PacketMeta r = parsed(out, n);
    EXPECT_EQ(r.sport, 53);
    EXPECT_EQ(r.dport, 53535);
    EXPECT_EQ(std::memcmp(r.dst, in.src, 16), 0);
    const uint8_t* dns = out + r.payload_offset;
    EXPECT_EQ(dns[0], 0xbe);
    EXPECT_EQ(dns[1], 0xef);
    EXPECT_EQ(dns[2] & 0x80, 0x80) << "a response";
    EXPECT_EQ(dns[3] & 0x0f, 3) << "NXDOMAIN";
    EXPECT_EQ(be16(dns + 4), 1);
    EXPECT_EQ(be16(dns + 6), 0);
    ASSERT_EQ(r.payload_len, q.size());
    EXPECT_EQ(std::memcmp(dns + 12, q.data() + 12, q.size() - 12), 0) << "the question echoed";
    expect_checksums(out, n, r);
  }
}

TEST(RejectReply, NoAnswerToAResponseOrAMalformedQuery) {
  uint8_t out[kMaxRejectReply];
  Bytes resp = test::dns_query("evil.example");
  resp[2] |= 0x80;
  Bytes f1 = PacketBuilder().ipv4().udp(53, 5000).payload(resp).build();
  EXPECT_EQ(build_dns_nxdomain(f1.data(), parsed(f1.data(), f1.size()), out), 0u);
  Bytes cut = test::dns_query("evil.example");
  cut.resize(cut.size() - 3);
  Bytes f2 = PacketBuilder().ipv4().udp(5000, 53).payload(cut).build();
  EXPECT_EQ(build_dns_nxdomain(f2.data(), parsed(f2.data(), f2.size()), out), 0u);
  Bytes two = test::dns_query("evil.example");
  two[5] = 2;
  Bytes f3 = PacketBuilder().ipv4().udp(5000, 53).payload(two).build();
  EXPECT_EQ(build_dns_nxdomain(f3.data(), parsed(f3.data(), f3.size()), out), 0u);
}

}  // namespace
}  // namespace iocgate
