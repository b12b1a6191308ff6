// control/feed_check.h — `iocgate feed check`: parse feeds and apply the guards without
// touching any live table, and say per file what it holds or why it is refused.
#pragma once

#include <string>
#include <vector>

namespace iocgate {

struct FeedCheckOptions {
  std::vector<std::string> files;
  std::string format;                     // "" = detect from content; else a format name
  bool json = false;
  std::vector<std::string> own_networks;  // CIDRs the guards protect (--own-network)
  std::vector<std::string> allow_files;   // allowlists (--allow FILE)
  std::vector<std::string> force;         // entries enforced despite a guard (--force)
  int64_t now_unix = 0;                   // 0 = the wall clock (STIX valid_until)
};

// Returns 0 when every file would be accepted, 2 when one is refused, 1 on bad options.
int run_feed_check(const FeedCheckOptions& options);

}  // namespace iocgate
