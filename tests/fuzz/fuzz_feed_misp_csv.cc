// tests/fuzz/fuzz_feed_misp_csv.cc — arbitrary bytes to parse_misp_csv (MISP CSV exports): a result or a FeedError
// with a reason, never a crash, leak, hang or escaping exception; accepted IoCs well formed.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_misp_csv, data, size);
}
