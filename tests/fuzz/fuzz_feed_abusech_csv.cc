// tests/fuzz/fuzz_feed_abusech_csv.cc — arbitrary bytes to the three abuse.ch CSV parsers
// (Feodo Tracker, ThreatFox, URLhaus), which share the CSV reader and the header search.
#include "tests/fuzz/feed_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto* parse : {&iocgate::parse_feodo_csv, &iocgate::parse_threatfox_csv, &iocgate::parse_urlhaus_csv})
    iocgate::fuzz::check_feed_parser(parse, data, size);
  return 0;
}
