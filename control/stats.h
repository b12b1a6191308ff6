// control/stats.h — the appliance's counters as the control process sums them: per port, per
// action and per IoC kind from the workers' own counter copies in the control block (each
// worker writes only its slot; nothing shared is written on the hot path), per feed, per IoC
// and per internal host from the event stream. One snapshot feeds both /metrics (Prometheus
// text format) and `iocctl stats`.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/infected_hosts.h"
#include "control/table_history.h"
#include "shm/control_block.h"

namespace iocgate {

// Series kept for the per-IoC and per-host metrics (largest first).
inline constexpr size_t kTopN = 20;

struct HitCount {
  uint64_t flows = 0;
  uint64_t packets = 0;
};

struct StatsSnapshot {
  struct Worker {
    uint32_t index = 0;
    bool alive = false;
    uint64_t generation = 0;
    DataplaneCounters counters;
  };
  struct Port {
    std::string name;
    bool up = false;
    uint64_t speed_mbps = 0, rx = 0, tx = 0, missed = 0, rx_errors = 0, tx_errors = 0;
  };
  struct Feed {
    std::string feed, advisory, group;
    HitCount hits;
  };
  struct Ioc {
    std::string ioc, feed, kind;
    HitCount hits;
  };
  struct Host {
    std::string host;
    HitCount hits;
  };
  bool dataplane_running = false;
  uint64_t published_generation = 0, active_generation = 0;
  std::string table_source = "none";  // none, published, store, older_store, fail_closed
  uint64_t feeds_degraded = 0;        // set by the control process
  struct FeedState {
    std::string feed;
    bool expired = false, degraded = false;
    int64_t expires_unix = 0;
  };
  std::vector<FeedState> feed_states;  // set by the control process
  bool publish_pending = false;       // set by the control process
  TableHistory::Entries table;
  std::vector<Worker> workers;
  DataplaneCounters total;       // summed over the workers
  std::vector<Port> ports;
  std::vector<Feed> feeds;
  std::vector<Ioc> iocs;         // top kTopN by flows
  std::vector<Host> hosts;       // top kTopN by flows
  uint64_t iocs_seen = 0, hosts_seen = 0;
  // The event stream as the control process saw it.
  uint64_t events_flows = 0, events_summaries = 0, events_unresolved = 0;
  uint64_t events_logged = 0, events_suppressed = 0;
  // Hosts on a watch list (infected) with a flow in the last 24 h; hosts flagged for the
  // first time since the start (those already in the review store are not new).
  uint64_t infected_hosts = 0, infected_host_seen = 0;
};

// Aggregates of the event stream since the control process started. Thread-safe.
class HitStats {
 public:
  void add(const std::string& feed, const std::string& advisory, const std::string& group, const std::string& ioc,
           const std::string& kind, const std::string& host, uint64_t flows, uint64_t packets);
  void count_event(bool summary, bool resolved);
  void set_log_counts(uint64_t logged, uint64_t suppressed);
  // The infected hosts: seeded from the review store at start-up, then each stored delta.
  void seed_infected(const HitTotals& totals) { infected_.seed(totals); }
  void observe_infected(const HitRecord& delta) { infected_.observe(delta); }
  // Fills the event-derived part of `s`.
  void fill(StatsSnapshot* s) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, StatsSnapshot::Feed> feeds_;
  std::map<std::tuple<std::string, std::string, std::string>, HitCount> iocs_;  // ioc, feed, kind
  std::map<std::string, HitCount> hosts_;
  uint64_t flows_ = 0, summaries_ = 0, unresolved_ = 0, logged_ = 0, suppressed_ = 0;
  InfectedHosts infected_;  // locks itself
};

// Reads the control block (workers, ports, generations) into `s`. `dataplane_running` says
// whether its slots describe a live dataplane.
void read_control_block(const ControlBlock& cb, bool dataplane_running, StatsSnapshot* s);

std::string render_prometheus(const StatsSnapshot& s);
nlohmann::json stats_json(const StatsSnapshot& s);

}  // namespace iocgate
