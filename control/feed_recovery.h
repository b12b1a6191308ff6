// control/feed_recovery.h — reads a feed's IoCs back out of a compiled table, so a feed whose
// stored copy is damaged keeps being enforced exactly as the last good table enforced it
// (never in a smaller or weaker form) until the operator pushes it again.
#pragma once

#include <string>
#include <vector>

#include "feeds/ioc.h"
#include "table/ioc_table_view.h"

namespace iocgate {

struct RecoveredFeed {
  bool found = false;      // the table lists a feed of that name
  table::Action action = table::Action::kNone;
  std::string advisory;
  std::string group;
  std::vector<Ioc> iocs;   // one per listing of the feed (a key it lists twice: twice), with its line
};

// Off the hot path: O(table) once per damaged feed at start-up.
RecoveredFeed recover_feed(const table::IocTableView& view, const std::string& name);

}  // namespace iocgate
