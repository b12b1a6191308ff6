// tests/dataplane/symmetric_hash_test.cc — the distributor's hash: equal both ways, equal for a
// flow's fragments and every VLAN wrapping, equal to what parse_packet reads, and spread.
#include "dataplane/symmetric_hash.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>
#include <vector>

#include "dataplane/packet_parser.h"
#include "tests/dataplane/packet_builder.h"

namespace iocgate {
namespace {

using test::Bytes;
using test::PacketBuilder;

uint32_t hash_of(const Bytes& f) { return symmetric_address_hash(f.data(), static_cast<uint32_t>(f.size())); }

// What the classifier sees of a frame, hashed: the distributor must agree with it.
uint32_t hash_of_parsed(const Bytes& f) {
  PacketMeta m;
  parse_packet(f.data(), static_cast<uint32_t>(f.size()), m);
  if (m.ip_version == 0) return 0;
  return symmetric_address_hash(m.src, m.dst, m.ip_version == 4 ? 4 : 16);
}

TEST(SymmetricHash, BothDirectionsOfIpv4AndIpv6FlowsHashAlike) {
  const std::array<uint8_t, 4> a{10, 1, 2, 3}, b{203, 0, 113, 9};
  const Bytes ab = PacketBuilder().ipv4(a, b).tcp(40000, 443).build();
  const Bytes ba = PacketBuilder().ipv4(b, a).tcp(443, 40000, 0x10).build();
  EXPECT_NE(hash_of(ab), 0u);
  EXPECT_EQ(hash_of(ab), hash_of(ba));
  const Bytes v6ab = PacketBuilder().ipv6(test::kV6Src, test::kV6Dst).udp(5353, 53).build();
  const Bytes v6ba = PacketBuilder().ipv6(test::kV6Dst, test::kV6Src).udp(53, 5353).build();
  EXPECT_NE(hash_of(v6ab), 0u);
  EXPECT_EQ(hash_of(v6ab), hash_of(v6ba));
}

TEST(SymmetricHash, FragmentsVlansAndPortsDoNotMoveAFlow) {
  const uint32_t plain = hash_of(PacketBuilder().ipv4().tcp(1, 2).build());
  // A later fragment has no ports: it must still reach the worker holding its datagram.
  EXPECT_EQ(hash_of(PacketBuilder().ipv4().ipv4_fragment(100, false).payload("tail").build()), plain);
  EXPECT_EQ(hash_of(PacketBuilder().ipv4().udp(9, 9).build()), plain);
  EXPECT_EQ(hash_of(PacketBuilder().vlan(0x88a8, 10).vlan(0x8100, 20).ipv4().tcp(1, 2).build()), plain);
  EXPECT_EQ(hash_of(PacketBuilder().ipv6().ipv6_ext(0).ipv6_fragment(8, false).payload("x").build()),
            hash_of(PacketBuilder().ipv6().tcp(1, 2).build()));
}

TEST(SymmetricHash, AgreesWithTheParserOnEveryKindOfFrame) {
  PacketBuilder tags;
  for (int i = 0; i < 8; ++i) tags.vlan(0x8100, static_cast<uint16_t>(i));
  PacketBuilder too_many = tags;
  too_many.vlan(0x9100, 9);
  const std::vector<Bytes> frames = {
      PacketBuilder().ipv4().tcp(1, 2).build(),
      PacketBuilder().ipv4().ipv4_ihl(3).build(),             // malformed, addresses read
      PacketBuilder().ipv4().ipv4_total_length(9999).build(),  // truncated, addresses read
      tags.ipv4().tcp(1, 2).build(),                           // 8 tags: still judged
      too_many.ipv4().tcp(1, 2).build(),                       // 9 tags: refused by both
      PacketBuilder().ethertype(0x0806).payload("arp").build(),
      PacketBuilder().ipv6().ipv6_ext(0).ipv6_ext(60).tcp(1, 2).build(),
  };
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(hash_of(frames[i]), hash_of_parsed(frames[i])) << "frame " << i;
    // Every prefix: a frame cut anywhere hashes as the parser reads it.
    for (size_t n = 0; n < frames[i].size(); ++n) {
      Bytes cut(frames[i].begin(), frames[i].begin() + static_cast<long>(n));
      EXPECT_EQ(hash_of(cut), hash_of_parsed(cut)) << "frame " << i << " cut at " << n;
    }
  }
  EXPECT_EQ(hash_of(frames[4]), 0u);
  EXPECT_EQ(hash_of(frames[5]), 0u);
}

TEST(SymmetricHash, HostPairsSpreadEvenlyOverWorkers) {
  // 10.0.x.y talking to one server: hosts that differ only in low bits, as in a /16.
  for (uint32_t workers : {2u, 3u, 4u, 16u}) {
    std::vector<uint32_t> count(workers, 0);
    const uint32_t pairs = 65536;
    for (uint32_t i = 0; i < pairs; ++i) {
      const uint8_t a[4] = {10, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
      const uint8_t b[4] = {198, 51, 100, 7};
      ++count[(uint64_t{symmetric_address_hash(a, b, 4)} * workers) >> 32];
    }
    for (uint32_t w = 0; w < workers; ++w) {
      EXPECT_GT(count[w], pairs / workers * 9 / 10) << workers << " workers, worker " << w;
      EXPECT_LT(count[w], pairs / workers * 11 / 10) << workers << " workers, worker " << w;
    }
  }
}

}  // namespace
}  // namespace iocgate
