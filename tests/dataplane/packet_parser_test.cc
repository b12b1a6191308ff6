// tests/dataplane/packet_parser_test.cc — table-driven tests of parse_packet over frames from
// PacketBuilder: tags, IPv4 options and fragments, IPv6 extension chains, padding, truncation.
#include "dataplane/packet_parser.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/dataplane/packet_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::PacketBuilder;

struct Expect {
  ParseStatus status = ParseStatus::kOk;
  uint8_t vlan_count = 0;
  uint16_t vlan0 = 0, vlan1 = 0;
  uint8_t ip_version = 0;
  uint8_t l4_proto = 0;
  uint8_t has_l4 = 0;
  uint8_t is_fragment = 0;
  uint8_t later_fragment = 0;
  uint16_t sport = 0, dport = 0;
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0;
  uint16_t l3_offset = 0;
  uint16_t payload_offset = 0;
  uint16_t payload_len = 0;
};

struct Case {
  std::string description;
  Bytes frame;
  Expect want;
};

const Bytes kPayload5 = test::bytes_of("hello");

std::vector<Case> cases() {
  std::vector<Case> c;
  c.push_back({"IPv4 TCP",
               PacketBuilder().ipv4().tcp(40000, 443, 0x02, 7).payload(kPayload5).build(),
               {.ip_version = 4, .l4_proto = 6, .has_l4 = 1, .sport = 40000, .dport = 443,
                .tcp_flags = 0x02, .tcp_seq = 7, .l3_offset = 14, .payload_offset = 54,
                .payload_len = 5}});
  c.push_back({"IPv4 TCP with options",
               PacketBuilder().ipv4().tcp(1, 2, 0x10, 0xdeadbeef, Bytes{2, 4, 5, 0xb4, 1, 3, 3, 7})
                   .payload(kPayload5).build(),
               {.ip_version = 4, .l4_proto = 6, .has_l4 = 1, .sport = 1, .dport = 2,
                .tcp_flags = 0x10, .tcp_seq = 0xdeadbeef, .l3_offset = 14, .payload_offset = 62,
                .payload_len = 5}});
  c.push_back({"IPv4 UDP",
               PacketBuilder().ipv4().udp(5353, 53).payload(kPayload5).build(),
               {.ip_version = 4, .l4_proto = 17, .has_l4 = 1, .sport = 5353, .dport = 53,
                .l3_offset = 14, .payload_offset = 42, .payload_len = 5}});
  c.push_back({"802.1Q VLAN",
               PacketBuilder().vlan(0x8100, 0x2064).ipv4().udp(1, 53).payload(kPayload5).build(),
               {.vlan_count = 1, .vlan0 = 0x064, .ip_version = 4, .l4_proto = 17, .has_l4 = 1,
                .sport = 1, .dport = 53, .l3_offset = 18, .payload_offset = 46, .payload_len = 5}});
  c.push_back({"QinQ 0x88a8 outer",
               PacketBuilder().vlan(0x88a8, 100).vlan(0x8100, 200).ipv4().tcp(1, 80)
                   .payload(kPayload5).build(),
               {.vlan_count = 2, .vlan0 = 100, .vlan1 = 200, .ip_version = 4, .l4_proto = 6,
                .has_l4 = 1, .sport = 1, .dport = 80, .tcp_flags = 0x18, .tcp_seq = 1000,
                .l3_offset = 22, .payload_offset = 62, .payload_len = 5}});
  c.push_back({"QinQ 0x8100 outer",
               PacketBuilder().vlan(0x8100, 0xfff).vlan(0x8100, 1).ipv4().tcp(1, 80)
                   .payload(kPayload5).build(),
               {.vlan_count = 2, .vlan0 = 0xfff, .vlan1 = 1, .ip_version = 4, .l4_proto = 6,
                .has_l4 = 1, .sport = 1, .dport = 80, .tcp_flags = 0x18, .tcp_seq = 1000,
                .l3_offset = 22, .payload_offset = 62, .payload_len = 5}});
  c.push_back({"QinQ 0x9100 outer",
               PacketBuilder().vlan(0x9100, 7).vlan(0x8100, 8).ipv6().udp(1, 53).build(),
               {.vlan_count = 2, .vlan0 = 7, .vlan1 = 8, .ip_version = 6, .l4_proto = 17,
                .has_l4 = 1, .sport = 1, .dport = 53, .l3_offset = 22, .payload_offset = 70,
                .payload_len = 0}});
  c.push_back({"three VLAN tags: the third is skipped and the IP header still judged",
               PacketBuilder().vlan(0x88a8, 1).vlan(0x8100, 2).vlan(0x8100, 3).ipv4().tcp(1, 80)
                   .build(),
               {.vlan_count = 2, .vlan0 = 1, .vlan1 = 2, .ip_version = 4, .l4_proto = 6, .has_l4 = 1,
                .sport = 1, .dport = 80, .tcp_flags = 0x18, .tcp_seq = 1000, .l3_offset = 26,
                .payload_offset = 66, .payload_len = 0}});
  {
    PacketBuilder b;
    for (int i = 0; i < 9; ++i) b.vlan(0x8100, static_cast<uint16_t>(i + 1));
    c.push_back({"nine VLAN tags refused", b.ipv4().tcp(1, 80).build(),
                 {.status = ParseStatus::kMalformed, .vlan_count = 2, .vlan0 = 1, .vlan1 = 2}});
  }
  c.push_back({"IPv4 options (record route, 12 bytes)",
               PacketBuilder().ipv4().ipv4_options(Bytes{7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0})
                   .tcp(1, 80).payload(kPayload5).build(),
               {.ip_version = 4, .l4_proto = 6, .has_l4 = 1, .sport = 1, .dport = 80,
                .tcp_flags = 0x18, .tcp_seq = 1000, .l3_offset = 14, .payload_offset = 66,
                .payload_len = 5}});
  c.push_back({"IPv4 maximum options (IHL 15)",
               PacketBuilder().ipv4().ipv4_options(Bytes(40, 1)).udp(1, 2).payload(kPayload5)
                   .build(),
               {.ip_version = 4, .l4_proto = 17, .has_l4 = 1, .sport = 1, .dport = 2,
                .l3_offset = 14, .payload_offset = 82, .payload_len = 5}});
  c.push_back({"IPv4 first fragment (MF, offset 0)",
               PacketBuilder().ipv4().ipv4_fragment(0, true).udp(1, 53).payload(kPayload5).build(),
               {.ip_version = 4, .l4_proto = 17, .has_l4 = 1, .is_fragment = 1, .sport = 1,
                .dport = 53, .l3_offset = 14, .payload_offset = 42, .payload_len = 5}});
  c.push_back({"IPv4 later fragment (MF, offset 185)",
               PacketBuilder().ipv4().ipv4_fragment(185, true).protocol(6).payload(kPayload5)
                   .build(),
               {.ip_version = 4, .l4_proto = 6, .has_l4 = 0, .is_fragment = 1,
                .later_fragment = 1, .l3_offset = 14, .payload_offset = 34, .payload_len = 5}});
  c.push_back({"IPv4 last fragment (offset, no MF)",
               PacketBuilder().ipv4().ipv4_fragment(1, false).protocol(17).payload(kPayload5)
                   .build(),
               {.ip_version = 4, .l4_proto = 17, .has_l4 = 0, .is_fragment = 1,
                .later_fragment = 1, .l3_offset = 14, .payload_offset = 34, .payload_len = 5}});
  c.push_back({"IPv4 tiny first fragment cutting the TCP header",
               PacketBuilder().ipv4().ipv4_fragment(0, true).protocol(6).payload(Bytes(8, 0))
                   .build(),
               {.status = ParseStatus::kTruncated, .ip_version = 4, .l4_proto = 6,
                .is_fragment = 1, .l3_offset = 14, .payload_offset = 34, .payload_len = 8}});
  c.push_back({"Ethernet padding excluded (IPv4 TCP SYN, 60-byte frame)",
               PacketBuilder().ipv4().tcp(1, 80, 0x02).padding(6).build(),
               {.ip_version = 4, .l4_proto = 6, .has_l4 = 1, .sport = 1, .dport = 80,
                .tcp_flags = 0x02, .tcp_seq = 1000, .l3_offset = 14, .payload_offset = 54,
                .payload_len = 0}});
  c.push_back({"Ethernet padding excluded (VLAN UDP, 2 payload bytes)",
               PacketBuilder().vlan(0x8100, 5).ipv4().udp(1, 53).payload(Bytes{0xab, 0xcd})
                   .padding(16).build(),
               {.vlan_count = 1, .vlan0 = 5, .ip_version = 4, .l4_proto = 17, .has_l4 = 1,
                .sport = 1, .dport = 53, .l3_offset = 18, .payload_offset = 46,
                .payload_len = 2}});
  c.push_back({"IPv4 ICMP: no L4 ports",
               PacketBuilder().ipv4().protocol(1).payload(Bytes{8, 0, 0, 0, 0, 1, 0, 1}).build(),
               {.ip_version = 4, .l4_proto = 1, .l3_offset = 14, .payload_offset = 34,
                .payload_len = 8}});
  c.push_back({"IPv4 IHL 4 malformed",
               PacketBuilder().ipv4().ipv4_ihl(4).tcp(1, 80).build(),
               {.status = ParseStatus::kMalformed, .ip_version = 4, .l4_proto = 6, .l3_offset = 14}});
  c.push_back({"IPv4 total length below IHL malformed",
               PacketBuilder().ipv4().ipv4_total_length(19).tcp(1, 80).build(),
               {.status = ParseStatus::kMalformed, .ip_version = 4, .l4_proto = 6, .l3_offset = 14}});
  c.push_back({"IPv4 total length beyond the frame truncated",
               PacketBuilder().ipv4().ipv4_total_length(1500).tcp(1, 80).build(),
               {.status = ParseStatus::kTruncated, .ip_version = 4, .l4_proto = 6, .l3_offset = 14}});
  c.push_back({"IPv4 total length cuts the TCP header",
               PacketBuilder().ipv4().ipv4_total_length(30).tcp(1, 80).build(),
               {.status = ParseStatus::kTruncated, .ip_version = 4, .l4_proto = 6,
                .l3_offset = 14, .payload_offset = 34, .payload_len = 10}});
  c.push_back({"IPv6 TCP",
               PacketBuilder().ipv6().tcp(50000, 443, 0x02, 99).payload(kPayload5).build(),
               {.ip_version = 6, .l4_proto = 6, .has_l4 = 1, .sport = 50000, .dport = 443,
                .tcp_flags = 0x02, .tcp_seq = 99, .l3_offset = 14, .payload_offset = 74,
                .payload_len = 5}});
  c.push_back({"IPv6 hop-by-hop + fragment (first) + UDP",
               PacketBuilder().ipv6().ipv6_ext(0).ipv6_fragment(0, true).udp(1, 53)
                   .payload(kPayload5).build(),
               {.ip_version = 6, .l4_proto = 17, .has_l4 = 1, .is_fragment = 1, .sport = 1,
                .dport = 53, .l3_offset = 14, .payload_offset = 78, .payload_len = 5}});
  c.push_back({"IPv6 hop-by-hop + fragment (later)",
               PacketBuilder().ipv6().ipv6_ext(0).ipv6_fragment(100, false).protocol(6)
                   .payload(kPayload5).build(),
               {.ip_version = 6, .l4_proto = 6, .has_l4 = 0, .is_fragment = 1,
                .later_fragment = 1, .l3_offset = 14, .payload_offset = 70, .payload_len = 5}});
  c.push_back({"IPv6 routing + destination options + AH + TCP",
               PacketBuilder().ipv6().ipv6_ext(43, 2).ipv6_ext(60, 1).ipv6_ah(4).tcp(1, 22)
                   .build(),
               {.ip_version = 6, .l4_proto = 6, .has_l4 = 1, .sport = 1, .dport = 22,
                .tcp_flags = 0x18, .tcp_seq = 1000, .l3_offset = 14,
                .payload_offset = 14 + 40 + 24 + 16 + 24 + 20, .payload_len = 0}});
  {
    PacketBuilder b;
    b.ipv6();
    for (int i = 0; i < 8; ++i) b.ipv6_ext(60);
    c.push_back({"IPv6 eight extension headers accepted",
                 b.udp(1, 53).build(),
                 {.ip_version = 6, .l4_proto = 17, .has_l4 = 1, .sport = 1, .dport = 53,
                  .l3_offset = 14, .payload_offset = 14 + 40 + 64 + 8, .payload_len = 0}});
    b.ipv6_ext(60);
    c.push_back({"IPv6 nine extension headers refused", b.udp(1, 53).build(),
                 {.status = ParseStatus::kMalformed, .ip_version = 6, .l3_offset = 14}});
  }
  c.push_back({"IPv6 ESP: no L4",
               PacketBuilder().ipv6().protocol(50).payload(Bytes(16, 0xee)).build(),
               {.ip_version = 6, .l4_proto = 50, .l3_offset = 14, .payload_offset = 54,
                .payload_len = 16}});
  c.push_back({"IPv6 no next header",
               PacketBuilder().ipv6().ipv6_ext(0).protocol(59).build(),
               {.ip_version = 6, .l4_proto = 59, .l3_offset = 14, .payload_offset = 62,
                .payload_len = 0}});
  c.push_back({"IPv6 padding excluded",
               PacketBuilder().ipv6().udp(1, 53).payload(Bytes{1}).padding(3).build(),
               {.ip_version = 6, .l4_proto = 17, .has_l4 = 1, .sport = 1, .dport = 53,
                .l3_offset = 14, .payload_offset = 62, .payload_len = 1}});
  c.push_back({"ARP is not IP",
               PacketBuilder().ethertype(0x0806).payload(Bytes(28, 0)).build(),
               {.status = ParseStatus::kNotIp, .l3_offset = 14}});
  c.push_back({"LLDP behind a VLAN tag is not IP",
               PacketBuilder().vlan(0x8100, 3).ethertype(0x88cc).payload(Bytes(20, 0)).build(),
               {.status = ParseStatus::kNotIp, .vlan_count = 1, .vlan0 = 3, .l3_offset = 18}});
  {
    Bytes f = PacketBuilder().ipv4().tcp(1, 80).build();
    f[14] = 0x65;  // version 6 in an IPv4 ethertype
    c.push_back({"IPv4 ethertype with version 6 malformed", f,
                 {.status = ParseStatus::kMalformed, .l3_offset = 14}});
  }
  {
    Bytes f = PacketBuilder().ipv4().tcp(1, 80).build();
    f[14 + 20 + 12] = 0x40;  // TCP data offset 4 words
    c.push_back({"TCP data offset below 5 malformed", f,
                 {.status = ParseStatus::kMalformed, .ip_version = 4, .l4_proto = 6,
                  .l3_offset = 14, .payload_offset = 34, .payload_len = 20}});
  }
  return c;
}

