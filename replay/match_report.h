// replay/match_report.h — turns the workers' match events into what an operator reads:
// hits per IoC (with its feed) and per internal host. Off the hot path.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "shm/event_text.h"
#include "shm/shm_protocol.h"
#include "table/ioc_table_view.h"

namespace iocgate {

struct IocHits {
  std::string ioc;       // as listed: "1.2.3.4", "10.0.0.0/8", "evil.com"
  std::string matched;   // how: "ip", "dns", "sni", "host"
  std::string feed;
  std::string action;
  uint32_t line = 0;     // line of the IoC in its feed
  uint64_t flows = 0;
  uint64_t packets = 0;
};

struct HostHits {
  std::string host;      // the internal end: the other side of a listed address, or the
                         // client that asked for a listed name
  std::set<std::string> iocs;
  uint64_t flows = 0;
  uint64_t packets = 0;
};

class MatchReport {
 public:
  explicit MatchReport(const table::IocTableView& view) : view_(view) {}

  void add(const MatchEvent& e);

  // Sorted by packets, then flows, descending.
  std::vector<IocHits> by_ioc() const;
  std::vector<HostHits> by_host() const;

 private:
  struct Key {
    uint32_t record;
    uint8_t kind;
    bool operator<(const Key& o) const { return record != o.record ? record < o.record : kind < o.kind; }
  };
  const table::IocTableView& view_;
  std::map<Key, IocHits> iocs_;
  std::map<std::string, HostHits> hosts_;
};

}  // namespace iocgate
