// dataplane/dataplane_process.cc — start-up (the newest valid table first, then EAL and
// ports), the worker loop, and the main thread that maps new table generations and frees old
// ones once every worker has reported that it moved past them.

#include "dataplane/dataplane_process.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/random.h>

#include "dataplane/classifier.h"
#include "dataplane/distributor.h"
#include "dataplane/dpdk_port.h"
#include "dataplane/worker.h"
#include "shm/control_block.h"
#include "shm/final_accounting.h"
#include "shm/mapped_table.h"
#include "shm/table_follower.h"

namespace iocgate {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_worker_failed{false};  // a worker could not start: the process exits 2

void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

// How often a worker refreshes its heartbeat and counter copy in shared memory.
constexpr uint64_t kPublishEveryLoops = 256;

struct WorkerContext {
  uint32_t index = 0;
  const ApplianceConfig* cfg = nullptr;
  WorkerSlot* slot = nullptr;
  std::atomic<const MappedTable*>* current = nullptr;
  const std::atomic<bool>* fail_closed = nullptr;
  uint16_t inside = 0, outside = 0;
  int32_t mirror = kNoPort;
  ResolvedTable* resolved = nullptr;  // DNS answers, shared by every worker
  const Distributor* distributor = nullptr;  // set when the ports have one queue for all
  uint64_t flow_hash_seed = 0;
};

std::atomic<bool> g_distributor_stop{false};  // set once every worker has returned

int distributor_main(void* arg) {
  static_cast<Distributor*>(arg)->run(g_distributor_stop);
  return 0;
}

void log_line(const std::string& s) {
  std::fprintf(stderr, "iocgate dataplane: %s\n", s.c_str());
  std::fflush(stderr);
}

// Plain store of a value this thread alone writes: no locked instruction on the hot path.
void bump(std::atomic<uint64_t>& a, uint64_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

int worker_main(void* arg) {
  auto& ctx = *static_cast<WorkerContext*>(arg);
  WorkerSlot& slot = *ctx.slot;
  reset_worker_slot(slot);
  slot.lcore = rte_lcore_id();
  ClassifierConfig ccfg;
  ccfg.flow_capacity = ctx.cfg->flow_capacity;
  ccfg.reassembly_buffers = static_cast<uint16_t>(ctx.cfg->reassembly_buffers);
  ccfg.unreadable_drop = ctx.cfg->unreadable != "pass";
  // Drawn per worker at start from the kernel's entropy, never shown: a flood cannot be
  // aimed at one bucket of a table whose hash nobody outside knows.
  ccfg.flow_hash_seed = ctx.flow_hash_seed;
  // Longer than any receiver keeps a fragment (60 s for IPv6): a slot is never reused while
  // a host could still complete its datagram.
  ccfg.fragment_timeout = 65 * rte_get_tsc_hz();
  // Flows ([history]): the flow table's idle timeout, and when records are made. An ended
  // flow's last ACKs and retransmissions come within the linger, so they join its record
  // instead of opening a flow of their own; a quiet flow ends at most one sweep after its
  // idle timeout; at shutdown the control process gets a moment to empty a full ring.
  const uint64_t hz = rte_get_tsc_hz();
  ccfg.idle_timeout = uint64_t{ctx.cfg->history_idle_timeout_s} * hz;
  ccfg.active_timeout = uint64_t{ctx.cfg->history_active_timeout_s} * hz;
  ccfg.end_linger = 2 * hz;
  ccfg.sweep_period = 4 * hz;
  ccfg.flush_wait = 2 * hz;
  ccfg.clock_hz = hz;
  ccfg.resolved_entries = 0;  // the process's shared table instead
  // Built on the worker's own lcore, so its memory is local to that core's socket. Sized by
  // the config: a size the machine cannot give is the operator's to fix, and says which.
  std::unique_ptr<Classifier> made;
  try {
    made = std::make_unique<Classifier>(ccfg);
  } catch (const std::exception& e) {
    log_line("worker " + std::to_string(ctx.index) + ": cannot allocate its flow table and reassembly buffers (" +
             e.what() + "): flow_capacity = " + std::to_string(ccfg.flow_capacity) + " flows (" +
             std::to_string(uint64_t{ccfg.flow_capacity} * sizeof(Flow) >> 20) + " MiB) and reassembly_buffers = " +
             std::to_string(ccfg.reassembly_buffers) + " (" + std::to_string(uint64_t{ccfg.reassembly_buffers} * 16 >> 10) +
             " MiB); lower them in [dataplane] of " + ctx.cfg->path);
    g_worker_failed.store(true);
    g_stop.store(true);
    return -1;
  }
  Classifier& classifier = *made;
  classifier.set_event_ring(&slot.events);
  if (ctx.cfg->history_enabled) classifier.set_flow_ring(&slot.flows);
  classifier.set_resolved_table(ctx.resolved);
  Worker worker(classifier);

  WorkerPorts a_to_b, b_to_a;
  a_to_b.rx_port = ctx.inside;
  a_to_b.tx_port = ctx.outside;
  b_to_a.rx_port = ctx.outside;
  b_to_a.tx_port = ctx.inside;
  a_to_b.rx_queue = a_to_b.tx_queue = b_to_a.rx_queue = b_to_a.tx_queue = static_cast<uint16_t>(ctx.index);
  a_to_b.mirror_port = b_to_a.mirror_port = ctx.mirror;
  a_to_b.aux_queue = b_to_a.aux_queue = static_cast<uint16_t>(ctx.index);
  if (const Distributor* d = ctx.distributor) {
    // Port indexes of the distributor: 0 inside, 1 outside, 2 the mirror port.
    a_to_b.rx_queue = a_to_b.tx_queue = b_to_a.rx_queue = b_to_a.tx_queue = a_to_b.aux_queue = b_to_a.aux_queue = 0;
    a_to_b.rx_ring = d->rx_ring(ctx.index, 0);
    b_to_a.rx_ring = d->rx_ring(ctx.index, 1);
    a_to_b.tx_ring = b_to_a.back_ring = d->tx_ring(ctx.index, 1);
    b_to_a.tx_ring = a_to_b.back_ring = d->tx_ring(ctx.index, 0);
    if (ctx.mirror != kNoPort) a_to_b.mirror_ring = b_to_a.mirror_ring = d->tx_ring(ctx.index, 2);
  }

  const MappedTable* mine = nullptr;
  uint64_t mine_gen = 0;
  bool closed = false;
  uint64_t tally_index = 0;
  slot.running.store(1, std::memory_order_release);

  for (uint64_t loop = 0; !g_stop.load(std::memory_order_relaxed); ++loop) {
    // Adopt a newer table only between bursts: each burst is judged by one generation.
    const MappedTable* t = ctx.current->load(std::memory_order_acquire);
    const bool want_closed = t == nullptr && ctx.fail_closed->load(std::memory_order_acquire);
    if (want_closed != closed) {
      closed = want_closed;
      worker.set_fail_closed(closed);
    }
    if (t != mine) {
      mine = t;
      mine_gen = t != nullptr ? t->generation() : 0;
      classifier.set_table(t != nullptr ? &t->view() : nullptr, mine_gen);
      GenerationTally& old = slot.tally[(tally_index + 1) % kGenerationTally];
      bump(slot.tally_folded, old.packets.load(std::memory_order_relaxed));
      ++tally_index;
      old.packets.store(0, std::memory_order_relaxed);
      old.generation.store(mine_gen, std::memory_order_relaxed);
      slot.switches.store(tally_index, std::memory_order_release);
    }
    const uint64_t now = rte_rdtsc();
    const uint16_t n = worker.poll(a_to_b, now) + worker.poll(b_to_a, now);
    if (n != 0) bump(slot.tally[tally_index % kGenerationTally].packets, n);
    else classifier.housekeep(now);  // quiet flows still end (bursts do it themselves)
    // Quiescent-state report: this worker holds no reference older than mine_gen.
    slot.generation.store(mine_gen, std::memory_order_release);
    if (loop % kPublishEveryLoops == 0) {
      slot.heartbeat_tsc.store(now, std::memory_order_relaxed);
      slot.loops.store(loop, std::memory_order_relaxed);
      slot.counters = classifier.counters();
    }
  }
  classifier.flush_summaries();
  slot.counters = classifier.counters();
  slot.running.store(0, std::memory_order_release);
  return 0;
}

std::vector<std::string> eal_arguments(const ApplianceConfig& cfg) {
  // A map onto CPUs ("0@0,1@1,2@1": more lcores than cores, as on a small test box) is EAL's
  // --lcores syntax; a plain list or range stays -l.
  const bool mapped = cfg.lcores.find_first_of("@(") != std::string::npos;
  std::vector<std::string> a = {"iocgate-dataplane", mapped ? "--lcores" : "-l", cfg.lcores, "--file-prefix",
                                "iocgate-" + cfg.instance};
  if (!cfg.hugepages) {
    a.insert(a.end(), {"--no-huge", "-m", std::to_string(cfg.memory_mb)});
  }
  bool any_pci = false;
  for (const std::string* dev : {&cfg.inside, &cfg.outside, &cfg.mirror}) {
    if (dev->empty()) continue;
    if (is_pci_address(*dev)) {
      a.insert(a.end(), {"-a", *dev});
      any_pci = true;
    } else {
      a.insert(a.end(), {"--vdev", *dev});
    }
  }
  // Without an allow-list EAL would probe every NIC on the machine; with vdevs only, none.
  if (!any_pci) a.push_back("--no-pci");
  a.insert(a.end(), cfg.eal_args.begin(), cfg.eal_args.end());
  return a;
}

// The table generations this process has mapped for its workers, newest last: an old one is
// unmapped only once every worker has reported that it moved past it.
class WorkerTables final : public TableEnforcer {
 public:
  explicit WorkerTables(ControlBlock* cb) : cb_(cb) {}

  bool adopt(std::unique_ptr<MappedTable> t, TableSource source) override {
    report_enforced_table(cb_, t->header(), source);
    current_.store(t.get(), std::memory_order_release);
    fail_closed_.store(false, std::memory_order_release);
    cb_->active_generation.store(t->generation(), std::memory_order_release);
    tables_.push_back(std::move(t));
    return true;
  }
  void drop_everything() override { fail_closed_.store(true, std::memory_order_release); }

  // Frees every generation older than the one all running workers report having reached.
  void reclaim(uint32_t workers) {
    if (tables_.size() < 2) return;
    uint64_t oldest_in_use = tables_.back()->generation();
    for (uint32_t i = 0; i < workers; ++i) {
      const WorkerSlot& w = cb_->workers[i];
      if (w.running.load(std::memory_order_acquire) != 0)
        oldest_in_use = std::min(oldest_in_use, w.generation.load(std::memory_order_acquire));
    }
    while (tables_.size() > 1 && tables_.front()->generation() < oldest_in_use) tables_.pop_front();
  }

  std::atomic<const MappedTable*>* current() { return &current_; }
  const std::atomic<bool>* fail_closed() const { return &fail_closed_; }

 private:
  ControlBlock* cb_;
  std::list<std::unique_ptr<MappedTable>> tables_;
  std::atomic<const MappedTable*> current_{nullptr};
  std::atomic<bool> fail_closed_{false};
};

// With a distributor, frames it could not hand to a worker count as the port's imissed and
// frames it could not send as its oerrors: what a port with a queue per worker counts.
void publish_port_stats(ControlBlock* cb, const std::vector<uint16_t>& ports, const Distributor* d) {
  for (size_t i = 0; i < ports.size() && i < kMaxPorts; ++i) {
    PortSlot& p = cb->ports[i];
    rte_eth_link link;
    if (rte_eth_link_get_nowait(ports[i], &link) == 0) {
      p.link_up.store(link.link_status, std::memory_order_relaxed);
      p.link_speed_mbps.store(link.link_speed, std::memory_order_relaxed);
    }
    rte_eth_stats st;
    if (rte_eth_stats_get(ports[i], &st) == 0) {
      p.ipackets.store(st.ipackets, std::memory_order_relaxed);
      p.opackets.store(st.opackets, std::memory_order_relaxed);
      p.ibytes.store(st.ibytes, std::memory_order_relaxed);
      p.obytes.store(st.obytes, std::memory_order_relaxed);
      const uint64_t undistributed = d != nullptr && i < Distributor::kMaxRxPorts ? d->undistributed(i) : 0;
      const uint64_t unsent = d != nullptr && i < Distributor::kMaxTxPorts ? d->tx_failed(i) : 0;
      p.imissed.store(st.imissed + undistributed, std::memory_order_relaxed);
      p.ierrors.store(st.ierrors, std::memory_order_relaxed);
      p.oerrors.store(st.oerrors + unsent, std::memory_order_relaxed);
    }
  }
}

// One JSON line at a clean stop: what every worker and port counted, and how many packets
// each table generation judged, so an operator (and the tests) can check that nothing was
// lost: rx = forwarded + dropped, and the per-generation tallies add up to rx.
void log_final_accounting(const ControlBlock* cb, uint32_t workers, uint32_t ports) {
  std::string j = "{\"workers\":[";
  for (uint32_t i = 0; i < workers; ++i)
    j += std::string(i == 0 ? "" : ",") + worker_accounting_json(cb->workers[i], i);
  j += "],\"ports\":[";
  for (uint32_t i = 0; i < ports; ++i) {
    const PortSlot& p = cb->ports[i];
    j += std::string(i == 0 ? "" : ",") + "{\"name\":" + json_quoted(std::string(p.name)) +
         ",\"ipackets\":" + std::to_string(p.ipackets.load()) + ",\"opackets\":" + std::to_string(p.opackets.load()) +
         ",\"imissed\":" + std::to_string(p.imissed.load()) + ",\"ierrors\":" + std::to_string(p.ierrors.load()) +
         ",\"oerrors\":" + std::to_string(p.oerrors.load()) + "}";
  }
  log_line("final " + j + "]}");
}

// EAL failures often leave rte_errno at 0 ("Success"): name the likely cause instead.
std::string eal_failure(const ApplianceConfig& cfg) {
  const std::string lock = "/var/run/dpdk/iocgate-" + cfg.instance + "/config";
  std::string cause = rte_errno != 0 ? std::string(rte_strerror(rte_errno)) : "";
  const int fd = open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_len = sizeof(uint32_t);
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
      cause = "process " + std::to_string(fl.l_pid) + " still holds the DPDK lock " + lock +
              " (a previous dataplane of instance '" + cfg.instance + "' that is still stopping, or another one)";
    close(fd);
  }
  if (cause.empty()) cause = "see the EAL messages above (hugepages reserved? devices bound? lcores '" + cfg.lcores + "' exist?)";
  return "DPDK EAL initialisation failed: " + cause;
}

}  // namespace