void expect_meta(const Expect& w, const PacketMeta& m) {
  EXPECT_EQ(w.vlan_count, m.vlan_count);
  if (w.vlan_count > 0) {
    EXPECT_EQ(w.vlan0, m.vlan[0]);
  }
  if (w.vlan_count > 1) {
    EXPECT_EQ(w.vlan1, m.vlan[1]);
  }
  EXPECT_EQ(w.l3_offset, m.l3_offset);
  if (w.status != ParseStatus::kOk && w.ip_version == 0) return;
  EXPECT_EQ(w.ip_version, m.ip_version);
  EXPECT_EQ(w.l4_proto, m.l4_proto);
  EXPECT_EQ(w.has_l4, m.has_l4);
  EXPECT_EQ(w.is_fragment, m.is_fragment);
  EXPECT_EQ(w.later_fragment, m.later_fragment);
  EXPECT_EQ(w.sport, m.sport);
  EXPECT_EQ(w.dport, m.dport);
  EXPECT_EQ(w.tcp_flags, m.tcp_flags);
  EXPECT_EQ(w.tcp_seq, m.tcp_seq);
  if (w.status == ParseStatus::kOk) {
    EXPECT_EQ(w.payload_offset, m.payload_offset);
    EXPECT_EQ(w.payload_len, m.payload_len);
  }
}

