// bench/xdp_bench.cc — the pieces of the XDP benchmark (bench/xdp_bench.sh runs them beside
// xdp-filter and an nftables set on one veth pair, in one run):
//   sets     the bench IoC set written for nft -f (netdev ingress set) and for xdp-filter
//            (a bpftool batch of its IPv4 map), plus the frames files of the traffic mixes
//   attach   the iocgate XDP program with the set installed, attached to an interface until
//            SIGTERM; prints install time and image memory, then its counters
//   gen      the traffic mixes at full rate: 64-byte UDP frames made in the kernel
//            (BPF_PROG_TEST_RUN live frames, xdp_bench_gen.bpf.c) and redirected out of an
//            interface for N seconds; prints the rate
//   sink     an XDP_PASS program on the receiving veth, for the filters that are not XDP
//            (veth takes redirected frames only into a peer that runs XDP)
//   send     the same mixes from a socket (AF_PACKET, qdisc bypass, sendmmsg), slower
//   prog     per-frame cost of a loaded XDP program (BPF_PROG_TEST_RUN, repeat), ours with the
//            set and, given an interface, whatever runs there (xdp-filter)
//   install  push-to-enforced on the XDP side for the set: table file -> mapped, validated
//            (MappedTable::open) -> image written -> switched; memory per IoC kind
// Every mode prints one JSON line per result.
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/ioc_sets.h"
#include "bench/xdp_bench_gen_object.h"
#include "control/ioc_table_builder.h"
#include "shm/mapped_table.h"
#include "table/table_hash.h"
#include "xdp/xdp_loader.h"

