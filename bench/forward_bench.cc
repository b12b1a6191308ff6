// bench/forward_bench.cc — forwarding throughput of the real worker loop (Worker::poll) on one
// lcore: rx from net_pcap (infinite_rx) → Classifier → tx to net_null, with a table compiled
// in-process from a bench/ioc_sets.h set. Optionally replaces the table every second from
// the main lcore (--swap) the way the publisher does: build aside, switch between bursts,
// free the old table once the worker has moved on. Prints one JSON line of results.
//
// usage: forward_bench --pcap F --hits F --set 1m [--seconds 5] [--flows N] [--swap]
//                      -- <EAL args, e.g. -l 0,1 --file-prefix fb1 --no-pci>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench/ioc_sets.h"
#include "dataplane/dpdk_port.h"
#include "dataplane/worker.h"
#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

namespace {

using namespace iocgate;

struct Options {
  std::string pcap, hits, set = "empty";
  double seconds = 5, warmup = 1;
  uint32_t flows = 1u << 21;
  uint32_t mbufs = 0;         // 0: pcap packets + 32768
  uint32_t mbuf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
  bool swap = false;
  bool records = false;       // flow records on (history): the main lcore drains the ring
  bool no_v4_direct = false;  // the per-length hashes only, to measure the direct index
  double swap_period = 1.0;   // seconds between table swaps
  double window_ms = 100;     // "swap window": this long after each switch
};

// A compiled table and its view: what the publisher hands the worker.
struct Published {
  table::TableBlob blob;
  table::IocTableView view;
  double build_seconds = 0;
};

std::unique_ptr<Published> compile(const bench::IocSet& set, const bench::IocSet& hits, bool v4_direct) {
  auto p = std::make_unique<Published>();
  if (set.size() == 0) return p;  // empty table: view stays empty, every lookup misses
  const auto t0 = std::chrono::steady_clock::now();
  table::IocTableBuilder b;
  bench::add_set(b, set, "bench-set");
  bench::add_set(b, hits, "bench-hits");
  if (!v4_direct) b.set_v4_direct(table::IocTableBuilder::V4Direct::kNever);
  std::string error;
  auto blob = b.build();
  if (!blob) {
    error = blob.message();
    std::fprintf(stderr, "forward_bench: build failed: %s\n", error.c_str());
    std::exit(2);
  }
  p->blob = std::move(*blob);
  if (!p->view.attach(p->blob.data(), p->blob.size(), &error)) {
    std::fprintf(stderr, "forward_bench: attach failed: %s\n", error.c_str());
    std::exit(2);
  }
  p->build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return p;
}

constexpr uint32_t kBucketMs = 10;

struct Shared {
  Options opt;
  WorkerPorts ports;
  Classifier* classifier = nullptr;
  // Publication: the main lcore stores a view and its generation; the worker switches between
  // bursts and acknowledges the generation (its quiescent point), after which the main lcore
  // may free the previous table.
  std::atomic<const table::IocTableView*> next_view{nullptr};
  std::atomic<uint64_t> next_gen{1};
  std::atomic<uint64_t> acked_gen{1};
  std::atomic<bool> measuring{false}, done{false};
  // Results of the measured phase, written by the worker.
  uint64_t start_tsc = 0, end_tsc = 0, packets = 0, polls = 0, empty_polls = 0;
  uint64_t max_gap = 0, max_gap_window = 0;
  std::vector<uint64_t> buckets;            // packets per kBucketMs
  std::vector<uint64_t> swap_tsc;           // when the worker switched tables
  DataplaneCounters before{}, after{};
};

int worker_main(void* arg) {
  Shared& s = *static_cast<Shared*>(arg);
  Worker worker(*s.classifier);
  const uint64_t hz = rte_get_tsc_hz();
  uint64_t cur_gen = s.acked_gen.load();
  auto check_swap = [&](uint64_t now) {
    const uint64_t g = s.next_gen.load(std::memory_order_acquire);
    if (g == cur_gen) return false;
    s.classifier->set_table(s.next_view.load(std::memory_order_acquire), g);
    cur_gen = g;
    s.acked_gen.store(g, std::memory_order_release);
    if (s.measuring.load(std::memory_order_relaxed)) s.swap_tsc.push_back(now);  // reserved: no alloc
    return true;
  };

  // Warm-up: the first pass over the capture creates the flows.
  const uint64_t warm_end = rte_rdtsc() + static_cast<uint64_t>(s.opt.warmup * hz);
  for (uint64_t now = rte_rdtsc(); now < warm_end; now = rte_rdtsc()) {
    check_swap(now);
    worker.poll(s.ports, now);
  }

  s.before = s.classifier->counters();
  const uint64_t bucket_cycles = hz / 1000 * kBucketMs;
  const uint64_t window_cycles = static_cast<uint64_t>(s.opt.window_ms / 1000 * hz);
  s.measuring.store(true);
  s.start_tsc = rte_rdtsc();
  const uint64_t end = s.start_tsc + static_cast<uint64_t>(s.opt.seconds * hz);
  uint64_t prev = s.start_tsc, packets = 0, polls = 0, empty = 0, last_swap = 0;
  uint64_t max_gap = 0, max_gap_window = 0;
  for (;;) {
    const uint64_t now = rte_rdtsc();
    if (now >= end) break;
    const uint64_t gap = now - prev;
    prev = now;
    if (gap > max_gap) max_gap = gap;
    if (last_swap != 0 && now - last_swap < window_cycles && gap > max_gap_window) max_gap_window = gap;
    if (check_swap(now)) last_swap = now;
    const uint16_t n = worker.poll(s.ports, now);
    packets += n;
    ++polls;
    if (n == 0) ++empty;
    const uint64_t b = (now - s.start_tsc) / bucket_cycles;
    if (b < s.buckets.size()) s.buckets[b] += n;
  }
  s.end_tsc = rte_rdtsc();
  s.measuring.store(false);
  s.after = s.classifier->counters();
  s.packets = packets;
  s.polls = polls;
  s.empty_polls = empty;
  s.max_gap = max_gap;
  s.max_gap_window = max_gap_window;
  s.done.store(true, std::memory_order_release);
  return 0;
}

uint64_t pcap_packets(const std::string& path) {
  // Record headers only: 24 B file header, then 16 B header + caplen bytes per packet.
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return 0;
  uint64_t n = 0;
  std::fseek(f, 24, SEEK_SET);
  uint32_t h[4];
  while (std::fread(h, sizeof h, 1, f) == 1) {
    ++n;
    std::fseek(f, h[2], SEEK_CUR);
  }
  std::fclose(f);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  // Our options before "--", EAL's after.
  int split = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--") split = i;
  Options opt;
  CLI::App app{"iocgate forwarding benchmark: net_pcap infinite_rx -> Worker::poll -> net_null"};
  app.add_option("--pcap", opt.pcap, "capture from bench/gen_bench_traffic.py")->required();
  app.add_option("--hits", opt.hits, "hits.txt from the same generator run");
  app.add_option("--set", opt.set, "IoC set (bench/ioc_sets.h): empty, tiny, 10k, 1m, 5m, swap1m");
  app.add_option("--seconds", opt.seconds, "measured seconds");
  app.add_option("--warmup", opt.warmup, "seconds before measuring (flows get created)");
  app.add_option("--flows", opt.flows, "flow table capacity (small: every packet a new flow)");
  app.add_option("--mbufs", opt.mbufs, "mbuf pool size (default: capture packets + 32768)");
  app.add_option("--mbuf-size", opt.mbuf_size, "mbuf data room, as testpmd --mbuf-size");
  app.add_flag("--swap", opt.swap, "replace the table every --swap-period seconds");
  app.add_flag("--no-v4-direct", opt.no_v4_direct, "compile without the IPv4 direct index (the per-length hashes only)");
  app.add_flag("--records", opt.records, "make flow records (the history's input); the main lcore drains them");
  app.add_option("--swap-period", opt.swap_period, "seconds between swaps");
  app.add_option("--window-ms", opt.window_ms, "swap window length for its throughput");
  CLI11_PARSE(app, split, argv);

  const bench::SetSpec* spec = bench::find_spec(opt.set);
  if (spec == nullptr) {
    std::fprintf(stderr, "forward_bench: unknown set %s\n", opt.set.c_str());
    return 2;
  }
  bench::IocSet hits;
  if (!opt.hits.empty() && !bench::load_hits(opt.hits, &hits)) {
    std::fprintf(stderr, "forward_bench: cannot read %s\n", opt.hits.c_str());
    return 2;
  }
  const uint64_t cap_packets = pcap_packets(opt.pcap);
  if (cap_packets == 0) {
    std::fprintf(stderr, "forward_bench: %s: no packets\n", opt.pcap.c_str());
    return 2;
  }

  // --- the table, before EAL: compile time is not part of the forwarding figure ---
  const bench::IocSet set = bench::make_set(*spec);
  std::unique_ptr<Published> current = compile(set, hits, !opt.no_v4_direct);

  // --- EAL, pool, ports: the same vdevs and pool geometry testpmd gets in run.sh ---
  std::vector<std::string> args = {argv[0]};
  for (int i = split + 1; i < argc; ++i) args.push_back(argv[i]);
  args.push_back("--vdev=net_pcap0,rx_pcap=" + opt.pcap + ",infinite_rx=1");
  args.push_back("--vdev=net_null0,no-rx=1");
  std::vector<char*> eargv;
  for (std::string& a : args) eargv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eargv.size()), eargv.data()) < 0) {
    std::fprintf(stderr, "forward_bench: EAL init failed: %s\n", rte_strerror(rte_errno));
    return 3;
  }
  const unsigned worker_lcore = rte_get_next_lcore(-1, 1, 0);
  if (worker_lcore >= RTE_MAX_LCORE) {
    std::fprintf(stderr, "forward_bench: needs two lcores (-l 0,1): main builds, worker forwards\n");
    return 3;
  }
  const uint32_t mbufs = opt.mbufs != 0 ? opt.mbufs : static_cast<uint32_t>(cap_packets + 32768);
  rte_mempool* pool = rte_pktmbuf_pool_create("mb_pool_0", mbufs, 250, 0, opt.mbuf_size,
                                              static_cast<int>(rte_lcore_to_socket_id(worker_lcore)));
  if (pool == nullptr) {
    std::fprintf(stderr, "forward_bench: mbuf pool of %u: %s\n", mbufs, rte_strerror(rte_errno));
    return 3;
  }
  uint16_t rx_port = 0, tx_port = 0;
  std::string error;
  if (!find_port("net_pcap0", &rx_port) || !find_port("net_null0", &tx_port)) {
    std::fprintf(stderr, "forward_bench: vdevs missing\n");
    return 3;
  }
  for (uint16_t port : {rx_port, tx_port}) {
    PortSetup ps;
    ps.port_id = port;
    if (!setup_port(ps, pool, &error)) {
      std::fprintf(stderr, "forward_bench: %s\n", error.c_str());
      return 3;
    }
  }

  Shared s;
  s.opt = opt;
  s.ports.rx_port = rx_port;
  s.ports.tx_port = tx_port;
  ClassifierConfig cfg;
  cfg.flow_capacity = opt.flows;
  // As the appliance sets them (dataplane_process.cc), from the TSC rate.
  const uint64_t tsc = rte_get_tsc_hz();
  cfg.clock_hz = tsc;
  cfg.idle_timeout = 60 * tsc;
  cfg.active_timeout = 300 * tsc;
  cfg.end_linger = 2 * tsc;
  cfg.sweep_period = 4 * tsc;
  Classifier classifier(cfg);
  classifier.set_table(current->view.empty() ? nullptr : &current->view, 1);
  auto flow_ring = std::make_unique<FlowRing>();
  if (opt.records) classifier.set_flow_ring(flow_ring.get());
  s.classifier = &classifier;
  s.buckets.assign(static_cast<size_t>(opt.seconds * 1000 / kBucketMs) + 2, 0);
  s.swap_tsc.reserve(static_cast<size_t>(opt.seconds / opt.swap_period) + 16);
  rte_eth_stats_reset(rx_port);
  rte_eth_stats_reset(tx_port);

  rte_eal_remote_launch(worker_main, &s, worker_lcore);

  // --- main lcore: drain match events; with --swap, build and publish tables ---
  const uint64_t hz = rte_get_tsc_hz();
  std::vector<double> swap_build_s;
  uint64_t gen = 1, events = 0, records = 0;
  std::unique_ptr<Published> retired;
  const bench::SetSpec swap_spec = *spec;
  auto drain = [&] {
    MatchEvent e;
    while (classifier.events().pop(&e)) ++events;
    // What the control process's collector does first: take each record out of the ring.
    FlowRecord r;
    while (flow_ring->pop(&r)) ++records;
  };
  uint64_t next_swap = 0;
  while (!s.done.load(std::memory_order_acquire)) {
    drain();
    if (!opt.swap || !s.measuring.load()) {
      rte_delay_us_sleep(1000);
      next_swap = rte_rdtsc() + static_cast<uint64_t>(opt.swap_period * hz);
      continue;
    }
    // Build the next generation aside (a different set of the same size each time).
    std::unique_ptr<Published> next = compile(bench::make_set(swap_spec, gen), hits, !opt.no_v4_direct);
    swap_build_s.push_back(next->build_seconds);
    while (rte_rdtsc() < next_swap && !s.done.load()) {
      drain();
      rte_delay_us_sleep(1000);
    }
    if (s.done.load()) break;
    ++gen;
    s.next_view.store(&next->view, std::memory_order_release);
    s.next_gen.store(gen, std::memory_order_release);
    while (s.acked_gen.load(std::memory_order_acquire) != gen && !s.done.load()) rte_pause();
    // The worker switched between bursts: nothing reads the previous table any more.
    retired = std::move(current);
    retired.reset();
    current = std::move(next);
    next_swap += static_cast<uint64_t>(opt.swap_period * hz);
  }
  rte_eal_wait_lcore(worker_lcore);
  drain();

  rte_eth_stats rxs{}, txs{};
  rte_eth_stats_get(rx_port, &rxs);
  rte_eth_stats_get(tx_port, &txs);

  const double secs = static_cast<double>(s.end_tsc - s.start_tsc) / hz;
  const DataplaneCounters& a = s.after;
  const DataplaneCounters& b = s.before;
  const uint64_t rx = a.rx_packets - b.rx_packets;
  nlohmann::json j;
  j["tool"] = "forward_bench";
  j["set"] = opt.set;
  j["table_entries"] = set.size() + (set.size() ? hits.size() : 0);
  j["table_bytes"] = current->view.empty() ? 0 : current->view.header().total_size;
  j["table_build_s"] = current->build_seconds;
  j["flow_capacity"] = classifier.flows().capacity();
  j["capture_packets"] = cap_packets;
  j["seconds"] = secs;
  j["packets"] = s.packets;
  j["mpps"] = s.packets / secs / 1e6;
  j["cycles_per_packet"] = static_cast<double>(s.end_tsc - s.start_tsc) / std::max<uint64_t>(s.packets, 1);
  j["tsc_hz"] = hz;
  j["empty_poll_fraction"] = static_cast<double>(s.empty_polls) / std::max<uint64_t>(s.polls, 1);
  j["dropped_fraction"] = static_cast<double>(a.dropped_packets - b.dropped_packets) / std::max<uint64_t>(rx, 1);
  j["flows_created_per_packet"] = static_cast<double>(a.flows_created - b.flows_created) / std::max<uint64_t>(rx, 1);
  j["tx_failed"] = a.tx_failed - b.tx_failed;
  j["events"] = events;
  j["records"] = opt.records;
  j["flow_records_drained"] = records;
  j["flow_records_per_packet"] = static_cast<double>(a.flow_records - b.flow_records) / std::max<uint64_t>(rx, 1);
  j["events_lost"] = a.events_lost - b.events_lost;
  j["port_rx_ipackets"] = rxs.ipackets;
  j["port_rx_imissed"] = rxs.imissed;
  j["port_rx_nombuf"] = rxs.rx_nombuf;
  j["port_tx_opackets"] = txs.opackets;
  j["port_tx_oerrors"] = txs.oerrors;
  j["max_poll_gap_us"] = static_cast<double>(s.max_gap) * 1e6 / hz;
  for (size_t i = 0; i < kDataplaneCounterCount; ++i)
    j["counters"][kDataplaneCounterInfo[i].name] = counter_array(a)[i] - counter_array(b)[i];
  if (opt.swap) {
    // Throughput in the swap windows (window_ms after each switch) against the rest of the run.
    const uint64_t bucket_cycles = hz / 1000 * kBucketMs;
    std::vector<bool> in_window(s.buckets.size(), false);
    for (uint64_t t : s.swap_tsc) {
      const uint64_t first = (t - s.start_tsc) / bucket_cycles;
      const uint64_t count = static_cast<uint64_t>(opt.window_ms / kBucketMs);
      for (uint64_t k = first; k < first + count && k < in_window.size(); ++k) in_window[k] = true;
    }
    const size_t full = static_cast<size_t>(secs * 1000 / kBucketMs);  // last bucket is partial
    uint64_t wp = 0, wn = 0, sp = 0, sn = 0;
    for (size_t k = 0; k < full && k < s.buckets.size(); ++k) {
      (in_window[k] ? wp : sp) += s.buckets[k];
      (in_window[k] ? wn : sn) += 1;
    }
    uint64_t min_bucket = ~0ULL;
    for (size_t k = 0; k < full && k < s.buckets.size(); ++k)
      if (in_window[k]) min_bucket = std::min(min_bucket, s.buckets[k]);
    j["swaps"] = s.swap_tsc.size();
    j["swap_build_s"] = swap_build_s;
    j["window_mpps"] = wn ? wp / (wn * kBucketMs / 1000.0) / 1e6 : 0;
    j["steady_mpps"] = sn ? sp / (sn * kBucketMs / 1000.0) / 1e6 : 0;
    j["window_min_10ms_mpps"] = min_bucket == ~0ULL ? 0 : min_bucket / (kBucketMs / 1000.0) / 1e6;
    j["max_poll_gap_window_us"] = static_cast<double>(s.max_gap_window) * 1e6 / hz;
  }
  std::printf("%s\n", j.dump().c_str());

  rte_eth_dev_stop(rx_port);
  rte_eth_dev_stop(tx_port);
  rte_eal_cleanup();
  return 0;
}