TEST(PacketParser, Table) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.description);
    PacketMeta m;
    std::memset(&m, 0xa5, sizeof m);  // stale fields must not leak through
    EXPECT_EQ(c.want.status, parse_packet(c.frame.data(), c.frame.size(), m));
    expect_meta(c.want, m);
  }
}

TEST(PacketParser, AddressesCopied) {
  Bytes f4 = PacketBuilder().ipv4().udp(1, 2).build();
  PacketMeta m;
  ASSERT_EQ(ParseStatus::kOk, parse_packet(f4.data(), f4.size(), m));
  EXPECT_EQ(0, std::memcmp(m.src, test::kV4Src.data(), 4));
  EXPECT_EQ(0, std::memcmp(m.dst, test::kV4Dst.data(), 4));
  Bytes f6 = PacketBuilder().ipv6().ipv6_ext(0).udp(1, 2).build();
  ASSERT_EQ(ParseStatus::kOk, parse_packet(f6.data(), f6.size(), m));
  EXPECT_EQ(0, std::memcmp(m.src, test::kV6Src.data(), 16));
  EXPECT_EQ(0, std::memcmp(m.dst, test::kV6Dst.data(), 16));
}

// Cutting a frame anywhere before the end of its IP datagram leaves a header (Ethernet, tag,
// IP, extension, L4) or the datagram itself running past the frame.
TEST(PacketParser, TruncatedAtEveryLength) {
  const Bytes frames[] = {
      PacketBuilder().ipv4().tcp(1, 80).payload(kPayload5).build(),
      PacketBuilder().vlan(0x88a8, 1).vlan(0x8100, 2).ipv4()
          .ipv4_options(Bytes{7, 7, 4, 0, 0, 0, 0}).udp(1, 53).payload(kPayload5).build(),
      PacketBuilder().vlan(0x8100, 9).ipv6().ipv6_ext(0).ipv6_fragment(0, true).ipv6_ah(1)
          .tcp(1, 443, 0x02, 1, Bytes{2, 4, 5, 0xb4}).payload(kPayload5).build(),
      PacketBuilder().ipv6().ipv6_ext(43, 1).ipv6_ext(60).udp(1, 53).build(),
  };
  for (const Bytes& f : frames) {
    PacketMeta full;
    ASSERT_EQ(ParseStatus::kOk, parse_packet(f.data(), f.size(), full));
    ASSERT_EQ(1, full.has_l4);
    const size_t fixed_ip_end = full.l3_offset + (full.ip_version == 4 ? 20 : 40);
    for (size_t cut = 0; cut < f.size(); ++cut) {
      SCOPED_TRACE("cut at " + std::to_string(cut) + " of " + std::to_string(f.size()));
      Bytes prefix(f.begin(), f.begin() + cut);  // exact-size copy so ASan sees overreads
      PacketMeta m;
      EXPECT_EQ(ParseStatus::kTruncated, parse_packet(prefix.data(), prefix.size(), m));
      EXPECT_EQ(0, m.has_l4);
      // Once the fixed IP header is in, the addresses are known even though the rest is cut.
      if (cut >= fixed_ip_end) {
        EXPECT_EQ(full.ip_version, m.ip_version);
        EXPECT_EQ(0, std::memcmp(full.src, m.src, 16));
        EXPECT_EQ(0, std::memcmp(full.dst, m.dst, 16));
      } else {
        EXPECT_EQ(0, m.ip_version);
      }
    }
  }
}

