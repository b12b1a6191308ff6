// dataplane/dns_qname.h — the question name of a DNS message (over UDP, or TCP without the
// 2-byte length prefix). Called per DNS packet by the workers: no allocation, bounded work.
#pragma once

#include "dataplane/l7_extract.h"

namespace iocgate {

// Reads the first question's QNAME of a DNS query or response (QDCOUNT >= 1). Writes it
// lower-cased and dotted, without the root dot, to out[0..*out_len) (out holds kMaxNameLen+1).
// Compression pointers in the question are refused (kNotMine). kNeedMore when `len` ends
// inside the header or question. `is_response` receives the QR bit when non-null.
// The root name is kNoName. Labels holding '.' or NUL, labels over 63 bytes and names over 253
// characters are kNotMine.
ExtractStatus dns_query_name(const uint8_t* msg, size_t len, char* out, size_t* out_len,
                             bool* is_response = nullptr);

// DNS over TCP: `stream` starts with the 2-byte length prefix of the first message.
// kNeedMore below 2 + 12 bytes; kNotMine when the prefix says the message ends before its
// question does.
ExtractStatus dns_tcp_query_name(const uint8_t* stream, size_t len, char* out, size_t* out_len);

}  // namespace iocgate
