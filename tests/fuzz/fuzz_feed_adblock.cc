// tests/fuzz/fuzz_feed_adblock.cc — feeds arbitrary bytes to parse_adblock (Adblock host lists): it must return a
// result or a FeedError, never crash, leak, hang or let an exception escape; accepted IoCs are well formed.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_adblock, data, size);
}
