// Fuzz target: a review-store line (control/hit_record.cc), as a damaged day file gives it.
// Checks: never throws or crashes; what is accepted re-encodes to a line that decodes to the
// same record and encodes to the same line again.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "control/hit_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  iocgate::HitRecord r;
  if (!iocgate::decode_hit_line(line, &r)) return 0;
  // The encoding is canonical: what it writes reads back to the same line.
  const std::string first = iocgate::encode_hit_line(r);
  iocgate::HitRecord back;
  if (!iocgate::decode_hit_line(first, &back)) std::abort();
  if (iocgate::encode_hit_line(back) != first) std::abort();
  if (back.flows != r.flows || back.packets != r.packets || back.first_ms != r.first_ms || back.last_ms != r.last_ms ||
      back.also.size() != r.also.size() || back.schema != r.schema || back.infected() != r.infected())
    std::abort();
  return 0;
}
