// bench/lookup_bench.cc — lookup micro-benchmarks (Google Benchmark) on the bench/ioc_sets.h
// sets: IocTableView against rte_fib DIR24_8 (IPv4), rte_hash per prefix length (IPv6) and
// rte_hash with fixed 64-byte string keys probed per label suffix (domains). Random keys,
// bursts of 32, TSC cycles per lookup in the counter "cyc/lookup".
//
// usage: lookup_bench [--sets=10k,1m,5m] [--fib-max-sets=1m] [--eal="..."] [benchmark flags]
#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/ioc_sets.h"
#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

namespace {

using namespace iocgate;

constexpr uint32_t kBurst = 32;
constexpr size_t kKeys = 1u << 20;  // random keys per benchmark, cycled
constexpr size_t kNameKey = 64;     // rte_hash key length for names

struct Tables {
  bench::IocSet set;
  table::TableBlob blob;
  table::IocTableView view;
  rte_fib* fib = nullptr;
  double fib_mib = 0;
  std::vector<std::pair<uint8_t, rte_hash*>> v6_hashes;  // longest first
  rte_hash* names = nullptr;
  std::vector<uint32_t> v4_random, v4_hits;
  std::vector<std::array<uint8_t, 16>> v6_random;
  std::vector<std::string> names_random;
};

std::string g_eal = "--no-pci --in-memory --no-telemetry -l 1 --log-level lib.eal:error";

rte_hash* make_hash(const std::string& name, uint32_t entries, uint32_t key_len) {
  rte_hash_parameters p{};
  p.name = name.c_str();
  p.entries = std::max<uint32_t>(entries + entries / 4, 1024);
  p.key_len = key_len;
  p.hash_func = rte_hash_crc;
  p.socket_id = static_cast<int>(rte_socket_id());
  p.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
  rte_hash* h = rte_hash_create(&p);
  if (h == nullptr) {
    std::fprintf(stderr, "lookup_bench: rte_hash_create %s: %s\n", name.c_str(), rte_strerror(rte_errno));
    std::exit(3);
  }
  return h;
}

std::unique_ptr<Tables> prepare(const bench::SetSpec& spec, bool with_fib) {
  auto t = std::make_unique<Tables>();
  t->set = bench::make_set(spec);
  table::IocTableBuilder b;
  bench::add_set(b, t->set, "bench-set");
  std::string error;
  auto blob = b.build();
  if (!blob) error = blob.message();
  if (!blob || !(t->blob = std::move(*blob), t->view.attach(t->blob.data(), t->blob.size(), &error))) {
    std::fprintf(stderr, "lookup_bench: %s\n", error.c_str());
    std::exit(2);
  }
  if (with_fib) {
    std::set<uint32_t> tbl8;  // /24s that hold a longer prefix need a tbl8 group each
    for (const bench::V4Entry& e : t->set.v4)
      if (e.len > 24) tbl8.insert(e.addr >> 8);
    rte_fib_conf c{};
    c.type = RTE_FIB_DIR24_8;
    c.default_nh = 0;
    c.max_routes = static_cast<int>(t->set.v4.size() + 16);
    c.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
    c.dir24_8.num_tbl8 = static_cast<uint32_t>(tbl8.size() + 1024);
    t->fib = rte_fib_create((std::string("fib_") + spec.name).c_str(), static_cast<int>(rte_socket_id()), &c);
    if (t->fib == nullptr) {
      std::fprintf(stderr, "lookup_bench: rte_fib_create(%u tbl8): %s\n", c.dir24_8.num_tbl8, rte_strerror(rte_errno));
      std::exit(3);
    }
    t->fib_mib = ((1u << 24) * 4.0 + c.dir24_8.num_tbl8 * 256.0 * 4) / (1 << 20);
    // Shorter prefixes first, like a feed sorted by length: fewer tbl8 rewrites.
    std::vector<bench::V4Entry> v4 = t->set.v4;
    std::stable_sort(v4.begin(), v4.end(), [](auto& a, auto& b) { return a.len < b.len; });
    for (size_t i = 0; i < v4.size(); ++i) {
      const int rc = rte_fib_add(t->fib, v4[i].addr, v4[i].len, i + 1);
      if (rc != 0) {
        std::fprintf(stderr, "lookup_bench: rte_fib_add #%zu: %s\n", i, rte_strerror(-rc));
        std::exit(3);
      }
    }
  }
  // IPv6: one rte_hash per prefix length, probed longest first (what the table does too).
  std::map<uint8_t, std::vector<const bench::V6Entry*>, std::greater<>> by_len;
  for (const bench::V6Entry& e : t->set.v6) by_len[e.len].push_back(&e);
  for (auto& [len, v] : by_len) {
    rte_hash* h = make_hash("v6_" + std::string(spec.name) + "_" + std::to_string(len), v.size(), 16);
    for (size_t i = 0; i < v.size(); ++i) rte_hash_add_key_data(h, v[i]->addr, reinterpret_cast<void*>(i + 1));
    t->v6_hashes.push_back({len, h});
  }
  if (!t->set.domains.empty()) {
    t->names = make_hash("names_" + std::string(spec.name), t->set.domains.size(), kNameKey);
    char key[kNameKey];
    for (size_t i = 0; i < t->set.domains.size(); ++i) {
      std::memset(key, 0, sizeof key);
      std::memcpy(key, t->set.domains[i].data(), std::min(t->set.domains[i].size(), kNameKey));
      rte_hash_add_key_data(t->names, key, reinterpret_cast<void*>(i + 1));
    }
  }
  // Random keys: uniform IPv4, IPv6 in 2000::/4, names shaped like traffic (mostly misses).
  bench::SplitMix r{0xbe7c4 + spec.seed};
  t->v4_random.resize(kKeys);
  for (uint32_t& k : t->v4_random) k = static_cast<uint32_t>(r.next());
  if (!t->set.v4.empty()) {
    t->v4_hits.resize(kKeys);
    for (uint32_t& k : t->v4_hits) {
      const bench::V4Entry& e = t->set.v4[r.below(static_cast<uint32_t>(t->set.v4.size()))];
      k = e.len == 32 ? e.addr : e.addr | (static_cast<uint32_t>(r.next()) & ~(~0u << (32 - e.len)));
    }
  }
  t->v6_random.resize(kKeys);
  for (auto& k : t->v6_random) {
    const uint64_t hi = r.next(), lo = r.next();
    std::memcpy(k.data(), &hi, 8);
    std::memcpy(k.data() + 8, &lo, 8);
    k[0] = 0x20 | (k[0] & 0x0f);
  }
  t->names_random.resize(kKeys / 4);
  for (auto& n : t->names_random)
    n = bench::random_label(r, 3, 6) + "." + bench::random_label(r, 5, 12) + "." + (r.below(2) ? "com" : "net");
  return t;
}

// Runs `burst(first_key_index)` over bursts of 32 and reports TSC cycles per lookup.
template <class F>
void run_bursts(benchmark::State& state, size_t keys, F&& burst) {
  size_t i = 0;
  uint64_t lookups = 0;
  const uint64_t t0 = rte_rdtsc();
  for (auto _ : state) {
    burst(i);
    i += kBurst;
    if (i + kBurst > keys) i = 0;
    lookups += kBurst;
  }
  const uint64_t cycles = rte_rdtsc() - t0;
  state.counters["cyc/lookup"] = static_cast<double>(cycles) / std::max<uint64_t>(lookups, 1);
  state.SetItemsProcessed(static_cast<int64_t>(lookups));
}

void register_all(Tables* t, const std::string& set) {
  // --- IPv4 ---
  for (const bool hits : {false, true}) {
    const std::vector<uint32_t>& keys = hits ? t->v4_hits : t->v4_random;
    if (keys.empty()) continue;
    const std::string suffix = set + (hits ? "/hit_keys" : "/random_keys");
    benchmark::RegisterBenchmark(("v4/iocgate/" + suffix).c_str(), [t, &keys](benchmark::State& st) {
      run_bursts(st, keys.size(), [&](size_t i) {
        uint32_t out[kBurst];
        for (uint32_t k = 0; k < kBurst; ++k) t->view.prefetch_v4(keys[i + k]);
        for (uint32_t k = 0; k < kBurst; ++k) out[k] = t->view.lookup_v4(keys[i + k]).value;
        benchmark::DoNotOptimize(out);
      });
      // What the lookup reads: the direct index when the builder made one, else the two
      // /24 bitmaps and the per-length hashes.
      const table::Header& h = t->view.header();
      double bytes = static_cast<double>(h.v4_direct.size + h.v4_runs.size + h.v4_blocks.size);
      if (h.v4_direct.size == 0) {
        bytes = static_cast<double>(h.v4_touched.size + h.v4_prefixed.size);
        for (const table::HashDesc& d : h.v4_by_len) bytes += d.capacity * sizeof(table::V4Slot);
      }
      st.counters["MiB"] = bytes / (1 << 20);
    });
    // The same through the pipelined burst lookup (all first loads, then all second loads).
    benchmark::RegisterBenchmark(("v4/iocgate_burst/" + suffix).c_str(), [t, &keys](benchmark::State& st) {
      run_bursts(st, keys.size(), [&](size_t i) {
        table::Match out[kBurst];
        for (uint32_t k = 0; k < kBurst; ++k) t->view.prefetch_v4(keys[i + k]);
        t->view.lookup_v4_burst(&keys[i], kBurst, out);
        benchmark::DoNotOptimize(out);
      });
    });
    if (t->fib != nullptr)
      benchmark::RegisterBenchmark(("v4/rte_fib/" + suffix).c_str(), [t, &keys](benchmark::State& st) {
        run_bursts(st, keys.size(), [&](size_t i) {
          uint64_t nh[kBurst];
          rte_fib_lookup_bulk(t->fib, const_cast<uint32_t*>(&keys[i]), nh, kBurst);
          benchmark::DoNotOptimize(nh);
        });
        st.counters["MiB"] = t->fib_mib;
      });
  }
  // --- IPv6 ---
  if (!t->v6_hashes.empty()) {
    benchmark::RegisterBenchmark(("v6/iocgate/" + set + "/random_keys").c_str(), [t](benchmark::State& st) {
      run_bursts(st, t->v6_random.size(), [&](size_t i) {
        uint32_t out[kBurst];
        for (uint32_t k = 0; k < kBurst; ++k) out[k] = t->view.lookup_v6(t->v6_random[i + k].data()).value;
        benchmark::DoNotOptimize(out);
      });
    });
    benchmark::RegisterBenchmark(("v6/rte_hash_per_len/" + set + "/random_keys").c_str(), [t](benchmark::State& st) {
      run_bursts(st, t->v6_random.size(), [&](size_t i) {
        uint8_t masked[kBurst][16];
        const void* kp[kBurst];
        void* data[kBurst];
        uint64_t found_mask = 0, hit = 0;
        for (auto& [len, h] : t->v6_hashes) {
          for (uint32_t k = 0; k < kBurst; ++k) {
            std::memcpy(masked[k], t->v6_random[i + k].data(), 16);
            for (int bit = len; bit < 128; ++bit) masked[k][bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
            kp[k] = masked[k];
          }
          rte_hash_lookup_bulk_data(h, kp, kBurst, &found_mask, data);
          hit |= found_mask;
        }
        benchmark::DoNotOptimize(hit);
      });
    });
  }
  // --- domains: the name and each parent on a label boundary ---
  if (t->names != nullptr) {
    benchmark::RegisterBenchmark(("dns/iocgate/" + set + "/random_names").c_str(), [t](benchmark::State& st) {
      run_bursts(st, t->names_random.size(), [&](size_t i) {
        uint32_t out[kBurst];
        for (uint32_t k = 0; k < kBurst; ++k) {
          const std::string& n = t->names_random[i + k];
          out[k] = t->view.lookup_domain(n.data(), n.size()).value;
        }
        benchmark::DoNotOptimize(out);
      });
    });
    benchmark::RegisterBenchmark(("dns/rte_hash_per_suffix/" + set + "/random_names").c_str(), [t](benchmark::State& st) {
      run_bursts(st, t->names_random.size(), [&](size_t i) {
        static thread_local char keys[kBurst * 8][kNameKey];
        const void* kp[64];
        void* data[64];
        uint32_t nk = 0;
        for (uint32_t k = 0; k < kBurst; ++k) {
          const std::string& n = t->names_random[i + k];
          for (size_t s = 0; nk < kBurst * 8;) {
            std::memset(keys[nk], 0, kNameKey);
            std::memcpy(keys[nk++], n.data() + s, std::min(n.size() - s, kNameKey));
            const size_t dot = n.find('.', s);
            if (dot == std::string::npos) break;
            s = dot + 1;
          }
        }
        uint64_t mask = 0, any = 0;
        for (uint32_t off = 0; off < nk; off += 64) {
          const uint32_t m = std::min<uint32_t>(64, nk - off);
          for (uint32_t j = 0; j < m; ++j) kp[j] = keys[off + j];
          rte_hash_lookup_bulk_data(t->names, kp, m, &mask, data);
          any |= mask;
        }
        benchmark::DoNotOptimize(any);
      });
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> sets = {"10k", "1m", "5m"};
  std::set<std::string> fib_sets = {"tiny", "10k", "1m"};  // 5M scattered /32: ~5 GiB of tbl8
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    auto list = [](const std::string& v) {
      std::vector<std::string> out;
      std::stringstream ss(v);
      for (std::string x; std::getline(ss, x, ',');) out.push_back(x);
      return out;
    };
    if (a.rfind("--sets=", 0) == 0) sets = list(a.substr(7));
    else if (a.rfind("--fib-sets=", 0) == 0) { auto l = list(a.substr(11)); fib_sets = {l.begin(), l.end()}; }
    else if (a.rfind("--eal=", 0) == 0) g_eal = a.substr(6);
    else rest.push_back(argv[i]);
  }
  std::vector<std::string> eal = {"lookup_bench"};
  std::stringstream ss(g_eal);
  for (std::string x; ss >> x;) eal.push_back(x);
  std::vector<char*> eargv;
  for (std::string& a : eal) eargv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eargv.size()), eargv.data()) < 0) {
    std::fprintf(stderr, "lookup_bench: EAL init failed: %s\n", rte_strerror(rte_errno));
    return 3;
  }
  std::vector<std::unique_ptr<Tables>> keep;
  for (const std::string& s : sets) {
    const bench::SetSpec* spec = bench::find_spec(s);
    if (spec == nullptr) {
      std::fprintf(stderr, "lookup_bench: unknown set %s\n", s.c_str());
      return 2;
    }
    keep.push_back(prepare(*spec, fib_sets.count(s) != 0));
    register_all(keep.back().get(), s);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
