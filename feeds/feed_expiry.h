// feeds/feed_expiry.h — which IoCs to enforce at a given time, across feeds that each may
// expire as a whole (FeedPolicy) and list IoCs with their own valid_until (STIX).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "feeds/ioc.h"

namespace iocgate {

// Per-feed options the operator sets (or a feed header states).
struct FeedPolicy {
  int64_t expires_unix = 0;  // the whole feed stops at this time; 0 = never
};

struct PolicedFeed {
  std::string name;
  const ParsedFeed* feed = nullptr;  // not owned
  FeedPolicy policy;
};

struct EnforcedIoc {
  size_t feed = 0;  // index into the input: whose provenance the hit reports
  Ioc ioc;
};

struct EnforceSet {
  std::vector<EnforcedIoc> enforce;  // every live listing, in input order
  uint64_t expired_listings = 0;     // listings past their feed's or their own expiry
  uint64_t expired_iocs = 0;         // distinct IoCs no longer enforced at all
  uint64_t kept_by_other_feed = 0;   // distinct IoCs expired somewhere but live in another feed
};

// The one expiry rule, for everything that builds a table: a feed is live until its
// expires_unix (0 = never), a listing while its feed is live and its own valid_until (0 =
// none) has not passed. Live means now < expiry.
bool feed_live(int64_t feed_expires_unix, int64_t now);
bool ioc_live(const Ioc& ioc, int64_t feed_expires_unix, int64_t now);

// True when the parser dropped entries as past their valid_until and none is left: the
// publisher is telling the operator this advisory is over (ParsedFeed::expired).
bool feed_fully_expired(const ParsedFeed& feed);

// A listing is live when its feed has not expired and its own valid_until (if any) has
// not passed: now < expiry. An IoC is enforced while at least one listing is live.
EnforceSet iocs_to_enforce(const std::vector<PolicedFeed>& feeds, int64_t now);

}  // namespace iocgate
