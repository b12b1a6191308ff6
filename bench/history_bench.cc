// bench/history_bench.cc — the flow history at scale: writes generated flow records through
// the real HistoryStore (and, optionally, the same flows over IPFIX to a collector such as
// nfcapd), then hunts a large IoC set over them with the real run_hunt. Records and IoCs come
// from a seed, so the hunt knows which flows must be found and checks it. One JSON line each.
//
//   history_bench generate --dir D --records N [--days 30] [--ipfix host:port --ipfix-rate R]
//   history_bench hunt --dir D --records N --iocs M [--threads T] [--nfdump-filter F]
//
// The flows: 50,000 internal hosts (5% IPv6); remote addresses from a pool of 2M IPv4 (bit 16
// clear) and 200k IPv6; 30% DNS (the name from a pool of 300k under 30k sites, 1-2 answer
// addresses from the pool), 35% TLS with SNI, 10% HTTP with Host, 25% TCP/UDP without a name;
// spread evenly over `days` up to now. IoCs: IPv4 with bit 16 set, IPv6 under 2001:db8:ffff::/48
// and domains under .ioc-bench.net, so none covers a flow by chance, plus the "hits": 1,000
// pool addresses, 100 /24 prefixes of pool addresses, 100 IPv6 pool addresses and 300 sites.
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench/ioc_sets.h"
#include "control/event_collector.h"
#include "control/history_store.h"
#include "control/hunt.h"
#include "control/ipfix_exporter.h"
#include "control/tsc_clock.h"

