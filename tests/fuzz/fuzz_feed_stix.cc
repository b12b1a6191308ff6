// tests/fuzz/fuzz_feed_stix.cc — feeds arbitrary bytes to parse_stix21: it must return a result or
// a FeedError, never crash, leak, hang or let an exception escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feeds/feed_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  iocgate::ParseOptions opts;
  opts.file_name = "fuzz";
  opts.now_unix = 1719187200;
  auto result = iocgate::parse_stix21(content, opts);
  if (!result.ok()) (void)result.error->message();
  return 0;
}
