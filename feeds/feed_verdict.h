// feeds/feed_verdict.h — the verdict `iocgate feed check` prints for one feed: parse, then
// guards; counts by kind and skips by reason. Pure, so tests check exactly what operators see.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_guards.h"
#include "feeds/ioc.h"

namespace iocgate {

struct FeedVerdict {
  std::string file;
  bool accepted = false;
  FeedFormat format = FeedFormat::kAuto;   // detected (or forced) format
  ParsedFeed feed;                         // as parsed; empty when refused by the parser
  std::vector<Ioc> enforce;                // what passes the guards (forced included)
  // ipv4, cidr4, ipv6, cidr6, domain, url-host -> count, over `enforce`.
  std::map<std::string, uint64_t> by_kind;
  // "not enforceable" / "expired" / "revoked" / "duplicate" / "refused by a guard" ->
  // reason -> count.
  std::map<std::string, std::map<std::string, uint64_t>> skipped;
  std::vector<std::string> errors;         // "FILE:LINE: reason", parse error or refusals
  std::vector<std::string> forced;         // entries accepted only through --force
  // With GuardMode::kSkipRefused: the entries left out, "FILE:LINE: 'ENTRY' reason; ...".
  std::vector<std::string> left_out;
  // What an operator should know although the feed is accepted (an expired advisory).
  std::vector<std::string> warnings;
};

// The report category of a parser's skip reason ("md5" -> "not enforceable").
const char* skip_category(std::string_view reason);

// Parses `content` (opts.format or detected) and applies the guards.
FeedVerdict check_feed(std::string_view content, const ParseOptions& opts, const GuardConfig& guards,
                       const std::set<std::string>& forced);

}  // namespace iocgate
