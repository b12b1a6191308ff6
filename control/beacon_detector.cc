// control/beacon_detector.cc — contacts, hours and interval regularity.

#include "control/beacon_detector.h"

#include <algorithm>
#include <vector>

namespace iocgate {

void BeaconDetector::add(int64_t t) {
  // Lines arrive in time order per key; lines of one flush (2 s) may interleave across keys
  // of the same IoC, so a step back is taken as part of the current contact.
  const int64_t hour = t / 3600000;
  if (hour > last_hour_) {
    ++hours_;
    last_hour_ = hour;
  }
  if (last_ms_ >= 0 && t - last_ms_ < kContactGapMs) {
    last_ms_ = std::max(last_ms_, t);
    return;
  }
  if (last_ms_ >= 0) {
    const int64_t s = (t - last_ms_) / 1000;
    intervals_[n_intervals_ % kKeptIntervals] = static_cast<uint32_t>(std::min<int64_t>(s, UINT32_MAX));
    ++n_intervals_;
  }
  ++contacts_;
  last_ms_ = t;
}

int64_t BeaconDetector::regular_interval_ms() const {
  if (contacts_ < kMinContacts) return 0;
  const size_t n = std::min(n_intervals_, kKeptIntervals);
  std::vector<uint32_t> v(intervals_.begin(), intervals_.begin() + static_cast<long>(n));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(n / 2), v.end());
  const double median = v[n / 2];
  if (median <= 0) return 0;
  size_t near = 0;
  for (uint32_t x : v) near += x >= median / kSpread && x <= median * kSpread;
  return static_cast<double>(near) >= kRegularShare * static_cast<double>(n) ? static_cast<int64_t>(median) * 1000 : 0;
}

}  // namespace iocgate
