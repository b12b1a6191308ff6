// feeds/feed_expiry.cc — see feed_expiry.h.
#include "feeds/feed_expiry.h"

#include "feeds/ioc_key.h"

namespace iocgate {
namespace {

bool live(int64_t expires, int64_t now) { return expires == 0 || now < expires; }

}  // namespace

bool feed_live(int64_t feed_expires_unix, int64_t now) { return live(feed_expires_unix, now); }

bool ioc_live(const Ioc& ioc, int64_t feed_expires_unix, int64_t now) {
  return live(feed_expires_unix, now) && live(ioc.valid_until, now);
}

bool feed_fully_expired(const ParsedFeed& feed) {
  auto it = feed.skipped.find("expired");
  return feed.iocs.empty() && it != feed.skipped.end() && it->second > 0;
}

EnforceSet iocs_to_enforce(const std::vector<PolicedFeed>& feeds, int64_t now) {
  EnforceSet out;
  // Per distinct IoC: {has a live listing, has an expired listing}.
  DistinctIocs distinct;
  std::vector<std::pair<bool, bool>> state;
  for (size_t f = 0; f < feeds.size(); ++f) {
    if (feeds[f].feed == nullptr) continue;
    for (const Ioc& ioc : feeds[f].feed->iocs) {
      const uint32_t k = distinct.insert(ioc);
      if (k == state.size()) state.emplace_back(false, false);
      auto& s = state[k];
      if (ioc_live(ioc, feeds[f].policy.expires_unix, now)) {
        s.first = true;
        out.enforce.push_back(EnforcedIoc{f, ioc});
      } else {
        s.second = true;
        ++out.expired_listings;
      }
    }
  }
  for (const auto& s : state) {
    if (!s.second) continue;
    if (s.first) ++out.kept_by_other_feed;
    else ++out.expired_iocs;
  }
  return out;
}

}  // namespace iocgate
