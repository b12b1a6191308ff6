// Fuzz target: an event log line as `iocctl events --follow` prints it (control/event_follow.cc),
// with and without a feed filter. Checks: never throws or crashes; the readable form carries
// no control character (a hostile name seen in traffic must not drive the terminal); --json
// passes a kept line through unchanged.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/event_follow.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  iocgate::FollowOptions text;
  iocgate::FollowOptions json;
  json.json = true;
  iocgate::FollowOptions apt;
  apt.feeds = {"apt"};
  if (auto t = iocgate::follow_line(line, text))
    for (unsigned char c : *t)
      if (c < 0x20 || c == 0x7f) std::abort();
  if (auto j = iocgate::follow_line(line, json); j && *j != line) std::abort();
  (void)iocgate::follow_line(line, apt);
  return 0;
}