// With the IP length consistent with each cut (as a sender would write it), each header
// boundary that falls short is still reported as truncated, never read past.
TEST(PacketParser, IpLengthEndsInsideHeaders) {
  const Bytes base = PacketBuilder().ipv6().ipv6_ext(0, 1).ipv6_fragment(0, true).tcp(1, 80)
                         .build();
  const size_t ip = 14;
  for (size_t plen = 0; plen < base.size() - ip - 40; ++plen) {
    SCOPED_TRACE("IPv6 payload length " + std::to_string(plen));
    Bytes f(base.begin(), base.begin() + ip + 40 + plen);
    test::set16(f, ip + 4, static_cast<uint16_t>(plen));
    PacketMeta m;
    EXPECT_EQ(ParseStatus::kTruncated, parse_packet(f.data(), f.size(), m));
  }
  const Bytes base4 = PacketBuilder().ipv4().ipv4_options(Bytes(8, 1)).udp(1, 53).build();
  for (size_t total = 28; total < base4.size() - ip; ++total) {
    SCOPED_TRACE("IPv4 total length " + std::to_string(total));
    Bytes f(base4.begin(), base4.begin() + ip + total);
    test::set16(f, ip + 2, static_cast<uint16_t>(total));
    PacketMeta m;
    EXPECT_EQ(ParseStatus::kTruncated, parse_packet(f.data(), f.size(), m));
  }
}

}  // namespace
}  // namespace iocgate
