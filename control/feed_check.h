// control/feed_check.h — `iocgate feed check`: parse feeds and apply the guards without
// touching any live table, and say per file what it holds or why it is refused.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "config/appliance_config.h"
#include "feeds/feed_guards.h"

namespace iocgate {

// [network] internal as the guards' own networks: the one parse of that key (the event
// collector's direction test can take the same prefixes). An error names the file and key.
Result<std::vector<OwnNetwork>> internal_networks_from(const ApplianceConfig& cfg);

// The guards an appliance applies on push: [guards] (min prefixes, max shrink, the
// allowlist file, read here) and [network] internal. `feed check --config` and the push
// path both call this, so "check: accepted" means "push: accepted".
Result<GuardConfig> guard_config_from(const ApplianceConfig& cfg);

struct FeedCheckOptions {
  std::vector<std::string> files;
  std::string format;                     // "" = detect from content; else a format name
  bool json = false;
  std::vector<std::string> own_networks;  // CIDRs the guards protect (--own-network)
  std::vector<std::string> allow_files;   // allowlists (--allow FILE)
  std::vector<std::string> force;         // entries enforced despite a guard (--force)
  int64_t now_unix = 0;                   // 0 = the wall clock (STIX valid_until)
  std::string config_path;                // --config: guards from the appliance config, plus the flags
  bool skip_refused = false;              // --skip-refused: enforce the rest, list what a guard refused
  bool include_not_for_ids = false;       // --include-not-for-ids: take MISP to_ids=false too
};

// Returns 0 when every file would be accepted, 2 when one is refused, 1 on bad options.
int run_feed_check(const FeedCheckOptions& options);

}  // namespace iocgate
