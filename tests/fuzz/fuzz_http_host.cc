// tests/fuzz/fuzz_http_host.cc — fuzzes the HTTP Host extractor and checks that a found name is
// non-empty, lower-case and free of spaces and controls, and that prefixes never find more.
#include <cstddef>
#include <cstdint>

#include "dataplane/http_host.h"

namespace {
void check(iocgate::ExtractStatus st, const char* out, size_t n) {
  if (st != iocgate::ExtractStatus::kFound) {
    if (n != 0) __builtin_trap();
    return;
  }
  if (n == 0 || n > iocgate::kMaxNameLen) __builtin_trap();
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(out[i]);
    if ((c >= 'A' && c <= 'Z') || c <= 0x20 || c == 0x7f) __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char out[iocgate::kMaxNameLen + 1];
  size_t n = 0;
  iocgate::looks_like_http_request(data, size);
  const iocgate::ExtractStatus st = iocgate::http_request_host(data, size, out, &n);
  check(st, out, n);
  // A stream the extractor refuses was already refusable or incomplete at every prefix: it
  // must not have been waiting on a prefix that could not be HTTP.
  if (size > 0) {
    size_t m = 0;
    const iocgate::ExtractStatus half = iocgate::http_request_host(data, size / 2, out, &m);
    check(half, out, m);
    if (half == iocgate::ExtractStatus::kNotMine && st != iocgate::ExtractStatus::kNotMine &&
        size < 8192)
      __builtin_trap();
  }
  return 0;
}
