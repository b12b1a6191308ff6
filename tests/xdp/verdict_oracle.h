// tests/xdp/verdict_oracle.h — what the DPDK dataplane decides about a frame's addresses and
// its UDP DNS question (its parser, its flow-key order and the table view): the XDP program
// must decide the same value, frame for frame. Test-only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/dns_qname.h"
#include "dataplane/flow_table.h"
#include "dataplane/packet_parser.h"
#include "table/ioc_table_view.h"

namespace iocgate::test {

struct Expected {
  uint32_t value = table::kNoMatch;  // the match that decided (action and record)
  uint8_t kind = 0;                  // 1 address, 2 DNS
  bool v6 = false;
  table::Action action() const { return value == table::kNoMatch ? table::Action::kNone : table::Match{value}.action(); }
};

inline Expected expected_verdict(const table::IocTableView& v, const uint8_t* frame, size_t len) {
  Expected e;
  PacketMeta m;
  const ParseStatus st = parse_packet(frame, static_cast<uint32_t>(len), m);
  if (m.ip_version == 0) return e;
  if (st != ParseStatus::kOk) m.has_l4 = 0;
  bool src_is_a = true;
  (void)make_flow_key(m, &src_is_a);
  table::Match ms, md;
  if (m.ip_version == 4) {
    auto be32 = [](const uint8_t* p) { return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]; };
    ms = v.lookup_v4(be32(m.src));
    md = v.lookup_v4(be32(m.dst));
  } else {
    ms = v.lookup_v6(m.src);
    md = v.lookup_v6(m.dst);
  }
  // The classifier's rule on the flow's sorted endpoints: a wins ties.
  const table::Match ma = src_is_a ? ms : md, mb = src_is_a ? md : ms;
  const bool take_a = ma.hit() && (!mb.hit() || ma.action() >= mb.action());
  const uint32_t addr = take_a ? ma.value : mb.value;
  uint32_t dns = table::kNoMatch;
  if (m.has_l4 && m.l4_proto == 17 && (m.sport == 53 || m.dport == 53) && m.payload_len > 0) {
    char name[kMaxNameLen + 1];
    size_t n = 0;
    if (dns_query_name(frame + m.payload_offset, m.payload_len, name, &n) == ExtractStatus::kFound)
      dns = v.lookup_domain(name, n).value;
  }
  auto act = [](uint32_t x) { return x == table::kNoMatch ? 0u : x >> table::kActionShift; };
  e.v6 = m.ip_version == 6;
  if (dns != table::kNoMatch && act(dns) >= act(addr)) {
    e.value = dns;
    e.kind = 2;
  } else if (addr != table::kNoMatch) {
    e.value = addr;
    e.kind = 1;
  }
  return e;
}

}  // namespace iocgate::test
