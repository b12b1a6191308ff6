// control/infected_hosts.h — the hosts flagged infected (their own address on a watch-list
// feed), for the alerts: iocgate_infected_hosts (those with such a hit in the last 24 h) and
// iocgate_infected_host_seen_total (hosts flagged for the first time since the control
// process started; those already in the review store are not new). Seeded from the store at
// start-up (hit_totals.h), fed by the event collector. Thread-safe; bounded.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "control/hit_record.h"
#include "control/hit_totals.h"

namespace iocgate {

class InfectedHosts {
 public:
  static constexpr int64_t kActiveMs = 24 * 3600 * 1000;
  // Hosts remembered; past it a host is still counted new once, but not remembered (a watch
  // list covering the whole internal network must not grow memory without bound).
  static constexpr size_t kMaxHosts = 1u << 20;

  // The hosts the review store already holds: none of them is new.
  void seed(const HitTotals& totals);
  // One delta as the collector stores it; counts when it makes a host infected.
  void observe(const HitRecord& delta);

  // Hosts with an infected hit in the 24 h before `now_ms`.
  uint64_t active(int64_t now_ms) const;
  // Hosts flagged for the first time since the start (a counter).
  uint64_t newly_seen() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, int64_t> last_ms_;
  uint64_t new_ = 0;
};

}  // namespace iocgate
