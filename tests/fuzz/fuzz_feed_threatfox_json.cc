// tests/fuzz/fuzz_feed_threatfox_json.cc — feeds arbitrary bytes to parse_threatfox_json (ThreatFox JSON): it must return a
// result or a FeedError, never crash, leak, hang or let an exception escape; accepted IoCs are well formed.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_threatfox_json, data, size);
}
