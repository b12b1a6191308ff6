// tests/fuzz/fuzz_feed_plain.cc — arbitrary bytes to parse_plain_list (plain lists): a result or a FeedError
// with a reason, never a crash, leak, hang or escaping exception; accepted IoCs well formed.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_plain_list, data, size);
}
