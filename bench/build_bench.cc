// bench/build_bench.cc — feed compile and publish time (IocTableBuilder::build, then copy +
// attach with checksum as a worker would), memory per IoC kind from the blob's section sizes,
// rte_fib DIR24_8 adds of the same IPv4 set, and the same IPv4 set written out for
// `ipset restore` (hash:net) and `nft -f` (interval set), which bench/run.sh times.
// Prints one JSON line per set.
//
// usage: build_bench --sets 1m,5m [--fib] [--kernel-sets DIR] [--eal "..."]
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_lcore.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "bench/ioc_sets.h"
#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

namespace {

using namespace iocgate;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void write_kernel_sets(const bench::IocSet& s, const std::string& dir) {
  const std::string ipset_path = dir + "/" + s.name + ".ipset";
  const std::string nft_path = dir + "/" + s.name + ".nft";
  FILE* f = std::fopen(ipset_path.c_str(), "w");
  // hashsize: a power of two near the element count, as one would size it for a big feed.
  std::fprintf(f, "create iocbench hash:net family inet hashsize %zu maxelem %zu\n",
               std::bit_ceil(std::max<size_t>(s.v4.size() / 2, 1024)), s.v4.size() + 1024);
  for (const auto& e : s.v4)
    std::fprintf(f, "add iocbench %u.%u.%u.%u/%u\n", e.addr >> 24, (e.addr >> 16) & 255, (e.addr >> 8) & 255,
                 e.addr & 255, e.len);
  std::fclose(f);
  f = std::fopen(nft_path.c_str(), "w");
  // auto-merge: random prefixes overlap (a /32 inside a listed /16), which nft would refuse.
  std::fprintf(f, "table ip iocbench {\n  set ioc {\n    type ipv4_addr\n    flags interval\n    auto-merge\n"
                  "    elements = {\n");
  for (size_t i = 0; i < s.v4.size(); ++i) {
    const auto& e = s.v4[i];
    std::fprintf(f, "      %u.%u.%u.%u/%u%s\n", e.addr >> 24, (e.addr >> 16) & 255, (e.addr >> 8) & 255,
                 e.addr & 255, e.len, i + 1 == s.v4.size() ? "" : ",");
  }
  std::fprintf(f, "    }\n  }\n}\n");
  std::fclose(f);
}

nlohmann::json fib_adds(const bench::IocSet& s) {
  nlohmann::json j;
  std::unordered_set<uint32_t> tbl8;
  for (const bench::V4Entry& e : s.v4)
    if (e.len > 24) tbl8.insert(e.addr >> 8);
  rte_fib_conf c{};
  c.type = RTE_FIB_DIR24_8;
  c.default_nh = 0;
  c.max_routes = static_cast<int>(s.v4.size() + 16);
  c.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
  c.dir24_8.num_tbl8 = static_cast<uint32_t>(tbl8.size() + 1024);
  j["num_tbl8"] = c.dir24_8.num_tbl8;
  j["memory_mib"] = ((1u << 24) * 4.0 + c.dir24_8.num_tbl8 * 256.0 * 4) / (1 << 20);
  const auto t0 = Clock::now();
  rte_fib* fib = rte_fib_create(("bb_" + s.name).c_str(), static_cast<int>(rte_socket_id()), &c);
  if (fib == nullptr) {
    j["error"] = std::string("rte_fib_create: ") + rte_strerror(rte_errno);
    return j;
  }
  j["create_s"] = since(t0);
  std::vector<bench::V4Entry> v4 = s.v4;
  std::stable_sort(v4.begin(), v4.end(), [](auto& a, auto& b) { return a.len < b.len; });
  const auto t1 = Clock::now();
  const uint64_t c0 = rte_rdtsc();
  size_t added = 0;
  for (; added < v4.size(); ++added) {
    const int rc = rte_fib_add(fib, v4[added].addr, v4[added].len, added + 1);
    if (rc != 0) {
      j["error"] = std::string("rte_fib_add: ") + rte_strerror(-rc);
      break;
    }
  }
  j["add_s"] = since(t1);
  j["added"] = added;
  j["cycles_per_add"] = static_cast<double>(rte_rdtsc() - c0) / std::max<size_t>(added, 1);
  rte_fib_free(fib);
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sets_arg = "1m,5m", kernel_dir,
              eal = "--no-pci --in-memory --no-telemetry -l 0 --log-level lib.eal:error";
  bool fib = false;
  CLI::App app{"iocgate table build/publish time, memory per IoC kind, rte_fib adds"};
  app.add_option("--sets", sets_arg, "comma-separated sets of bench/ioc_sets.h");
  app.add_flag("--fib", fib, "also time rte_fib adds of each IPv4 set (needs hugepages)");
  app.add_option("--kernel-sets", kernel_dir, "write <set>.ipset and <set>.nft here");
  app.add_option("--eal", eal, "EAL arguments for --fib");
  CLI11_PARSE(app, argc, argv);

  if (fib) {
    std::vector<std::string> args = {"build_bench"};
    std::stringstream ss(eal);
    for (std::string x; ss >> x;) args.push_back(x);
    std::vector<char*> av;
    for (auto& a : args) av.push_back(a.data());
    if (rte_eal_init(static_cast<int>(av.size()), av.data()) < 0) {
      std::fprintf(stderr, "build_bench: EAL init failed: %s\n", rte_strerror(rte_errno));
      return 3;
    }
  }

  std::stringstream ss(sets_arg);
  for (std::string name; std::getline(ss, name, ',');) {
    const bench::SetSpec* spec = bench::find_spec(name);
    if (spec == nullptr) {
      std::fprintf(stderr, "build_bench: unknown set %s\n", name.c_str());
      return 2;
    }
    const bench::IocSet set = bench::make_set(*spec);
    nlohmann::json j;
    j["tool"] = "build_bench";
    j["set"] = name;
    j["v4"] = set.v4.size();
    j["v6"] = set.v6.size();
    j["domains"] = set.domains.size();

    // Compile: add() every IoC (what a feed parser hands over), then build().
    auto t0 = Clock::now();
    table::IocTableBuilder b;
    bench::add_set(b, set, "bench-set");
    j["add_s"] = since(t0);
    auto t1 = Clock::now();
    std::string error;
    auto blob = b.build();
    if (!blob.ok()) error = blob.message();
    j["build_s"] = since(t1);
    j["compile_s"] = since(t0);
    {
      // What the IPv4 direct index costs to build: the same set without it.
      table::IocTableBuilder nb;
      bench::add_set(nb, set, "bench-set");
      nb.set_v4_direct(table::IocTableBuilder::V4Direct::kNever);
      auto t3 = Clock::now();
      auto without = nb.build();
      j["build_without_direct_s"] = since(t3);
      j["total_bytes_without_direct"] = without.ok() ? without->size() : 0;
    }
    if (!blob) {
      j["error"] = error;
      std::printf("%s\n", j.dump().c_str());
      continue;
    }
    // Publish: copy into fresh memory (shared memory stands in) and attach with the checksum,
    // which is what the dataplane does before switching.
    auto t2 = Clock::now();
    table::TableBlob shm(blob->size());
    std::memcpy(shm.data(), blob->data(), blob->size());
    table::IocTableView view;
    if (!view.attach(shm.data(), shm.size(), &error)) {
      std::fprintf(stderr, "build_bench: %s\n", error.c_str());
      return 2;
    }
    j["publish_s"] = since(t2);
    j["total_bytes"] = blob->size();

    // Memory per kind, from section sizes; the two fixed 2 MiB IPv4 bitmaps are separate.
    const table::Header& h = view.header();
    uint64_t v4_slots = 0, v6_slots = 0;
    for (const auto& d : h.v4_by_len) v4_slots += uint64_t{d.capacity} * sizeof(table::V4Slot);
    for (const auto& d : h.v6_by_len) v6_slots += uint64_t{d.capacity} * sizeof(table::V6Slot);
    uint64_t name_bytes = 0;
    for (const auto& d : set.domains) name_bytes += d.size() + 1;  // upper bound: before dedup
    const uint64_t rec = sizeof(table::MatchRecord);
    auto per = [](uint64_t bytes, uint64_t n) { return n ? static_cast<double>(bytes) / n : 0.0; };
    j["v4_entries"] = h.v4_entries;
    j["v6_entries"] = h.v6_entries;
    j["domain_entries"] = h.domain_entries;
    j["v4_fixed_bytes"] = h.v4_touched.size + h.v4_prefixed.size;
    j["bytes_per_v4"] = per(v4_slots + h.v4_entries * rec, h.v4_entries);
    j["bytes_per_v4_host"] = per(uint64_t{h.v4_by_len[32].capacity} * sizeof(table::V4Slot) + h.v4_by_len[32].count * rec,
                                 h.v4_by_len[32].count);
    j["bytes_per_v6"] = per(v6_slots + h.v6_filter.size + h.v6_entries * rec, h.v6_entries);
    j["bytes_per_v6_host"] = per(uint64_t{h.v6_by_len[128].capacity} * sizeof(table::V6Slot) +
                                     h.v6_by_len[128].count * (rec + h.v6_filter.size / std::max<uint64_t>(h.v6_entries, 1)),
                                 h.v6_by_len[128].count);
    j["bytes_per_domain"] = per(uint64_t{h.domains.capacity} * sizeof(table::DomainSlot) + h.domain_filter.size +
                                    h.domain_entries * rec + std::min<uint64_t>(name_bytes, h.strings.size),
                                h.domain_entries);
    j["sections"] = {{"v4_bitmaps", h.v4_touched.size + h.v4_prefixed.size}, {"v4_slots", v4_slots},
                     {"v6_filter", h.v6_filter.size}, {"v6_slots", v6_slots},
                     {"domain_filter", h.domain_filter.size},
                     {"domain_slots", uint64_t{h.domains.capacity} * sizeof(table::DomainSlot)},
                     {"records", h.records.size}, {"strings", h.strings.size},
                     {"v4_direct", h.v4_direct.size}, {"v4_runs", h.v4_runs.size}, {"v4_blocks", h.v4_blocks.size}};

    if (fib) j["rte_fib"] = fib_adds(set);
    if (!kernel_dir.empty()) {
      write_kernel_sets(set, kernel_dir);
      j["kernel_sets"] = {kernel_dir + "/" + name + ".ipset", kernel_dir + "/" + name + ".nft"};
    }
    std::printf("%s\n", j.dump().c_str());
    std::fflush(stdout);
  }
  if (fib) rte_eal_cleanup();
  return 0;
}
