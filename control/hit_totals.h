// control/hit_totals.h — the event counters rebuilt from the review store at start-up, so the
// per-feed, per-IoC and per-host totals (and the infected hosts) survive a control restart.
// Called once by the control process before the event collector starts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "control/hit_store.h"

namespace iocgate {

class HitStats;

struct HitTotals {
  // Merged per (host, IoC, kind, feed): one HitStats::add each gives the same totals as the
  // events that made them.
  std::vector<HitRecord> records;
  std::map<std::string, int64_t> infected_hosts;  // host -> last seen (ms)
  HitScanStats scanned;
};

// Every line of the store (every day file, and the unflushed part of a live store).
HitTotals rebuild_hit_totals(const HitStore& store);

// Adds the totals into `stats` (HitStats::add per record).
void seed_hit_stats(const HitTotals& totals, HitStats* stats);

}  // namespace iocgate
