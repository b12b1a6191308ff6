// tests/fuzz/fuzz_dns_answer.cc — fuzzes the DNS answer reader and checks what it writes: a
// name as the question reader writes it, at most kMaxDnsAnswerAddrs addresses, the v6 mask
// within them, and nothing when it refuses.
#include <cstddef>
#include <cstdint>

#include "dataplane/dns_answer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char name[iocgate::kMaxNameLen + 1];
  size_t n = 0;
  iocgate::DnsAnswers a;
  const iocgate::ExtractStatus st = iocgate::dns_response_answers(data, size, name, &n, &a);
  if (st != iocgate::ExtractStatus::kFound) {
    if (n != 0) __builtin_trap();
    return 0;
  }
  if (n == 0 || n > 253) __builtin_trap();
  if (a.count > iocgate::kMaxDnsAnswerAddrs) __builtin_trap();
  if ((a.v6_mask >> a.count) != 0) __builtin_trap();
  if (a.count == 0 && a.min_ttl != 0) __builtin_trap();
  return 0;
}