namespace {

using namespace iocgate;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

bench::IocSet load_set(const std::string& name) {
  const bench::SetSpec* spec = bench::find_spec(name);
  if (spec == nullptr) {
    std::fprintf(stderr, "xdp_bench: no set '%s'\n", name.c_str());
    std::exit(2);
  }
  return bench::make_set(*spec);
}

table::TableBlob compile(const bench::IocSet& s) {
  table::IocTableBuilder b;
  bench::add_set(b, s, "bench");
  auto blob = b.build();
  if (!blob) {
    std::fprintf(stderr, "xdp_bench: build: %s\n", blob.message().c_str());
    std::exit(1);
  }
  return std::move(*blob);
}

std::string v4_text(uint32_t a) {
  char b[20];
  std::snprintf(b, sizeof(b), "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  return b;
}

std::string v6_text(const uint8_t* a) {
  char b[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, a, b, sizeof(b));
  return b;
}

// ---- frames -----------------------------------------------------------------------------

uint16_t csum16(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t{p[i]} << 8) | p[i + 1];
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

// A 64-byte Ethernet/IPv4/UDP frame (60 + FCS on the wire).
std::vector<uint8_t> udp4_frame(const uint8_t* dmac, uint32_t src, uint32_t dst, uint16_t sport) {
  std::vector<uint8_t> f(60, 0);
  std::memcpy(f.data(), dmac, 6);
  const uint8_t smac[6] = {0x02, 0xbe, 0x0c, 0, 0, 1};
  std::memcpy(f.data() + 6, smac, 6);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  const uint16_t total = 46 - 0;  // IP header 20 + UDP 8 + 18 bytes of payload
  ip[2] = total >> 8;
  ip[3] = total & 255;
  ip[8] = 64;
  ip[9] = 17;
  for (int i = 0; i < 4; ++i) ip[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
  for (int i = 0; i < 4; ++i) ip[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
  const uint16_t c = csum16(ip, 20);
  ip[10] = c >> 8;
  ip[11] = c & 255;
  uint8_t* udp = ip + 20;
  udp[0] = sport >> 8;
  udp[1] = sport & 255;
  udp[2] = 0x23;
  udp[3] = 0x28;  // 9000
  udp[5] = 26;
  return f;
}

bool parse_mac(const std::string& s, uint8_t* out) {
  unsigned v[6];
  if (std::sscanf(s.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

// The two traffic mixes: "drop" frames come from listed IPv4 hosts of the set, "pass" frames
// from addresses with bit 16 clear, which no IoC of the bench sets covers (bench/ioc_sets.h).
std::vector<std::vector<uint8_t>> mix_frames(const bench::IocSet& s, const std::string& mix, const uint8_t* dmac,
                                             size_t n) {
  std::vector<std::vector<uint8_t>> v;
  const uint32_t dst = 0x0ac80009;  // 10.200.0.9: bit 16 clear, unlisted
  bench::SplitMix r{0x5eed};
  std::vector<uint32_t> hosts;
  for (const auto& e : s.v4)
    if (e.len == 32) hosts.push_back(e.addr);
  for (size_t i = 0; i < n; ++i) {
    uint32_t src;
    if (mix == "drop") {
      if (hosts.empty()) break;
      src = hosts[i % hosts.size()];
    } else {
      src = (static_cast<uint32_t>(r.next()) & ~0x10000u) | 0x01000000u;
    }
    v.push_back(udp4_frame(dmac, src, dst, static_cast<uint16_t>(1024 + i % 60000)));
  }
  return v;
}

// ---- modes ------------------------------------------------------------------------------

int cmd_sets(const std::string& set_name, const std::string& dir) {
  const bench::IocSet s = load_set(set_name);
  // nftables: one netdev table on the receiving interface's ingress hook, the earliest point
  // nftables sees a frame (the skb already built). Prefixes need an interval set.
  {
    std::ofstream f(dir + "/" + set_name + ".nft");
    f << "table netdev iocbench {\n  set v4 {\n    type ipv4_addr\n    flags interval\n    auto-merge\n    elements = {\n";
    for (size_t i = 0; i < s.v4.size(); ++i)
      f << "      " << v4_text(s.v4[i].addr) << "/" << int{s.v4[i].len} << (i + 1 == s.v4.size() ? "\n" : ",\n");
    f << "    }\n  }\n  set v6 {\n    type ipv6_addr\n    flags interval\n    auto-merge\n    elements = {\n";
    for (size_t i = 0; i < s.v6.size(); ++i)
      f << "      " << v6_text(s.v6[i].addr) << "/" << int{s.v6[i].len} << (i + 1 == s.v6.size() ? "\n" : ",\n");
    f << "    }\n  }\n}\n";
  }
  // xdp-filter: exact IPv4 addresses only, at most 10,000 (its map size): the set's hosts.
  size_t hosts = 0;
  {
    std::ofstream f(dir + "/" + set_name + ".xdp-filter.batch");
    for (const auto& e : s.v4) {
      if (e.len != 32) continue;
      if (++hosts > 10000) break;
      f << "map update pinned /sys/fs/bpf/xdp-filter/filter_ipv4 key " << (e.addr >> 24) << " " << ((e.addr >> 16) & 255)
        << " " << ((e.addr >> 8) & 255) << " " << (e.addr & 255) << " value 3 0 0 0 0 0 0 0\n";
    }
  }
  // A plain feed of the IPv4 entries, for the end-to-end push (bench/xdp_push_bench.py).
  {
    std::ofstream f(dir + "/" + set_name + ".feed.txt");
    for (const auto& e : s.v4) f << v4_text(e.addr) << (e.len == 32 ? "" : "/" + std::to_string(e.len)) << "\n";
  }
  std::printf("%s\n", json{{"mode", "sets"}, {"set", set_name}, {"v4", s.v4.size()}, {"v6", s.v6.size()},
                           {"domains", s.domains.size()}, {"xdp_filter_hosts", std::min<size_t>(hosts, 10000)},
                           {"v4_hosts", std::count_if(s.v4.begin(), s.v4.end(), [](const auto& e) { return e.len == 32; })}}
                          .dump()
                          .c_str());
  return 0;
}

int cmd_attach(const std::string& set_name, const std::string& iface, const std::string& mode) {
  const bench::IocSet s = load_set(set_name);
  const auto t0 = Clock::now();
  table::TableBlob blob = compile(s);
  const double compile_s = since(t0);
  table::IocTableView view;
  std::string err;
  if (!view.attach(blob.data(), blob.size(), &err)) {
    std::fprintf(stderr, "xdp_bench: %s\n", err.c_str());
    return 1;
  }
  xdp::LoadOptions lo;
  lo.instance = "xdpbench";
  auto l = xdp::XdpLoader::load(lo);
  if (!l.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", l.message().c_str());
    return 1;
  }
  auto in = (*l)->install(view, 1);
  if (!in.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", in.message().c_str());
    return 1;
  }
  xdp::AttachMode m = xdp::AttachMode::kNative;
  xdp::parse_attach_mode(mode, &m);
  auto a = (*l)->attach(iface, m, false, false);
  if (!a.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", a.message().c_str());
    return 1;
  }
  const uint64_t iocs = s.size();
  std::printf("%s\n", json{{"mode", "attach"}, {"set", set_name}, {"iocs", iocs}, {"native", a->native},
                           {"compile_s", compile_s}, {"image_bytes", in->bytes},
                           {"image_bytes_per_ioc", iocs ? static_cast<double>(in->bytes) / iocs : 0},
                           {"other_map_bytes", (*l)->fixed_map_bytes()}, {"build_s", in->build_seconds},
                           {"switch_s", in->switch_seconds}}
                          .dump()
                          .c_str());
  std::fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  uint64_t last_rx = ~0ull;
  while (!g_stop.load()) {
    // The counters, for the script's deltas: rewritten (atomically) when they change.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const iocgate_xdp_counters c = (*l)->counters();
    if (c.rx_packets != last_rx) {
      std::ofstream(iface + ".counters.tmp") << json{{"rx", c.rx_packets}, {"dropped", c.dropped}, {"passed", c.passed}}.dump();
      std::rename((iface + ".counters.tmp").c_str(), (iface + ".counters").c_str());
      last_rx = c.rx_packets;
    }
  }
  const iocgate_xdp_counters c = (*l)->counters();
  std::printf("%s\n", json{{"mode", "attach-end"}, {"rx", c.rx_packets}, {"dropped", c.dropped}, {"passed", c.passed}}
                          .dump()
                          .c_str());
  return 0;
}

int cmd_send(const std::string& set_name, const std::string& iface, const std::string& mix, const std::string& dmac_s,
             double seconds, size_t nframes, int cpu) {
  if (cpu >= 0) {
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(cpu, &cs);
    sched_setaffinity(0, sizeof(cs), &cs);
  }
  uint8_t dmac[6];
  if (!parse_mac(dmac_s, dmac)) {
    std::fprintf(stderr, "xdp_bench: --dst-mac '%s'\n", dmac_s.c_str());
    return 2;
  }
  const bench::IocSet s = load_set(set_name);
  const auto frames = mix_frames(s, mix, dmac, nframes);
  if (frames.empty()) {
    std::fprintf(stderr, "xdp_bench: the set has no IPv4 host to send from\n");
    return 1;
  }
  const int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) {
    std::perror("socket");
    return 1;
  }
  const int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  sll.sll_protocol = 0;
  if (sll.sll_ifindex == 0 || bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    std::perror("bind");
    return 1;
  }
  constexpr size_t kBatch = 256;
  std::vector<iovec> iov(frames.size());
  std::vector<mmsghdr> msgs(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    iov[i] = {const_cast<uint8_t*>(frames[i].data()), frames[i].size()};
    msgs[i] = {};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  uint64_t sent = 0, failed = 0;
  size_t at = 0;
  const auto t0 = Clock::now();
  double t = 0;
  while ((t = since(t0)) < seconds) {
    const size_t n = std::min(kBatch, frames.size() - at);
    const int r = sendmmsg(fd, msgs.data() + at, static_cast<unsigned>(n), 0);
    if (r > 0) sent += static_cast<uint64_t>(r);
    else ++failed;
    at = (at + (r > 0 ? static_cast<size_t>(r) : n)) % frames.size();
  }
  close(fd);
  std::printf("%s\n", json{{"mode", "send"}, {"set", set_name}, {"mix", mix}, {"frames", frames.size()}, {"sent", sent},
                           {"seconds", t}, {"mpps", sent / t / 1e6}, {"send_errors", failed}}
                          .dump()
                          .c_str());
  return 0;
}

// ---- the kernel-side generator ------------------------------------------------------------

bpf_object* open_gen(std::string* err) {
  bpf_object_open_opts oo{};
  oo.sz = sizeof(oo);
  oo.object_name = "xdpbgen";
  bpf_object* o = bpf_object__open_mem(xdp::kXdpBenchGenObject, xdp::kXdpBenchGenObjectSize, &oo);
  if (o == nullptr) *err = "cannot open the generator program";
  return o;
}

int cmd_gen(const std::string& set_name, const std::string& iface, const std::string& mix, const std::string& dmac_s,
            double seconds, size_t nframes, int cpu) {
  if (cpu >= 0) {
    cpu_set_t cs;
    CPU_ZERO(&cs);
    CPU_SET(cpu, &cs);
    sched_setaffinity(0, sizeof(cs), &cs);
  }
  uint8_t dmac[6];
  if (!parse_mac(dmac_s, dmac)) return 2;
  const bench::IocSet s = load_set(set_name);
  const auto frames = mix_frames(s, mix, dmac, std::min<size_t>(nframes, 1 << 16));
  if (frames.empty()) return 1;
  std::string err;
  bpf_object* o = open_gen(&err);
  if (o == nullptr) {
    std::fprintf(stderr, "xdp_bench: %s\n", err.c_str());
    return 1;
  }
  bpf_map* ro = bpf_object__find_map_by_name(o, ".rodata");
  size_t rosz = 0;
  const char* ro0 = ro == nullptr ? nullptr : static_cast<const char*>(bpf_map__initial_value(ro, &rosz));
  std::string rodata(ro0 == nullptr ? "" : std::string(ro0, rosz));
  struct {
    uint32_t ifindex, count;
  } consts{if_nametoindex(iface.c_str()), static_cast<uint32_t>(frames.size())};
  if (consts.ifindex == 0 || rosz < sizeof(consts)) {
    std::fprintf(stderr, "xdp_bench: no interface '%s'\n", iface.c_str());
    return 1;
  }
  std::memcpy(rodata.data(), &consts, sizeof(consts));  // gen_cfg, the only read-only variable
  bpf_map__set_initial_value(ro, rodata.data(), rodata.size());
  if (bpf_object__load(o) != 0) {
    std::fprintf(stderr, "xdp_bench: the kernel refused the generator\n");
    return 1;
  }
  const int sources = bpf_map__fd(bpf_object__find_map_by_name(o, "sources"));
  for (uint32_t i = 0; i < frames.size(); ++i) {
    uint32_t a;
    std::memcpy(&a, frames[i].data() + 26, 4);
    bpf_map_update_elem(sources, &i, &a, BPF_ANY);
  }
  const int fd = bpf_program__fd(bpf_object__find_program_by_name(o, "gen"));
  uint64_t sent = 0;
  const auto t0 = Clock::now();
  double t = 0;
  std::string error;
  while ((t = since(t0)) < seconds) {
    bpf_test_run_opts r{};
    r.sz = sizeof(r);
    r.data_in = frames[0].data();
    r.data_size_in = static_cast<uint32_t>(frames[0].size());
    r.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
    r.repeat = 1 << 18;
    r.batch_size = 64;
    if (bpf_prog_test_run_opts(fd, &r) != 0) {
      error = std::strerror(errno);
      break;
    }
    sent += r.repeat;
  }
  bpf_object__close(o);
  json j = {{"mode", "gen"}, {"set", set_name}, {"mix", mix}, {"sources", frames.size()}, {"sent", sent},
            {"seconds", t}, {"mpps", sent / t / 1e6}};
  if (!error.empty()) j["error"] = error;
  std::printf("%s\n", j.dump().c_str());
  return error.empty() ? 0 : 1;
}

int cmd_sink(const std::string& iface) {
  std::string err;
  bpf_object* o = open_gen(&err);
  if (o == nullptr || bpf_object__load(o) != 0) {
    std::fprintf(stderr, "xdp_bench: cannot load the sink\n");
    return 1;
  }
  const int ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
  const int fd = bpf_program__fd(bpf_object__find_program_by_name(o, "sink"));
  if (ifindex == 0 || bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, nullptr) != 0) {
    std::fprintf(stderr, "xdp_bench: cannot attach the sink to %s\n", iface.c_str());
    return 1;
  }
  std::printf("%s\n", json{{"mode", "sink"}, {"iface", iface}}.dump().c_str());
  std::fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, nullptr);
  bpf_object__close(o);
  return 0;
}

// ns per frame of `fd` over `frame`, BPF_PROG_TEST_RUN looping `repeat` times in the kernel.
json test_run(int fd, const std::vector<uint8_t>& frame, uint32_t repeat) {
  bpf_test_run_opts o{};
  o.sz = sizeof(o);
  o.data_in = frame.data();
  o.data_size_in = static_cast<uint32_t>(frame.size());
  o.repeat = repeat;
  if (bpf_prog_test_run_opts(fd, &o) != 0) return {{"error", std::strerror(errno)}};
  return {{"ns_per_frame", o.duration}, {"verdict", o.retval == XDP_DROP ? "drop" : o.retval == XDP_PASS ? "pass" : "other"}};
}

int cmd_prog(const std::string& set_name, const std::string& other_iface, uint32_t repeat) {
  const bench::IocSet s = load_set(set_name);
  table::TableBlob blob = compile(s);
  table::IocTableView view;
  std::string err;
  view.attach(blob.data(), blob.size(), &err);
  xdp::LoadOptions lo;
  lo.instance = "xdpbench";
  auto l = xdp::XdpLoader::load(lo);
  if (!l.ok() || !(*l)->install(view, 1).ok()) {
    std::fprintf(stderr, "xdp_bench: cannot load the program\n");
    return 1;
  }
  const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 2};
  const uint32_t peer = 0x0ac80009;
  constexpr size_t kPerCase = 256;  // distinct frames per case: the cost is their mean
  bench::SplitMix r{0xbe9c};
  // The other end random in fd00::/8 too: a fixed one would make every frame pay (or
  // skip) the same filter false positive.
  auto v6_frame = [&](const uint8_t* src) {
    std::vector<uint8_t> f(14 + 40 + 8 + 8, 0);
    std::memcpy(f.data(), dmac, 6);
    f[12] = 0x86;
    f[13] = 0xdd;
    f[14] = 0x60;
    f[19] = 16;
    f[20] = 17;
    f[21] = 64;
    std::memcpy(f.data() + 22, src, 16);
    for (int b = 0; b < 16; ++b) f[38 + b] = static_cast<uint8_t>(r.next());
    f[38] = 0xfd;
    f[54 + 1] = 100;
    f[54 + 3] = 200;
    f[54 + 5] = 16;
    return f;
  };
  auto dns_frame = [&](const std::string& name) {
    std::vector<uint8_t> q = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    size_t start = 0;
    for (;;) {
      const size_t dot = name.find('.', start);
      const size_t end = dot == std::string::npos ? name.size() : dot;
      q.push_back(static_cast<uint8_t>(end - start));
      q.insert(q.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(end));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    q.insert(q.end(), {0, 0, 1, 0, 1});
    std::vector<uint8_t> f = udp4_frame(dmac, 0x0ac60a01, peer, 5353);
    f.resize(14 + 28);
    f[14 + 22] = 0;
    f[14 + 23] = 53;
    f.insert(f.end(), q.begin(), q.end());
    const uint16_t total = static_cast<uint16_t>(f.size() - 14);
    f[16] = total >> 8;
    f[17] = total & 255;
    f[24] = f[25] = 0;
    const uint16_t c = csum16(f.data() + 14, 20);
    f[24] = c >> 8;
    f[25] = c & 255;
    const uint16_t ulen = static_cast<uint16_t>(total - 20);
    f[14 + 24] = ulen >> 8;
    f[14 + 25] = ulen & 255;
    return f;
  };
  struct Case {
    const char* name;
    std::vector<std::vector<uint8_t>> frames;
  };
  std::vector<Case> cases(8);
  cases[0].name = "v4_unlisted";
  cases[1].name = "v4_listed_host";
  cases[2].name = "v4_in_listed_prefix";
  cases[3].name = "v6_unlisted";
  cases[4].name = "v6_listed_host";
  cases[5].name = "dns_unlisted_name";
  cases[6].name = "dns_listed_name";
  cases[7].name = "v4_unlisted_in_listed_24";
  for (size_t i = 0; i < kPerCase; ++i)
    cases[0].frames.push_back(udp4_frame(dmac, (static_cast<uint32_t>(r.next()) & ~0x10000u) | 0x01000000u, peer, 1000));
  for (const auto& e : s.v4) {
    if (e.len == 32 && cases[1].frames.size() < kPerCase) {
      cases[1].frames.push_back(udp4_frame(dmac, e.addr, peer, 1000));
      // Its neighbour in the same /24 (unless listed too): the /24 filters pass it, the
      // host table and every prefix length are probed before it is found unlisted.
      const uint32_t near = e.addr ^ 1;
      if (!view.lookup_v4(near).hit() && cases[7].frames.size() < kPerCase)
        cases[7].frames.push_back(udp4_frame(dmac, near, peer, 1000));
    }
    if (e.len < 32 && cases[2].frames.size() < kPerCase)
      cases[2].frames.push_back(udp4_frame(dmac, e.addr | static_cast<uint32_t>(r.below(1u << (32 - e.len))), peer, 1000));
  }
  for (size_t i = 0; i < kPerCase; ++i) {
    uint8_t a[16];
    for (int b = 0; b < 16; ++b) a[b] = static_cast<uint8_t>(r.next());
    a[0] = 0xfd;
    cases[3].frames.push_back(v6_frame(a));
  }
  for (const auto& e : s.v6)
    if (e.len == 128 && cases[4].frames.size() < kPerCase) cases[4].frames.push_back(v6_frame(e.addr));
  for (size_t i = 0; i < kPerCase; ++i) cases[5].frames.push_back(dns_frame("www.host" + std::to_string(r.next() % 1000000) + ".unlisted-example.org"));
  for (size_t i = 0; i < kPerCase && i < s.domains.size(); ++i) cases[6].frames.push_back(dns_frame("www." + s.domains[i]));
  auto time_case = [&](int fd, const Case& c, const char* program) {
    if (c.frames.empty()) return;
    const uint32_t per = std::max<uint32_t>(1, repeat / static_cast<uint32_t>(c.frames.size()));
    double ns = 0;
    size_t drops = 0;
    for (const auto& f : c.frames) {
      json j = test_run(fd, f, per);
      if (j.contains("error")) {
        std::printf("%s\n", json{{"mode", "prog"}, {"program", program}, {"case", c.name}, {"error", j["error"]}}.dump().c_str());
        return;
      }
      ns += j["ns_per_frame"].get<double>();
      drops += j["verdict"] == "drop";
    }
    std::printf("%s\n", json{{"mode", "prog"}, {"program", program}, {"set", set_name}, {"case", c.name},
                             {"frames", c.frames.size()}, {"repeat", per}, {"ns_per_frame", ns / c.frames.size()},
                             {"dropped_fraction", static_cast<double>(drops) / c.frames.size()}}
                            .dump()
                            .c_str());
  };
  for (const Case& c : cases) time_case((*l)->xdp_prog_fd(), c, "iocgate");
  if (!other_iface.empty()) {
    // What runs on the interface (xdp-filter: libxdp's dispatcher and its filter program).
    bpf_xdp_query_opts q{};
    q.sz = sizeof(q);
    const int ifindex = static_cast<int>(if_nametoindex(other_iface.c_str()));
    if (ifindex == 0 || bpf_xdp_query(ifindex, 0, &q) != 0 || q.prog_id == 0) {
      std::fprintf(stderr, "xdp_bench: no XDP program on %s\n", other_iface.c_str());
      return 1;
    }
    const int fd = bpf_prog_get_fd_by_id(q.prog_id);
    for (const Case& c : cases)
      if (std::string(c.name).rfind("dns", 0) != 0) time_case(fd, c, "xdp-filter");  // it knows no names
    close(fd);
  }
  return 0;
}

int cmd_install(const std::string& set_name, const std::string& dir) {
  const bench::IocSet s = load_set(set_name);
  const auto t0 = Clock::now();
  table::TableBlob blob = compile(s);
  const double compile_s = since(t0);
  // As the control process publishes it: a snapshot object with its identity stamped.
  const std::string path = dir + "/xdpbench-table-1";
  Status w = write_table_object(path, blob.data(), blob.size(), {"xdpbench", 1});
  if (!w.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", w.message().c_str());
    return 1;
  }
  xdp::LoadOptions lo;
  lo.instance = "xdpbench";
  auto l = xdp::XdpLoader::load(lo);
  if (!l.ok()) return 1;
  const TrustedOwners owners = trusted_owners("root", "root");
  const auto t1 = Clock::now();
  auto t = MappedTable::open(path, owners, {"xdpbench", 1});
  if (!t.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", t.message().c_str());
    return 1;
  }
  const double open_s = since(t1);
  auto in = (*l)->install((*t)->view(), 1);
  if (!in.ok()) {
    std::fprintf(stderr, "xdp_bench: %s\n", in.message().c_str());
    return 1;
  }
  const double total_s = since(t1);
  unlink(path.c_str());
  const xdp::RulesetLayout& L = in->layout;
  const table::Header& h = (*t)->header();
  auto per = [](uint64_t words, uint64_t n) { return n == 0 ? 0.0 : static_cast<double>(words * 8) / n; };
  std::printf("%s\n", json{{"mode", "install"}, {"set", set_name}, {"iocs", s.size()}, {"v4", h.v4_entries},
                           {"v6", h.v6_entries}, {"domains", h.domain_entries}, {"table_bytes", blob.size()},
                           {"compile_s", compile_s}, {"open_validate_s", open_s}, {"build_s", in->build_seconds},
                           {"switch_s", in->switch_seconds}, {"enforced_after_s", total_s},
                           {"image_bytes", in->bytes}, {"bytes_per_v4", per(L.v4_words, h.v4_entries)},
                           {"bytes_per_v6", per(L.v6_words, h.v6_entries)},
                           {"bytes_per_domain", per(L.domain_words, h.domain_entries)},
                           {"other_map_bytes", (*l)->fixed_map_bytes()}}
                          .dump()
                          .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"xdp_bench: the XDP path's benchmark pieces (see bench/xdp_bench.sh)"};
  app.require_subcommand(1);
  std::string set = "10k", iface, dir = ".", mix = "drop", mac, mode = "native", other;
  double seconds = 5;
  size_t nframes = 65536;
  int cpu = -1;
  uint32_t repeat = 1000000;
  CLI::App* sets = app.add_subcommand("sets", "write the nft file and the xdp-filter batch of a set");
  sets->add_option("--set", set);
  sets->add_option("--dir", dir);
  CLI::App* attach = app.add_subcommand("attach", "attach the iocgate program with the set until SIGTERM");
  attach->add_option("--set", set);
  attach->add_option("--iface", iface)->required();
  attach->add_option("--mode", mode);
  CLI::App* send = app.add_subcommand("send", "send a traffic mix out of an interface");
  send->add_option("--set", set);
  send->add_option("--iface", iface)->required();
  send->add_option("--mix", mix)->check(CLI::IsMember({"drop", "pass"}));
  send->add_option("--dst-mac", mac)->required();
  send->add_option("--seconds", seconds);
  send->add_option("--frames", nframes);
  send->add_option("--cpu", cpu);
  CLI::App* gen = app.add_subcommand("gen", "the traffic mix at full rate, made in the kernel (live frames)");
  gen->add_option("--set", set);
  gen->add_option("--iface", iface)->required();
  gen->add_option("--mix", mix)->check(CLI::IsMember({"drop", "pass"}));
  gen->add_option("--dst-mac", mac)->required();
  gen->add_option("--seconds", seconds);
  gen->add_option("--frames", nframes);
  gen->add_option("--cpu", cpu);
  CLI::App* sink = app.add_subcommand("sink", "an XDP_PASS program on an interface until SIGTERM");
  sink->add_option("--iface", iface)->required();
  CLI::App* prog = app.add_subcommand("prog", "per-frame program cost (BPF_PROG_TEST_RUN)");
  prog->add_option("--set", set);
  prog->add_option("--other-iface", other, "also time the XDP program running on this interface");
  prog->add_option("--repeat", repeat);
  CLI::App* install = app.add_subcommand("install", "push-to-enforced on the XDP side, memory per IoC");
  install->add_option("--set", set);
  install->add_option("--dir", dir, "where the snapshot object is written (a trusted directory)");
  CLI11_PARSE(app, argc, argv);
  if (sets->parsed()) return cmd_sets(set, dir);
  if (attach->parsed()) return cmd_attach(set, iface, mode);
  if (send->parsed()) return cmd_send(set, iface, mix, mac, seconds, nframes, cpu);
  if (gen->parsed()) return cmd_gen(set, iface, mix, mac, seconds, nframes, cpu);
  if (sink->parsed()) return cmd_sink(iface);
  if (prog->parsed()) return cmd_prog(set, other, repeat);
  if (install->parsed()) return cmd_install(set, dir);
  return 2;
}
