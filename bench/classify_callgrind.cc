// bench/classify_callgrind.cc — the workers' DPDK-free judgement (Classifier::classify_burst)
// over an in-memory array of the benchmark capture's frames, for instruction counts under
// `valgrind --tool=callgrind --toggle-collect=iocgate_bench_measured_burst` (no EAL needed).
// One warm-up pass creates the flows; the measured pass's bursts run in
// iocgate_bench_measured_burst. With --records, flow records are made into a ring that is
// emptied between bursts, outside the counted function.
// A counting allocator reports any malloc/new during the measured pass (must be 0).
//
// usage: classify_callgrind --pcap F --hits F --set 1m [--flows N] [--records] [--no-v4-direct] [--table-out F | --table-in F]
#include <pcap/pcap.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/ioc_sets.h"
#include "dataplane/classifier.h"
#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

// --- counting allocator: every allocation while g_counting is set is counted ---------------
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void __libc_free(void*);
namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocs{0}, g_frees{0};
}  // namespace
extern "C" void* malloc(size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t a, size_t b) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(a, b);
}
extern "C" void* realloc(void* p, size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocs.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
extern "C" void free(void* p) {
  if (p != nullptr && g_counting.load(std::memory_order_relaxed)) g_frees.fetch_add(1, std::memory_order_relaxed);
  __libc_free(p);
}

namespace {

using namespace iocgate;

struct Frames {
  std::vector<uint8_t> bytes;
  std::vector<const uint8_t*> ptrs;
  std::vector<uint32_t> lens;
};

bool load_pcap(const std::string& path, Frames* f) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return false;
  std::vector<size_t> offs;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    offs.push_back(f->bytes.size());
    f->lens.push_back(h->caplen);
    f->bytes.insert(f->bytes.end(), data, data + h->caplen);
    f->bytes.resize((f->bytes.size() + 63) / 64 * 64);  // each frame on its own cache lines, like mbufs
  }
  pcap_close(p);
  for (size_t o : offs) f->ptrs.push_back(f->bytes.data() + o);
  return !offs.empty();
}

}  // namespace

// The only function callgrind collects in (--toggle-collect): one burst of the dataplane's
// work. Taking flow records out of their ring (the control process's part) stays outside it.
extern "C" __attribute__((noinline)) void iocgate_bench_measured_burst(Classifier* c, const uint8_t* const* frames,
                                                                      const uint32_t* lens, uint32_t n, uint64_t now,
                                                                      Verdict* v) {
  c->classify_burst(frames, lens, n, now, v);
}

namespace {

// Only the steady pass goes through iocgate_bench_measured_burst: the warm-up pass calls
// classify_burst directly, so toggling on the burst counts the steady bursts alone.
void run_pass(Classifier& c, const Frames& f, uint64_t now, FlowRing* ring, bool measured = true) {
  Verdict v[kBurstSize];
  FlowRecord r;
  for (size_t i = 0; i < f.ptrs.size(); i += kBurstSize) {
    const uint32_t n = static_cast<uint32_t>(std::min<size_t>(kBurstSize, f.ptrs.size() - i));
    if (measured) {
      iocgate_bench_measured_burst(&c, &f.ptrs[i], &f.lens[i], n, now + i, v);
    } else {
      c.classify_burst(&f.ptrs[i], &f.lens[i], n, now + i, v);
    }
    if (ring != nullptr)
      while (ring->pop(&r)) {
      }
  }
}

}  // namespace

// The steady-state pass (its bursts are what callgrind counts).
extern "C" __attribute__((noinline)) void iocgate_bench_measured_pass(Classifier* c, const Frames* f, uint64_t now,
                                                                     FlowRing* ring) {
  run_pass(*c, *f, now, ring);
}

