// tests/fuzz/fuzz_feed_abusech_csv.cc — feeds arbitrary bytes to the three abuse.ch CSV parsers
// (Feodo Tracker, ThreatFox, URLhaus): results or FeedErrors with a reason, never a crash or escape.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feeds/feed_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  iocgate::ParseOptions opts;
  opts.file_name = "fuzz";
  for (auto* parse : {&iocgate::parse_feodo_csv, &iocgate::parse_threatfox_csv, &iocgate::parse_urlhaus_csv}) {
    auto result = parse(content, opts);
    if (!result.ok() && result.error->reason.empty()) std::abort();
    for (const auto& ioc : result.feed.iocs)
      if ((ioc.kind == iocgate::IocKind::kDomain) == ioc.domain.empty()) std::abort();
  }
  return 0;
}
