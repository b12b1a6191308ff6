// feeds/feed_guards.h — the safety guards every feed passes before it is enforced: no
// over-broad prefixes, special-purpose or own networks, public suffixes or allowlisted
// entries, and no sudden shrinking. Pure: configuration and forced entries are passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/ioc.h"
#include "feeds/ip_prefix.h"

namespace iocgate {

// One allowlist entry: an address or prefix, or a domain that covers its subdomains.
struct AllowEntry {
  std::string text;               // as written, for messages
  std::optional<IpPrefix> prefix;
  std::string domain;             // normalized; empty for an address entry
  std::string source;             // "allowlist.txt:3" or "--allow": where the operator set it
};

// An own network as configured, with where it came from for the message.
struct OwnNetwork {
  IpPrefix prefix;
  std::string text;
  std::string source = "config [network] internal";
};

// What a refusal does to the feed. The default refuses the whole feed for one bad entry:
// it is most often the wrong file or a publisher's mistake. kSkipRefused enforces the rest
// and reports each refused entry (FireHOL level1 lists bogons on purpose).
enum class GuardMode : uint8_t { kAllOrNothing, kSkipRefused };

struct GuardConfig {
  std::vector<OwnNetwork> own_networks;
  std::vector<AllowEntry> allowlist;
  uint8_t min_prefix_v4 = 8;
  uint8_t min_prefix_v6 = 32;
  double max_shrink_fraction = 0.5;  // hold a feed that loses more than this share of IoCs
  GuardMode mode = GuardMode::kAllOrNothing;
};

// Parses one allowlist entry (address, CIDR or domain; defanged forms accepted). nullopt
// with `error` when it is none of these.
std::optional<AllowEntry> parse_allow_entry(std::string_view text, std::string source, std::string& error);

// Reads an allowlist file: one entry a line, '#' comments. Returns false with `error`
// ("FILE:LINE: reason") on the first bad line; entries are appended to `out`.
bool parse_allowlist(std::string_view content, const std::string& file, std::vector<AllowEntry>& out,
                     std::string& error);

struct GuardRefusal {
  uint32_t line = 0;
  std::string entry;   // canonical text (ioc_text), the key for --force
  std::string reason;  // "overlaps the operator's own network 10.0.0.0/8 (config [network] internal)"
  // "FILE:LINE: 'ENTRY' REASON; list it with --force to enforce anyway"
  std::string message(std::string_view file) const;
};

struct GuardResult {
  std::vector<Ioc> accepted;            // what may be enforced, forced entries included
  std::vector<GuardRefusal> refused;    // in feed order; left out of `accepted`
  std::vector<std::string> forced;      // entries accepted only because of --force
  GuardMode mode = GuardMode::kAllOrNothing;
  // The feed may be enforced: nothing was refused, or refused entries are skipped.
  bool ok() const { return refused.empty() || mode == GuardMode::kSkipRefused; }
};

// Applies every guard to each IoC of `feed`. An IoC whose canonical text is in `forced`
// is accepted despite a refusal (and listed in `forced`). config.mode says whether a
// refusal refuses the feed (ok() false) or only leaves the entry out.
GuardResult apply_guards(const ParsedFeed& feed, const GuardConfig& config, const std::set<std::string>& forced);

// Why one IoC would be refused, or "" when it passes. The per-entry core of apply_guards.
std::string guard_reason(const Ioc& ioc, const GuardConfig& config);

struct ShrinkDecision {
  bool hold = false;    // true: do not apply; ask the operator to confirm
  std::string message;  // the reason, with the numbers
};

// Compares a feed's new version with the one enforced now. An update that drops more than
// config.max_shrink_fraction of the IoCs, or empties a non-empty feed, is held.
ShrinkDecision check_shrink(const ParsedFeed& previous, const ParsedFeed& next, const GuardConfig& config);

}  // namespace iocgate
