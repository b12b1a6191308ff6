// tests/fuzz/feed_fuzz_check.h — the one body of the feed parsers' fuzz targets: any bytes must
// give a result or a FeedError with a reason, never a crash, leak, hang or escaping exception,
// and every accepted IoC must be well formed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feeds/feed_parser.h"

namespace iocgate::fuzz {

using FeedParser = FeedParseResult (*)(std::string_view, const ParseOptions&);

inline int check_feed_parser(FeedParser parse, const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  ParseOptions opts;
  opts.file_name = "fuzz";
  opts.now_unix = 1719187200;  // fixed: expiry decisions must not depend on the wall clock
  FeedParseResult result = parse(content, opts);
  if (!result.ok()) {
    if (result.error->reason.empty()) std::abort();  // every refusal has a reason
    (void)result.error->message();
    return 0;
  }
  for (const Ioc& ioc : result.feed.iocs) {
    const bool is_domain = ioc.kind == IocKind::kDomain;
    if (is_domain == ioc.domain.empty()) std::abort();
    if (ioc.kind == IocKind::kIpv4 && ioc.prefix_len > 32) std::abort();
    if (ioc.kind == IocKind::kIpv6 && ioc.prefix_len > 128) std::abort();
  }
  return 0;
}

}  // namespace iocgate::fuzz
