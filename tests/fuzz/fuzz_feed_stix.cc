// tests/fuzz/fuzz_feed_stix.cc — arbitrary bytes to parse_stix21 (STIX 2.1 bundles): a result or a FeedError
// with a reason, never a crash, leak, hang or escaping exception; accepted IoCs well formed.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_stix21, data, size);
}
