// tests/fuzz/fuzz_dns_qname.cc — fuzzes the DNS question-name extractor (UDP and TCP forms)
// and checks the name it writes: at most 253 characters, lower-case, no empty label.
#include <cstddef>
#include <cstdint>

#include "dataplane/dns_qname.h"

namespace {
void check(iocgate::ExtractStatus st, const char* out, size_t n) {
  if (st != iocgate::ExtractStatus::kFound) {
    if (n != 0) __builtin_trap();
    return;
  }
  if (n == 0 || n > 253) __builtin_trap();
  if (out[0] == '.' || out[n - 1] == '.') __builtin_trap();
  for (size_t i = 0; i < n; ++i) {
    if (out[i] >= 'A' && out[i] <= 'Z') __builtin_trap();
    if (out[i] == 0) __builtin_trap();
    if (i > 0 && out[i] == '.' && out[i - 1] == '.') __builtin_trap();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char out[iocgate::kMaxNameLen + 1];
  size_t n = 0;
  bool qr = false;
  // Statuses are taken before check() reads n: argument evaluation order is unspecified.
  const iocgate::ExtractStatus udp = iocgate::dns_query_name(data, size, out, &n, &qr);
  check(udp, out, n);
  const iocgate::ExtractStatus tcp = iocgate::dns_tcp_query_name(data, size, out, &n);
  check(tcp, out, n);
  return 0;
}