namespace {

using namespace iocgate;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kHosts = 50000;
constexpr uint32_t kPool4 = 2000000, kPool6 = 200000, kSites = 30000, kNamesPerSite = 10;
constexpr uint32_t kHit4 = 1000, kHit24 = 100, kHit6 = 100, kHitSites = 300;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// User + system time of the process: what a hunt cost, whatever else the machine runs.
double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// The pools, from the seed: element i is the same in every run.
uint32_t pool4(uint32_t i) {
  bench::SplitMix r{0x4000000000ull + i};
  uint32_t a;
  do a = static_cast<uint32_t>(r.next());
  while ((a >> 24) == 0 || (a >> 24) >= 224 || (a >> 24) == 10 || (a >> 24) == 127);
  return a & ~(1u << 16);  // bit 16 clear: IoC addresses have it set
}
void pool6(uint32_t i, uint8_t* out) {
  bench::SplitMix r{0x6000000000ull + i};
  const uint64_t hi = 0x2a00000000000000ull | (r.next() >> 8), lo = r.next();
  for (int k = 0; k < 8; ++k) {
    out[k] = static_cast<uint8_t>(hi >> (56 - 8 * k));
    out[8 + k] = static_cast<uint8_t>(lo >> (56 - 8 * k));
  }
}
std::string site(uint32_t s) { return "site" + std::to_string(s) + (s % 3 == 0 ? ".com" : s % 3 == 1 ? ".net" : ".org"); }
std::string name_of(uint32_t n) { return "host" + std::to_string(n % kNamesPerSite) + "." + site(n / kNamesPerSite); }

// The hits: which pool elements the hunted IoCs cover.
struct Hits {
  std::unordered_set<uint32_t> v4;        // /32s, host order
  std::unordered_set<uint32_t> v4_24;     // /24 networks
  std::vector<uint32_t> v6;               // pool6 indices
  std::unordered_set<uint32_t> sites;
  Hits() {
    bench::SplitMix r{77};
    while (v4.size() < kHit4) v4.insert(pool4(r.below(kPool4)));
    while (v4_24.size() < kHit24) v4_24.insert(pool4(r.below(kPool4)) & 0xFFFFFF00u);
    for (uint32_t i = 0; i < kHit6; ++i) v6.push_back(r.below(kPool6));
    while (sites.size() < kHitSites) sites.insert(r.below(kSites));
  }
  bool hit4(uint32_t a) const { return v4.count(a) != 0 || v4_24.count(a & 0xFFFFFF00u) != 0; }
};

struct Generated {
  uint64_t records = 0, address_hits = 0, name_hits = 0;
};

// Record i of the history (all fields from i and the seed).
FlowRow make_row(uint64_t i, uint64_t n, int64_t t0, int64_t span_ms, std::string* names, const Hits& hits,
                 Generated* g, std::unordered_set<uint32_t>* hit6) {
  bench::SplitMix r{0x1234567ull ^ (i * 0x9E3779B97F4A7C15ull)};
  FlowRow w;
  w.first_ms = t0 + static_cast<int64_t>(static_cast<double>(i) / static_cast<double>(n) * static_cast<double>(span_ms));
  w.last_ms = w.first_ms + r.below(30000);
  const uint32_t host = r.below(kHosts);
  const bool v6 = r.below(100) < 5;
  w.ip_version = v6 ? 6 : 4;
  if (v6) {
    inet_pton(AF_INET6, "fd00::", w.client);
    w.client[12] = static_cast<uint8_t>(host >> 24);
    w.client[13] = static_cast<uint8_t>(host >> 16);
    w.client[14] = static_cast<uint8_t>(host >> 8);
    w.client[15] = static_cast<uint8_t>(host);
  } else {
    const uint32_t a = htonl(0x0A000000u | host);
    std::memcpy(w.client, &a, 4);
  }
  const uint32_t kind = r.below(100);
  const bool dns = kind < 30, tls = kind >= 30 && kind < 65, http = kind >= 65 && kind < 75;
  uint32_t remote4 = 0, remote6 = 0;
  if (dns) {
    if (v6) inet_pton(AF_INET6, "fd00::53", w.server);
    else {
      const uint32_t a = htonl(r.below(2) ? 0x0AFF0035u : 0x08080808u);
      std::memcpy(w.server, &a, 4);
    }
  } else if (v6) {
    remote6 = r.below(kPool6);
    pool6(remote6, w.server);
  } else {
    remote4 = pool4(r.below(kPool4));
    const uint32_t a = htonl(remote4);
    std::memcpy(w.server, &a, 4);
  }
  w.proto = dns || kind >= 90 ? 17 : 6;
  w.client_port = static_cast<uint16_t>(1024 + r.below(60000));
  w.server_port = dns ? 53 : tls ? 443 : http ? 80 : static_cast<uint16_t>(r.below(65535) + 1);
  w.packets[0] = 1 + r.below(40);
  w.packets[1] = dns ? 1 : r.below(60);
  w.bytes[0] = w.packets[0] * (60 + r.below(400));
  w.bytes[1] = w.packets[1] * (60 + r.below(1400));
  w.tcp_flags = w.proto == 6 ? 0x1b : 0;
  w.end = static_cast<uint8_t>(1 + r.below(3));
  w.flags = w.proto == 6 ? kFlowClientKnown : 0;
  if (r.below(10) == 0) {
    w.vlan = static_cast<uint16_t>(1 + r.below(4094));
    w.vlan_count = 1;
  }
  names->clear();
  if (dns || tls || http) {
    const uint32_t nm = r.below(kSites * kNamesPerSite);
    const std::string s = name_of(nm);
    names->push_back(static_cast<char>(dns ? FlowNameKind::kDnsQuery : tls ? FlowNameKind::kSni : FlowNameKind::kHttpHost));
    names->push_back(static_cast<char>(s.size()));
    *names += s;
    w.names = reinterpret_cast<const uint8_t*>(names->data());
    w.names_len = static_cast<uint16_t>(names->size());
    w.name_count = 1;
    if (hits.sites.count(nm / kNamesPerSite)) ++g->name_hits;
    if (dns) {
      w.answer_count = static_cast<uint8_t>(1 + r.below(2));
      w.answer_ttl = 60 + r.below(3600);
      for (uint8_t k = 0; k < w.answer_count; ++k) {
        const uint32_t a = htonl(pool4(r.below(kPool4)));
        std::memcpy(w.answers[k], &a, 4);
      }
    }
  }
  if (remote4 != 0 && hits.hit4(remote4)) ++g->address_hits;
  if (v6 && !dns && hit6->count(remote6)) ++g->address_hits;
  ++g->records;
  return w;
}

int generate(const std::string& dir, uint64_t n, uint32_t days, const std::string& ipfix, double ipfix_rate) {
  HistoryConfig c;
  c.dir = dir;
  c.max_age_ms = int64_t{days + 1} * 86400 * 1000;
  c.max_bytes = ~0ull >> 1;
  HistoryStore store(c);
  const int64_t now = TscClock::wall_now_ms();
  if (Status s = store.open(now); !s.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", s.message().c_str());
    return 1;
  }
  std::unique_ptr<IpfixExporter> x;
  if (!ipfix.empty()) {
    auto opened = IpfixExporter::open(ipfix);
    if (!opened.ok()) {
      std::fprintf(stderr, "history_bench: %s\n", opened.message().c_str());
      return 1;
    }
    x = std::move(*opened);
  }
  const Hits hits;
  std::unordered_set<uint32_t> hit6(hits.v6.begin(), hits.v6.end());
  Generated g;
  std::string names;
  const int64_t span = int64_t{days} * 86400 * 1000;
  const int64_t t0 = now - span;
  const auto start = Clock::now();
  double store_s = 0;
  for (uint64_t i = 0; i < n; ++i) {
    const FlowRow row = make_row(i, n, t0, span, &names, hits, &g, &hit6);
    const auto a = Clock::now();
    const bool full = store.add(row, {});
    if (full) (void)store.flush(now);
    store_s += since(a);
    if (x) {
      x->add(row);
      // Paced: a collector on this machine reads what a UDP socket buffer holds, no more.
      if ((i & 1023) == 1023) {
        const double due = static_cast<double>(i + 1) / ipfix_rate;
        const double ahead = due - since(start);
        if (ahead > 0) std::this_thread::sleep_for(std::chrono::duration<double>(ahead));
      }
    }
  }
  const auto a = Clock::now();
  if (Status s = store.flush(now); !s.ok()) std::fprintf(stderr, "history_bench: %s\n", s.message().c_str());
  store_s += since(a);
  if (x) x->tick(0, true);
  const HistoryCounters k = store.counters();
  nlohmann::json j = {{"tool", "history_bench"},
                      {"mode", "generate"},
                      {"records", g.records},
                      {"days", days},
                      {"seconds", since(start)},
                      {"store_seconds", store_s},
                      {"records_per_s_into_store", static_cast<double>(g.records) / store_s},
                      {"bytes_on_disk", k.bytes_on_disk},
                      {"raw_bytes", k.raw_bytes_written},
                      {"bytes_per_record", static_cast<double>(k.bytes_on_disk) / static_cast<double>(g.records)},
                      {"raw_bytes_per_record", static_cast<double>(k.raw_bytes_written) / static_cast<double>(g.records)},
                      {"partitions", k.partitions},
                      {"blocks", k.blocks_written},
                      {"expected_address_flows", g.address_hits},
                      {"expected_name_flows", g.name_hits}};
  if (x) j["ipfix"] = {{"records", x->counters().records}, {"messages", x->counters().messages},
                       {"send_errors", x->counters().send_errors}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

// The hunted set: `n` IoCs of bench/ioc_sets.h's kinds that cover nothing, plus the hits.
std::vector<HuntFeed> hunt_feeds(uint32_t n, const Hits& hits, std::string* ipv4_filter) {
  HuntFeed f;
  f.name = "bench-1m";
  bench::SplitMix r{99};
  const uint32_t n4 = n / 2, n6 = n / 20, nd = n - n4 - n6;
  std::string filter = "ip in [";
  auto v4 = [&](uint32_t a, uint8_t len) {
    Ioc i;
    i.kind = IocKind::kIpv4;
    i.prefix_len = len;
    const uint32_t be = htonl(a);
    std::memcpy(i.addr.data(), &be, 4);
    f.iocs.push_back(i);
    char buf[32];
    inet_ntop(AF_INET, &be, buf, sizeof buf);
    filter += " " + std::string(buf) + (len == 32 ? "" : "/" + std::to_string(len));
  };
  for (uint32_t k = 0; k < n4; ++k) {
    const uint8_t len = k % 10 == 0 ? static_cast<uint8_t>(16 + r.below(16)) : 32;
    uint32_t a = static_cast<uint32_t>(r.next()) | (1u << 16);
    if ((a >> 24) == 0 || (a >> 24) >= 224 || (a >> 24) == 10) a = (a & 0x00FFFFFFu) | 0x2D000000u;
    a &= len == 0 ? 0 : ~0u << (32 - len);
    v4(a, len);
  }
  for (uint32_t a : hits.v4) v4(a, 32);
  for (uint32_t a : hits.v4_24) v4(a, 24);
  for (uint32_t k = 0; k < n6; ++k) {
    Ioc i;
    i.kind = IocKind::kIpv6;
    i.prefix_len = 128;
    inet_pton(AF_INET6, "2001:db8:ffff::", i.addr.data());
    const uint64_t lo = r.next();
    for (int b = 0; b < 8; ++b) i.addr[8 + b] = static_cast<uint8_t>(lo >> (56 - 8 * b));
    f.iocs.push_back(i);
  }
  for (uint32_t p : hits.v6) {
    Ioc i;
    i.kind = IocKind::kIpv6;
    i.prefix_len = 128;
    pool6(p, i.addr.data());
    f.iocs.push_back(i);
  }
  for (uint32_t k = 0; k < nd; ++k) {
    Ioc i;
    i.kind = IocKind::kDomain;
    i.form = IocForm::kDomain;
    i.domain = "x" + std::to_string(k) + ".c" + std::to_string(r.below(100000)) + ".ioc-bench.net";
    f.iocs.push_back(i);
  }
  for (uint32_t s : hits.sites) {
    Ioc i;
    i.kind = IocKind::kDomain;
    i.form = IocForm::kDomain;
    i.domain = site(s);
    f.iocs.push_back(i);
  }
  *ipv4_filter = filter + " ]\n";
  return {f};
}

int hunt(const std::string& dir, uint64_t n, uint32_t iocs, unsigned threads, const std::string& filter_path) {
  HistoryConfig c;
  c.dir = dir;
  c.max_age_ms = int64_t{3650} * 86400 * 1000;
  c.max_bytes = ~0ull >> 1;
  HistoryStore store(c);
  if (Status s = store.open(TscClock::wall_now_ms()); !s.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", s.message().c_str());
    return 1;
  }
  const Hits hits;
  std::string filter;
  HuntQuery q;
  q.feeds = hunt_feeds(iocs, hits, &filter);
  q.threads = threads;
  if (!filter_path.empty()) std::ofstream(filter_path) << filter;
  InternalNetworks nets;
  if (Status s = nets.parse({"10.0.0.0/8", "fd00::/8"}); !s.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", s.message().c_str());
    return 1;
  }
  // What the generator says must be found (it is deterministic): counted again here.
  Generated g;
  {
    std::unordered_set<uint32_t> hit6(hits.v6.begin(), hits.v6.end());
    std::string names;
    const int64_t now = TscClock::wall_now_ms();
    for (uint64_t i = 0; i < n; ++i) make_row(i, n, now - 86400000, 86400000, &names, hits, &g, &hit6);
  }
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  Result<HuntResult> r = run_hunt(store, q, nets);
  const double secs = since(t0);
  if (!r.ok()) {
    std::fprintf(stderr, "history_bench: %s\n", r.message().c_str());
    return 1;
  }
  uint64_t address = 0, names = 0, resolved = 0;
  std::unordered_set<std::string> hosts;
  for (const HuntContact& k : r->contacts) {
    hosts.insert(k.host);
    if (k.how == std::string(kHowAddress)) address += k.flows;
    else if (k.how == std::string(kHowResolved)) resolved += k.flows;
    else names += k.flows;
  }
  nlohmann::json j = {{"tool", "history_bench"},
                      {"mode", "hunt"},
                      {"records", store.counters().records_stored},
                      {"records_read", r->records},  // both passes: the second rereads some blocks
                      {"blocks_read", r->blocks},
                      {"iocs", r->iocs},
                      {"threads", threads == 0 ? std::thread::hardware_concurrency() : threads},
                      {"seconds", secs},
                      {"hunt_seconds", r->seconds},
                      {"compile_seconds", r->compile_seconds},
                      {"cpu_seconds", cpu_seconds() - cpu0},
                      {"records_per_s", static_cast<double>(store.counters().records_stored) / secs},
                      {"hosts", hosts.size()},
                      {"address_flows", address},
                      {"name_flows", names},
                      {"resolved_flows", resolved},
                      {"answer_bindings", r->bindings},
                      {"expected_address_flows", g.address_hits},
                      {"expected_name_flows", g.name_hits},
                      {"found_what_was_expected", address == g.address_hits && names == g.name_hits},
                      {"damaged_blocks", r->damaged}};
  std::printf("%s\n", j.dump().c_str());
  return address == g.address_hits && names == g.name_hits ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"iocgate flow history benchmark: generate a history, hunt it"};
  app.require_subcommand(1);
  std::string dir, ipfix, filter;
  uint64_t records = 1000000;
  uint32_t days = 30, iocs = 1000000;
  unsigned threads = 0;
  double rate = 300000;
  CLI::App* gen = app.add_subcommand("generate", "write `records` flows into the history at `dir`");
  gen->add_option("--dir", dir)->required();
  gen->add_option("--records", records);
  gen->add_option("--days", days);
  gen->add_option("--ipfix", ipfix, "also export them over IPFIX to host:port");
  gen->add_option("--ipfix-rate", rate, "records per second at most over IPFIX");
  CLI::App* hu = app.add_subcommand("hunt", "hunt `iocs` IoCs over the history at `dir`");
  hu->add_option("--dir", dir)->required();
  hu->add_option("--records", records, "as generated (to know what must be found)");
  hu->add_option("--iocs", iocs);
  hu->add_option("--threads", threads);
  hu->add_option("--nfdump-filter", filter, "write the IPv4 part of the set as an nfdump filter here");
  CLI11_PARSE(app, argc, argv);
  if (gen->parsed()) return generate(dir, records, days, ipfix, rate);
  return hunt(dir, records, iocs, threads, filter);
}
