// bench/ioc_sets.h — the benchmarks' deterministic IoC sets, generated in-process from a seed
// so every benchmark (forwarding, lookups, build, callgrind) uses exactly the same keys.
// IPv4 IoCs all have bit 16 set; bench/gen_bench_traffic.py only sends from/to addresses with
// it clear, so random /16../31 prefixes never cover traffic by accident: the hit rate comes
// from hits.txt alone (0.1% of packets), which add_hits() puts into every non-empty table.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/ioc.h"
#include "control/ioc_table_builder.h"

namespace iocgate::bench {

struct SplitMix {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>((next() >> 32) * n >> 32); }
};

struct V4Entry {
  uint32_t addr;  // host order, host bits zero
  uint8_t len;
};
struct V6Entry {
  uint8_t addr[16];  // network order, host bits zero
  uint8_t len;
};

// The raw keys of one set: what the table, rte_fib, rte_hash, ipset and nft all load.
struct IocSet {
  std::string name;
  std::vector<V4Entry> v4;
  std::vector<V6Entry> v6;
  std::vector<std::string> domains;
  size_t size() const { return v4.size() + v6.size() + domains.size(); }
};

struct SetSpec {
  const char* name;
  uint32_t v4, v6, domains;
  uint64_t seed;
};

// The sets of issue 7. "1m": 1M IPv4 (80% /32, rest /16../31) + 100k IPv6 + 1M domains.
inline constexpr SetSpec kSets[] = {
    {"empty", 0, 0, 0, 1},
    {"tiny", 300, 50, 150, 2},
    {"10k", 6000, 1000, 3000, 3},
    {"1m", 1000000, 100000, 1000000, 4},
    {"5m", 2500000, 500000, 2000000, 5},
    // table swap under load: 1M entries, two generations alternate
    {"swap1m", 700000, 50000, 250000, 6},
};

inline const SetSpec* find_spec(std::string_view name) {
  for (const SetSpec& s : kSets)
    if (name == s.name) return &s;
  return nullptr;
}

inline std::string random_label(SplitMix& r, uint32_t min_len, uint32_t max_len) {
  static constexpr char kAlpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  const uint32_t n = min_len + r.below(max_len - min_len + 1);
  std::string s(n, 'a');
  for (uint32_t i = 0; i < n; ++i) s[i] = kAlpha[r.below(i == 0 ? 26 : 36)];
  return s;
}

inline IocSet make_set(const SetSpec& spec, uint64_t seed_offset = 0) {
  static constexpr const char* kTlds[] = {"com", "net", "org", "ru", "info", "xyz", "top", "io", "cn", "co.uk"};
  SplitMix r{spec.seed * 0x1000193 + seed_offset};
  IocSet s;
  s.name = spec.name;
  s.v4.reserve(spec.v4);
  for (uint32_t i = 0; i < spec.v4; ++i) {
    uint32_t a = static_cast<uint32_t>(r.next()) | 0x10000u;
    const uint8_t len = r.below(100) < 80 ? 32 : static_cast<uint8_t>(16 + r.below(16));  // /16../31
    if (len < 32) a &= ~0u << (32 - len);
    s.v4.push_back({a, len});
  }
  s.v6.reserve(spec.v6);
  for (uint32_t i = 0; i < spec.v6; ++i) {
    V6Entry e{};
    const uint64_t hi = r.next(), lo = r.next();
    for (int b = 0; b < 8; ++b) e.addr[b] = static_cast<uint8_t>(hi >> (56 - 8 * b));
    for (int b = 0; b < 8; ++b) e.addr[8 + b] = static_cast<uint8_t>(lo >> (56 - 8 * b));
    e.addr[0] = 0x20 | (e.addr[0] & 0x0f);  // 2000::/4, global unicast
    const uint32_t p = r.below(100);
    e.len = p < 70 ? 128 : p < 80 ? 64 : p < 90 ? 56 : 48;
    for (int bit = e.len; bit < 128; ++bit) e.addr[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    s.v6.push_back(e);
  }
  s.domains.reserve(spec.domains);
  for (uint32_t i = 0; i < spec.domains; ++i) {
    std::string d = random_label(r, 6, 14) + "." + kTlds[r.below(10)];
    if (r.below(4) == 0) d = random_label(r, 3, 8) + "." + d;  // a quarter are subdomains
    s.domains.push_back(std::move(d));
  }
  return s;
}

// hits.txt of gen_bench_traffic.py: one IPv4 address or domain per line.
inline bool load_hits(const std::string& path, IocSet* hits) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    unsigned a, b, c, d;
    char tail;
    if (std::sscanf(line.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4)
      hits->v4.push_back({(a << 24) | (b << 16) | (c << 8) | d, 32});
    else
      hits->domains.push_back(line);
  }
  return true;
}

inline Ioc v4_ioc(const V4Entry& e, uint32_t line) {
  Ioc i;
  i.kind = IocKind::kIpv4;
  i.form = e.len == 32 ? IocForm::kAddress : IocForm::kCidr;
  i.prefix_len = e.len;
  i.addr[0] = static_cast<uint8_t>(e.addr >> 24);
  i.addr[1] = static_cast<uint8_t>(e.addr >> 16);
  i.addr[2] = static_cast<uint8_t>(e.addr >> 8);
  i.addr[3] = static_cast<uint8_t>(e.addr);
  i.line = line;
  return i;
}

// Adds a set to a builder as one feed (action drop), one Ioc at a time (no vector<Ioc> copy).
inline void add_set(table::IocTableBuilder& b, const IocSet& s, const char* feed_name) {
  if (s.size() == 0) return;
  const uint32_t feed = b.add_feed({feed_name, table::Action::kDrop, "bench", "bench"});
  uint32_t line = 1;
  for (const V4Entry& e : s.v4) b.add(feed, v4_ioc(e, line++));
  Ioc i;
  for (const V6Entry& e : s.v6) {
    i.kind = IocKind::kIpv6;
    i.form = e.len == 128 ? IocForm::kAddress : IocForm::kCidr;
    i.prefix_len = e.len;
    std::copy(e.addr, e.addr + 16, i.addr.begin());
    i.line = line++;
    b.add(feed, i);
  }
  i = Ioc{};
  i.kind = IocKind::kDomain;
  i.form = IocForm::kDomain;
  for (const std::string& d : s.domains) {
    i.domain = d;
    i.line = line++;
    b.add(feed, i);
  }
}

}  // namespace iocgate::bench
