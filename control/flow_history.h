// control/flow_history.h — the control process's flow history as one piece to wire: the store
// ([history] dir, days, max_bytes), the collector thread that fills it from the workers' flow
// rings, the optional IPFIX export, and the requests that read it: `iocctl hunt`, the line a
// push prints, the review report's "before the advisory" section and the /metrics families.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "config/appliance_config.h"
#include "control/ctl_request.h"
#include "control/event_collector.h"
#include "control/feed_store.h"
#include "control/flow_collector.h"
#include "control/history_store.h"
#include "control/hunt.h"
#include "control/ipfix_exporter.h"
#include "shm/shm_protocol.h"

namespace iocgate {

// How long a push's look-back (and each feed's section of the report) may read the history
// before answering with what it read; `iocctl hunt` has no such limit.
inline constexpr double kPushLookBackSeconds = 2.0;

class FlowHistory {
 public:
  FlowHistory(const ApplianceConfig& cfg, ControlBlock* cb);
  ~FlowHistory();

  // Opens the store (counting what a crash lost), the IPFIX socket, starts the collector.
  // With [history] enabled = false: nothing, and every request says history is off.
  Status start();
  // Drains the rings and writes what is left; before the process exits.
  void stop();

  // `iocctl hunt`: a reply object ({"ok": true, "hunt": {...}} or an error naming the feed,
  // the file line or the option). `content` holds the files' bytes in request order.
  nlohmann::json hunt(const HuntRequest& req, const std::string& content, const FeedStore& feeds) const;
  // After a push of `feed`: the whole history hunted for its IoCs; {"line": "...", "hosts":
  // N, ...} for the push reply's "hunt" member.
  nlohmann::json after_push(const StoredFeed& feed) const;
  // The report's "before the advisory" section: per feed (every feed, or `feed`), the hosts
  // that contacted its IoCs in the [history] days before it was first pushed.
  nlohmann::json before_advisory(const FeedStore& feeds, const std::string& feed) const;

  // Prometheus text of the history's counters (iocgate_history_*), to append to /metrics.
  std::string prometheus() const;
  bool enabled() const { return store_ != nullptr; }
  const HistoryStore* store() const { return store_.get(); }

 private:
  HuntQuery query_for(const std::vector<const StoredFeed*>& feeds, int64_t since_ms, int64_t until_ms) const;

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  InternalNetworks nets_;
  std::unique_ptr<HistoryStore> store_;
  std::unique_ptr<IpfixExporter> ipfix_;
  std::unique_ptr<FlowCollector> collector_;
};

// "30d", "36h", "90m" back from `now_ms`, or a date ("2024-06-01", UTC midnight) or an RFC 3339
// time; for `what` (the option) in the error.
Result<int64_t> parse_hunt_time(const std::string& text, int64_t now_ms, const char* what);

}  // namespace iocgate
