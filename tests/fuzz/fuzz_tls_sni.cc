// tests/fuzz/fuzz_tls_sni.cc — fuzzes the ClientHello SNI extractor on raw streams and on the
// input re-wrapped as handshake bytes cut into TLS records, to reach the record-gather path.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dataplane/tls_sni.h"

namespace {
void check(iocgate::ExtractStatus st, const char* out, size_t n, size_t needed, size_t len) {
  if (st != iocgate::ExtractStatus::kFound && n != 0) __builtin_trap();
  if (st != iocgate::ExtractStatus::kNeedMore && needed != 0) __builtin_trap();
  if (st == iocgate::ExtractStatus::kNeedMore && needed != 0 && needed <= len) __builtin_trap();
  if (st != iocgate::ExtractStatus::kFound) return;
  if (n == 0 || n > iocgate::kMaxNameLen) __builtin_trap();
  for (size_t i = 0; i < n; ++i)
    if ((out[i] >= 'A' && out[i] <= 'Z') || out[i] == 0) __builtin_trap();
}

void run(const uint8_t* p, size_t len) {
  char out[iocgate::kMaxNameLen + 1];
  size_t n = 0, needed = 0;
  iocgate::looks_like_tls_handshake(p, len);
  const iocgate::ExtractStatus st = iocgate::tls_client_hello_sni(p, len, out, &n, &needed);
  check(st, out, n, needed, len);
  // The two walks of the record layer must agree: a complete hello never waits, and "no
  // name" is only said of a complete hello.
  const bool complete = iocgate::tls_client_hello_complete(p, len);
  if (complete && st == iocgate::ExtractStatus::kNeedMore) __builtin_trap();
  if (st == iocgate::ExtractStatus::kNoName && !complete) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run(data, size);
  if (size < 2 || size > 20000) return 0;
  // data[0] picks the record size; the rest is the handshake message.
  const size_t chunk = data[0] == 0 ? 16384 : data[0];
  std::vector<uint8_t> s;
  for (size_t at = 1; at < size; at += chunk) {
    const size_t n = size - at < chunk ? size - at : chunk;
    s.push_back(0x16);
    s.push_back(3);
    s.push_back(1);
    s.push_back(static_cast<uint8_t>(n >> 8));
    s.push_back(static_cast<uint8_t>(n));
    s.insert(s.end(), data + at, data + at + n);
  }
  run(s.data(), s.size());
  return 0;
}