int main(int argc, char** argv) {
  std::string pcap, hits_path, set_name = "empty", table_out, table_in;
  uint32_t flows = 1u << 21;
  bool records = false, no_v4_direct = false;
  CLI::App app{"Classifier::classify_burst over in-memory frames, for callgrind"};
  app.add_option("--pcap", pcap, "capture from bench/gen_bench_traffic.py")->required();
  app.add_option("--hits", hits_path, "hits.txt from the same generator run");
  app.add_option("--set", set_name, "IoC set of bench/ioc_sets.h");
  app.add_option("--flows", flows, "flow table capacity");
  app.add_option("--table-out", table_out, "compile the table, write it here and exit");
  app.add_option("--table-in", table_in, "load a compiled table instead of compiling (fast under valgrind)");
  app.add_flag("--no-v4-direct", no_v4_direct, "compile without the IPv4 direct index (the per-length hashes only)");
  app.add_flag("--records", records, "make flow records into a flow ring (drained between the passes)");
  CLI11_PARSE(app, argc, argv);

  table::TableBlob blob;
  if (!table_in.empty()) {
    std::ifstream in(table_in, std::ios::binary | std::ios::ate);
    const size_t size = static_cast<size_t>(in.tellg());
    if (size != 0) {
      blob = table::TableBlob(size);
      in.seekg(0);
      in.read(reinterpret_cast<char*>(blob.data()), static_cast<std::streamsize>(size));
    }
  } else {
    const bench::SetSpec* spec = bench::find_spec(set_name);
    if (spec == nullptr) return 2;
    bench::IocSet hits;
    if (!hits_path.empty()) bench::load_hits(hits_path, &hits);
    const bench::IocSet set = bench::make_set(*spec);
    if (set.size() != 0) {
      table::IocTableBuilder b;
      bench::add_set(b, set, "bench-set");
      bench::add_set(b, hits, "bench-hits");
      if (no_v4_direct) b.set_v4_direct(table::IocTableBuilder::V4Direct::kNever);
      std::string error;
      auto built = b.build();
      if (!built) {
        error = built.message();
        std::fprintf(stderr, "classify_callgrind: %s\n", error.c_str());
        return 2;
      }
      blob = std::move(*built);
    }
  }
  if (!table_out.empty()) {
    std::ofstream out(table_out, std::ios::binary);
    out.write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
    return out ? 0 : 1;
  }
  table::IocTableView view;
  std::string error;
  if (blob.size() != 0 && !view.attach(blob.data(), blob.size(), &error, /*verify_checksum=*/false)) {
    std::fprintf(stderr, "classify_callgrind: %s\n", error.c_str());
    return 2;
  }

  Frames frames;
  if (!load_pcap(pcap, &frames)) {
    std::fprintf(stderr, "classify_callgrind: cannot read %s\n", pcap.c_str());
    return 2;
  }
  ClassifierConfig cfg;
  cfg.flow_capacity = flows;
  Classifier c(cfg);
  c.set_table(view.empty() ? nullptr : &view, 1);
  auto ring = std::make_unique<FlowRing>();
  if (records) c.set_flow_ring(ring.get());
  run_pass(c, frames, 1, ring.get(), /*measured=*/false);  // warm-up: flows are created here
  const DataplaneCounters before = c.counters();
  MatchEvent e;
  while (c.events().pop(&e)) {
  }
  FlowRecord r;
  while (ring->pop(&r)) {
  }
  g_counting.store(true);
  iocgate_bench_measured_pass(&c, &frames, 1u << 30, ring.get());
  g_counting.store(false);
  const DataplaneCounters& after = c.counters();

  nlohmann::json j;
  j["tool"] = "classify_callgrind";
  j["set"] = set_name;
  j["packets"] = frames.ptrs.size();
  j["allocations_in_measured_pass"] = g_allocs.load();
  j["frees_in_measured_pass"] = g_frees.load();
  j["flows_created_per_packet"] =
      static_cast<double>(after.flows_created - before.flows_created) / static_cast<double>(frames.ptrs.size());
  j["records"] = records;
  j["flow_records_per_packet"] =
      static_cast<double>(after.flow_records - before.flow_records) / static_cast<double>(frames.ptrs.size());
  j["flow_records_lost"] = after.flow_records_lost - before.flow_records_lost;
  j["dropped_fraction"] =
      static_cast<double>(after.dropped_packets - before.dropped_packets) / static_cast<double>(frames.ptrs.size());
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
