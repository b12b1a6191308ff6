// replay/replay.h — `iocgate replay`: judge a capture with the real dataplane code, so an
// operator can test a feed against traffic before deploying it. Also how tests drive it.
#pragma once

#include <string>
#include <vector>

#include "control/feed_file.h"
#include "replay/match_report.h"
#include "shm/shm_protocol.h"

namespace iocgate {

struct ReplayOptions {
  std::vector<std::string> feeds;
  std::string in;                      // capture to judge (Ethernet pcap)
  std::string out;                     // passed packets, in capture order
  std::string dropped;                 // dropped packets, in capture order; empty: discard
  std::vector<std::string> eal_args;   // replaces the default in-memory EAL arguments
  bool json = false;
};

// Returns the process exit code: 0 when the capture was consumed, 2 for bad input (feed,
// capture, output path), 3 when DPDK cannot start, 4 when packets went missing.
int run_replay(const ReplayOptions& opts);

void print_replay_text(const ReplayOptions& opts, const std::vector<FeedFile>& feeds,
                       const table::IocTableView& view, const DataplaneCounters& c,
                       const MatchReport& report);

}  // namespace iocgate
