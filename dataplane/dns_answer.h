// dataplane/dns_answer.h — the A and AAAA addresses in the answer section of a DNS response,
// with their smallest TTL: what a name resolved to, for flow records and the live binding of
// listed names to addresses. Called per DNS response by the workers: no allocation, bounded.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/l7_extract.h"

namespace iocgate {

inline constexpr uint32_t kMaxDnsAnswerAddrs = 8;
// Resource records of the answer section looked at; a response with more is read up to here.
inline constexpr uint32_t kMaxDnsAnswerRecords = 64;

struct DnsAnswers {
  uint32_t count = 0;              // addresses in addr
  uint32_t min_ttl = 0;            // smallest TTL among them (seconds), 0 when none
  uint8_t v6_mask = 0;             // bit i: addr[i] is IPv6; else IPv4 in addr[i][0..4)
  bool cut = false;                // more A/AAAA records than kMaxDnsAnswerAddrs
  uint8_t addr[kMaxDnsAnswerAddrs][16];
};

// Reads a DNS response (QR = 1, RCODE 0, QDCOUNT 1): its question name, written as
// dns_query_name writes it, and every class-IN A/AAAA record of its answer section, whatever
// its owner name (a CNAME chain answers the question too). kFound with the name even when no
// address is in it; kNoName for the root name. kNotMine for a query, an RCODE other than
// NOERROR, a malformed question, or answer records that run past the message. Owner names are
// skipped, never followed, so compression pointers cannot make it loop.
ExtractStatus dns_response_answers(const uint8_t* msg, size_t len, char* qname, size_t* qname_len,
                                   DnsAnswers* out);

}  // namespace iocgate
