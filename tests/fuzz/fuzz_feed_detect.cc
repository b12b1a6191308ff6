// tests/fuzz/fuzz_feed_detect.cc — the whole `feed check` path on arbitrary bytes: format
// detection, dispatch to whichever parser claims the input, duplicates, guards and the verdict.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feeds/feed_parser.h"
#include "feeds/feed_verdict.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view content(reinterpret_cast<const char*>(data), size);
  iocgate::ParseOptions opts;
  opts.file_name = "fuzz";
  opts.now_unix = 1719187200;
  (void)iocgate::detect_feed_format(content);
  iocgate::GuardConfig guards;
  auto v = iocgate::check_feed(content, opts, guards, {});
  // A verdict is accepted exactly when nothing was reported against it.
  if (v.accepted != v.errors.empty()) std::abort();
  return 0;
}