int run_dataplane(const ApplianceConfig& cfg) {
  if (cfg.inside.empty() || cfg.outside.empty()) {
    log_line(cfg.path + ": [dataplane] needs 'inside' and 'outside' ports");
    return 2;
  }
  const TrustedOwners owners = trusted_owners(cfg.control_user, cfg.socket_group);
  Result<ControlBlock*> opened = open_control_block(cfg, owners);
  if (!opened.ok()) {
    log_line(opened.message());
    return 2;
  }
  ControlBlock* cb = *opened;
  if (const uint64_t other = other_dataplane(*cb); other != 0) {
    log_line("another dataplane (pid " + std::to_string(other) + ") runs instance '" + cfg.instance + "'");
    return 2;
  }

  // The table comes first: enforcement must not wait for the control process.
  WorkerTables tables(cb);
  TableFollower follower(cfg, cb, owners, &tables, {"forwarding", "packet", "forwards"}, log_line);
  follower.load_initial();

  std::vector<std::string> args = eal_arguments(cfg);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    log_line(eal_failure(cfg));
    return 3;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  int rc = 0;
  std::string error;
  std::vector<uint16_t> ports;
  size_t started = 0;  // ports[0, started) were configured and started
  std::unique_ptr<Distributor> distributor;
  unsigned distributor_lcore = RTE_MAX_LCORE;
  std::vector<unsigned> worker_lcores;
  do {
    // Find the ports first: whether they have a queue per worker decides the lcores needed.
    std::vector<std::string> names;
    for (const std::string* dev : {&cfg.inside, &cfg.outside, &cfg.mirror}) {
      if (dev->empty()) continue;
      uint16_t id;
      if (!find_port(device_port_name(*dev), &id)) {
        log_line("port '" + *dev + "' was not found by DPDK (bound to a DPDK driver? see dpdk-devbind.py --status)");
        rc = 2;
        break;
      }
      ports.push_back(id);
      names.push_back(device_port_name(*dev));
    }
    if (rc != 0) break;
    uint16_t fewest = UINT16_MAX;
    for (uint16_t id : ports) fewest = std::min(fewest, port_queue_limit(id));
    const bool ring = cfg.distribute == "ring" || (cfg.distribute == "auto" && cfg.workers > 1 && fewest < cfg.workers);
    const uint32_t needed = cfg.workers + (ring ? 1 : 0);
    const uint32_t available = rte_lcore_count() - 1;
    if (needed > available) {
      log_line(cfg.path + ": workers = " + std::to_string(cfg.workers) +
               (ring ? " and the distributor (the ports have " + std::to_string(fewest) + " queue(s))" : "") +
               " need " + std::to_string(needed) + " lcores besides the main one, but lcores '" + cfg.lcores +
               "' leave " + std::to_string(available));
      rc = 2;
      break;
    }
    rte_mempool* pool = create_mbuf_pool("iocgate_pool", cfg.mbufs, static_cast<int>(rte_socket_id()), &error);
    if (pool == nullptr) {
      log_line(error);
      rc = 3;
      break;
    }
    for (size_t i = 0; i < ports.size(); ++i) {
      PortSetup setup;
      setup.port_id = ports[i];
      setup.queues = ring ? 1 : static_cast<uint16_t>(cfg.workers);
      if (!setup_port(setup, pool, &error)) {
        log_line(error + (ring || cfg.distribute == "rss" ? "" : "; distribute = \"ring\" spreads one queue over the workers"));
        rc = 3;
        break;
      }
      started = i + 1;
      PortSlot& slot = cb->ports[i];
      std::snprintf(slot.name, sizeof(slot.name), "%s", names[i].c_str());
    }
    if (rc != 0) break;
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore) {
      if (worker_lcores.size() < cfg.workers) worker_lcores.push_back(lcore);
      else if (ring && distributor_lcore == RTE_MAX_LCORE) distributor_lcore = lcore;
    }
    if (ring) {
      distributor = std::make_unique<Distributor>();
      const std::vector<uint16_t> rx(ports.begin(), ports.begin() + 2);
      if (!distributor->init(cfg.workers, rx, ports, static_cast<int>(rte_socket_id()), &error)) {
        log_line(error);
        rc = 3;
        break;
      }
    }

    cb->tsc_hz.store(rte_get_tsc_hz());
    cb->worker_count.store(cfg.workers);
    cb->port_count.store(static_cast<uint32_t>(ports.size()));
    cb->dataplane_start_unix.store(static_cast<uint64_t>(std::time(nullptr)));
    cb->dataplane_pid.store(static_cast<uint64_t>(getpid()), std::memory_order_release);

    std::vector<WorkerContext> ctx(cfg.workers);
    // One table of DNS answers for every worker: symmetric RSS puts a DNS exchange and the
    // connection to its answer on different workers (262144 addresses, 32 MiB).
    ResolvedTable resolved(1u << 18);
    for (uint32_t w = 0; w < cfg.workers; ++w) {
      WorkerContext& c = ctx[w];
      c.index = w;
      c.cfg = &cfg;
      c.slot = &cb->workers[w];
      c.current = tables.current();
      c.fail_closed = tables.fail_closed();
      c.inside = ports[0];
      c.outside = ports[1];
      c.mirror = ports.size() > 2 ? ports[2] : kNoPort;
      c.resolved = &resolved;
      c.distributor = distributor.get();
    }
    bool keyed = true;
    for (WorkerContext& c : ctx)
      keyed = keyed && getrandom(&c.flow_hash_seed, sizeof(c.flow_hash_seed), 0) == sizeof(c.flow_hash_seed);
    if (!keyed) {
      log_line(std::string("cannot draw the flow tables' hash keys from the kernel: ") + std::strerror(errno));
      rc = 3;
      break;
    }
    for (uint32_t w = 0; w < cfg.workers; ++w) rte_eal_remote_launch(worker_main, &ctx[w], worker_lcores[w]);
    if (distributor) rte_eal_remote_launch(distributor_main, distributor.get(), distributor_lcore);
    log_line("forwarding " + cfg.inside + " <-> " + cfg.outside + " with " + std::to_string(cfg.workers) +
             " worker(s)" + (cfg.mirror.empty() ? "" : ", mirror to " + cfg.mirror) +
             (ring ? ", spread by a distributor on lcore " + std::to_string(distributor_lcore) + " (" +
                         std::to_string(fewest) + " queue(s) per port)"
                   : cfg.workers > 1 ? ", one RSS queue each" : ""));

    // Main thread: follow generations every millisecond, port stats every second.
    const uint64_t hz = rte_get_tsc_hz();
    uint64_t last_stats = 0;
    while (!g_stop.load(std::memory_order_relaxed)) {
      follower.poll();
      tables.reclaim(cfg.workers);
      const uint64_t now = rte_rdtsc();
      cb->dataplane_heartbeat_ns.store(monotonic_ns(), std::memory_order_relaxed);
      if (now - last_stats > hz) {
        publish_port_stats(cb, ports, distributor.get());
        last_stats = now;
      }
      rte_delay_us_sleep(1000);
    }
    log_line("stopping");
    // Workers first: the distributor then sends what they forwarded and counts the rest.
    for (unsigned l : worker_lcores) rte_eal_wait_lcore(l);
    g_distributor_stop.store(true);
    rte_eal_mp_wait_lcore();
    if (g_worker_failed.load()) rc = 2;
    publish_port_stats(cb, ports, distributor.get());
    log_final_accounting(cb, cfg.workers, static_cast<uint32_t>(ports.size()));
  } while (false);

  distributor.reset();  // its rings and any frame left in them go before the ports and EAL
  for (size_t i = 0; i < ports.size(); ++i) {
    if (i < started) rte_eth_dev_stop(ports[i]);
    rte_eth_dev_close(ports[i]);
  }
  cb->dataplane_pid.store(0, std::memory_order_release);
  rte_eal_cleanup();
  return rc;
}

}  // namespace iocgate
