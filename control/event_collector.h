// control/event_collector.h — the control process's consumer of the workers' event rings:
// a thread drains every worker's SPSC ring every 50 ms, resolves each event's record with
// the table generation it names (table_history.h), works out the internal host and the
// direction from the configured internal networks, and feeds the event log (one line per
// matched flow), the review store (hit_store.h) and the counters (stats.h).
//
// A flow's first-match event carries the IoC; its summary (when the flow leaves the flow
// table, or at dataplane shutdown) carries its matched packets. The collector keeps the
// resolved first match of each open flow, so a summary is attributed to the IoC that first
// matched even when tables changed in between.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "config/appliance_config.h"
#include "control/event_log.h"
#include "control/hit_store.h"
#include "control/open_flows.h"
#include "control/stats.h"
#include "control/table_history.h"
#include "shm/control_block.h"

namespace iocgate {

// CIDRs of the operator's own hosts.
class InternalNetworks {
 public:
  // An error naming the bad entry.
  Status parse(const std::vector<std::string>& cidrs);
  bool contains(uint8_t ip_version, const uint8_t* addr) const;
  bool empty() const { return nets_.empty(); }

 private:
  struct Net {
    uint8_t version;
    uint8_t len;
    uint8_t addr[16];
  };
  std::vector<Net> nets_;
};

// Who the flow is about, for the report.
struct FlowParties {
  std::string host;       // the internal end; with both ends internal, the one not listed
  std::string direction;  // outbound (host opened it), inbound, internal, external; unknown
                          // when no internal networks are configured
  bool ioc_is_host = false;
};
FlowParties flow_parties(const MatchEvent& e, const InternalNetworks& nets);

EventLogConfig event_log_config(const ApplianceConfig& cfg);

class EventCollector {
 public:
  EventCollector(const ApplianceConfig& cfg, ControlBlock* cb, TableHistory& history, HitStore& store,
                 HitStats& stats);
  ~EventCollector();

  Status start();  // parses the networks, starts the thread
  void stop();                     // drains what is left, flushes the store

  // One event from `worker`, at wall-clock `wall_ms`. Public for tests.
  void handle(const MatchEvent& e, uint32_t worker, int64_t wall_ms);
  // Log rate-limit summary and review store flush; `now_ms` wall clock.
  void tick(int64_t now_ms);

 private:
  void run();
  size_t drain();
  int64_t wall_ms_of(uint64_t tsc);

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  TableHistory& history_;
  HitStore& store_;
  HitStats& stats_;
  EventLog log_;
  InternalNetworks nets_;
  OpenFlows open_;  // each open matched flow's first match, on disk across restarts
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int64_t last_flush_ms_ = 0;
  // TSC -> wall clock: a reference pair taken at start and renewed every minute.
  uint64_t ref_tsc_ = 0;
  int64_t ref_wall_ms_ = 0;
  int64_t ref_taken_ms_ = 0;
};

// Wall clock now, milliseconds since the epoch.
int64_t wall_now_ms();

}  // namespace iocgate
