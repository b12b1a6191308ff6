// tests/xdp/xdp_test_support.h — what the XDP tests share: compiling tables from IoC lists,
// running frames through the loaded program (BPF_PROG_TEST_RUN) and collecting its events.
// Loading BPF programs needs root (CAP_BPF, CAP_NET_ADMIN): the tests skip without it.
#pragma once

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "control/ioc_table_builder.h"
#include "feeds/ioc.h"
#include "tests/dataplane/dns_builder.h"
#include "tests/dataplane/packet_builder.h"
#include "xdp/xdp_loader.h"

namespace iocgate::test {

inline bool may_load_bpf() { return geteuid() == 0; }

struct TableSpec {
  struct Entry {
    table::Action action;
    Ioc ioc;
  };
  std::vector<Entry> entries;

  void v4(table::Action a, std::array<uint8_t, 4> addr, uint8_t len) {
    Ioc i;
    i.kind = IocKind::kIpv4;
    i.form = len == 32 ? IocForm::kAddress : IocForm::kCidr;
    i.prefix_len = len;
    const uint32_t host = (uint32_t{addr[0]} << 24) | (uint32_t{addr[1]} << 16) | (uint32_t{addr[2]} << 8) | addr[3];
    const uint32_t masked = len == 0 ? 0 : host & (~0u << (32 - len));
    for (int b = 0; b < 4; ++b) i.addr[b] = static_cast<uint8_t>(masked >> (24 - 8 * b));
    add(a, i);
  }
  void v6(table::Action a, std::array<uint8_t, 16> addr, uint8_t len) {
    Ioc i;
    i.kind = IocKind::kIpv6;
    i.form = len == 128 ? IocForm::kAddress : IocForm::kCidr;
    i.prefix_len = len;
    for (int bit = len; bit < 128; ++bit) addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    std::copy(addr.begin(), addr.end(), i.addr.begin());
    add(a, i);
  }
  void domain(table::Action a, const std::string& d) {
    Ioc i;
    i.kind = IocKind::kDomain;
    i.form = IocForm::kDomain;
    i.domain = d;
    add(a, i);
  }
  void add(table::Action a, Ioc i) {
    i.line = static_cast<uint32_t>(entries.size() + 1);
    entries.push_back({a, std::move(i)});
  }

  // One feed per action, as pushed feeds would be.
  table::TableBlob build() const {
    table::IocTableBuilder b;
    const table::Action acts[] = {table::Action::kAlert, table::Action::kMirror, table::Action::kDrop,
                                  table::Action::kReject, table::Action::kAllow};
    uint32_t feed[static_cast<int>(table::Action::kAllow) + 1] = {};
    for (table::Action a : acts)
      feed[static_cast<int>(a)] = b.add_feed({std::string("feed-") + table::action_name(a), a, "ADV", "G"});
    for (const Entry& e : entries) b.add(feed[static_cast<int>(e.action)], e.ioc);
    auto blob = b.build();
    if (!blob) {
      std::fprintf(stderr, "table build failed: %s\n", blob.message().c_str());
      std::abort();
    }
    return std::move(*blob);
  }
};

// The program's verdict on one frame (XDP_PASS, XDP_DROP, ...), or -errno.
inline int run_frame(int prog_fd, const Bytes& frame) {
  bpf_test_run_opts o{};
  o.sz = sizeof(o);
  o.data_in = frame.data();
  o.data_size_in = static_cast<uint32_t>(frame.size());
  o.repeat = 1;
  if (bpf_prog_test_run_opts(prog_fd, &o) != 0) return -errno;
  return static_cast<int>(o.retval);
}

inline std::vector<iocgate_xdp_event> drain_events(xdp::XdpLoader& l) {
  std::vector<iocgate_xdp_event> v;
  l.poll_events(0, [&](const iocgate_xdp_event& e) { v.push_back(e); });
  return v;
}

inline std::array<uint8_t, 4> v4_bytes(uint32_t host) {
  return {static_cast<uint8_t>(host >> 24), static_cast<uint8_t>(host >> 16), static_cast<uint8_t>(host >> 8),
          static_cast<uint8_t>(host)};
}

}  // namespace iocgate::test
