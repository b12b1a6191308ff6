// replay/match_report.cc — aggregation of match events by IoC and by host.

#include "replay/match_report.h"

#include <arpa/inet.h>

#include <algorithm>

#include "shm/event_text.h"

namespace iocgate {


void MatchReport::add(const MatchEvent& e) {
  if (e.match == table::kNoMatch) return;
  const table::Match m{e.match};
  const uint32_t rec = m.record();
  if (rec >= view_.record_count()) return;
  auto [it, created] = iocs_.try_emplace(Key{rec, e.kind});
  IocHits& h = it->second;
  if (created) {
    const table::MatchRecord& r = view_.record(rec);
    h.ioc = view_.describe(rec);
    h.matched = match_kind_name(e.kind);
    h.feed = view_.string_at(view_.feed(r.feed).name_off);
    h.line = r.line;
    h.action = table::action_name(m.action());
  }
  const uint8_t* host_addr =
      static_cast<IocSide>(e.ioc_side) == IocSide::kClient ? e.server : e.client;
  HostHits& host = hosts_[format_address(e.ip_version, host_addr)];
  if (host.host.empty()) host.host = format_address(e.ip_version, host_addr);
  host.iocs.insert(h.ioc);
  if (static_cast<EventType>(e.type) == EventType::kFirstMatch) {
    ++h.flows;
    ++host.flows;
  } else {
    h.packets += e.packets;
    host.packets += e.packets;
  }
}

std::vector<IocHits> MatchReport::by_ioc() const {
  std::vector<IocHits> v;
  for (const auto& [k, h] : iocs_) v.push_back(h);
  std::stable_sort(v.begin(), v.end(), [](const IocHits& a, const IocHits& b) {
    return a.packets != b.packets ? a.packets > b.packets : a.flows > b.flows;
  });
  return v;
}

std::vector<HostHits> MatchReport::by_host() const {
  std::vector<HostHits> v;
  for (const auto& [k, h] : hosts_) v.push_back(h);
  std::stable_sort(v.begin(), v.end(), [](const HostHits& a, const HostHits& b) {
    return a.packets != b.packets ? a.packets > b.packets : a.flows > b.flows;
  });
  return v;
}

}  // namespace iocgate
