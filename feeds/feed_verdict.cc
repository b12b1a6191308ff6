// feeds/feed_verdict.cc — see feed_verdict.h.
#include "feeds/feed_verdict.h"

#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/ioc_text.h"

namespace iocgate {

const char* skip_category(std::string_view reason) {
  if (reason == "expired") return "expired";
  if (reason == "revoked") return "revoked";
  if (reason == "duplicate") return "duplicate";
  return "not enforceable";
}

FeedVerdict check_feed(std::string_view content, const ParseOptions& opts, const GuardConfig& guards,
                       const std::set<std::string>& forced) {
  FeedVerdict v;
  v.file = opts.file_name;
  FeedParseResult r = parse_feed(content, opts);
  // The parser that read (or refused) the file sets its format, even on error.
  v.format = r.feed.format != FeedFormat::kAuto ? r.feed.format : opts.format;
  if (!r.ok()) {
    v.errors.push_back(r.error->message());
    return v;
  }
  v.feed = std::move(r.feed);
  for (const auto& [reason, n] : v.feed.skipped) v.skipped[skip_category(reason)][reason] += n;
  if (v.feed.expired)
    v.warnings.push_back(fmt::format("every entry of this feed is past its valid_until ({} expired): the advisory "
                                     "is over and the feed would enforce nothing",
                                     v.feed.skipped.count("expired") ? v.feed.skipped.at("expired") : 0));
  if (v.feed.not_for_ids)
    v.warnings.push_back(fmt::format("{} IoCs are taken although the publisher marked them not for detection "
                                     "(to_ids=false)", v.feed.not_for_ids));
  GuardResult g = apply_guards(v.feed, guards, forced);
  for (const GuardRefusal& refusal : g.refused) {
    (g.ok() ? v.left_out : v.errors).push_back(refusal.message(opts.file_name));
    ++v.skipped["refused by a guard"][refusal.entry];
  }
  v.forced = std::move(g.forced);
  v.enforce = std::move(g.accepted);
  for (const Ioc& ioc : v.enforce) ++v.by_kind[ioc_kind_name(ioc)];
  v.accepted = g.ok();
  return v;
}

}  // namespace iocgate
