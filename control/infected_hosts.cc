// control/infected_hosts.cc — last seen per infected host.

#include "control/infected_hosts.h"

#include <algorithm>

namespace iocgate {

void InfectedHosts::seed(const HitTotals& totals) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [host, last] : totals.infected_hosts) {
    if (last_ms_.size() >= kMaxHosts) break;
    int64_t& l = last_ms_[host];
    l = std::max(l, last);
  }
}

void InfectedHosts::observe(const HitRecord& r) {
  if (!r.infected()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_ms_.find(r.host);
  if (it != last_ms_.end()) {
    it->second = std::max(it->second, r.last_ms);
    return;
  }
  ++new_;
  if (last_ms_.size() < kMaxHosts) last_ms_.emplace(r.host, r.last_ms);
}

uint64_t InfectedHosts::active(int64_t now_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  for (const auto& [host, last] : last_ms_) n += last >= now_ms - kActiveMs;
  return n;
}

uint64_t InfectedHosts::newly_seen() const {
  std::lock_guard<std::mutex> lock(mu_);
  return new_;
}

}  // namespace iocgate
