// tests/fuzz/fuzz_feed_spamhaus_json.cc — feeds arbitrary bytes to parse_spamhaus_json (Spamhaus DROP JSON lines): it must return a
// result or a FeedError, never crash, leak, hang or let an exception escape; accepted IoCs are well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feeds/feed_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  iocgate::ParseOptions opts;
  opts.file_name = "fuzz";
  opts.now_unix = 1719187200;
  auto result = iocgate::parse_spamhaus_json(content, opts);
  if (!result.ok()) {
    if (result.error->reason.empty()) std::abort();  // every refusal has a reason
    (void)result.error->message();
    return 0;
  }
  for (const auto& ioc : result.feed.iocs) {
    const bool is_domain = ioc.kind == iocgate::IocKind::kDomain;
    if (is_domain == ioc.domain.empty()) std::abort();
    if (ioc.kind == iocgate::IocKind::kIpv4 && ioc.prefix_len > 32) std::abort();
    if (ioc.kind == iocgate::IocKind::kIpv6 && ioc.prefix_len > 128) std::abort();
  }
  return 0;
}
