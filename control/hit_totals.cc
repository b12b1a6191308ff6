// control/hit_totals.cc — one pass over the store, merged on the counters' keys.

#include "control/hit_totals.h"

#include <climits>
#include <tuple>

#include "control/stats.h"

namespace iocgate {

HitTotals rebuild_hit_totals(const HitStore& store) {
  HitTotals t;
  // The counters' keys are coarser than the store's: peers, names seen and directions of a
  // contact add up into one series.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, HitRecord> m;
  t.scanned = store.scan(0, INT64_MAX, [&](const HitRecord& r) {
    auto [it, created] = m.try_emplace({r.host, r.ioc, r.kind, r.feed}, r);
    if (!created) {
      it->second.flows += r.flows;
      it->second.packets += r.packets;
      it->second.last_ms = std::max(it->second.last_ms, r.last_ms);
    }
    if (r.infected()) {
      int64_t& last = t.infected_hosts[r.host];
      last = std::max(last, r.last_ms);
    }
  });
  t.records.reserve(m.size());
  for (auto& [k, r] : m) t.records.push_back(std::move(r));
  return t;
}

void seed_hit_stats(const HitTotals& totals, HitStats* stats) {
  for (const HitRecord& r : totals.records)
    stats->add(r.feed, r.advisory, r.group, r.ioc, r.kind, r.host, r.flows, r.packets);
}

}  // namespace iocgate
