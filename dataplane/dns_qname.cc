// dataplane/dns_qname.cc — the first question name of a DNS message (UDP, or TCP after its
// length prefix), copied lower-cased and dotted for the IoC domain lookup; bounded by 253 chars.
#include "dataplane/dns_qname.h"

#include <cstring>

namespace iocgate {
namespace {

constexpr size_t kDnsHeaderLen = 12;
// RFC 1035 caps a name at 255 wire bytes, i.e. 253 characters in dotted form.
constexpr size_t kMaxDnsNameLen = 253;

inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

}  // namespace

ExtractStatus dns_query_name(const uint8_t* msg, size_t len, char* out, size_t* out_len,
                             bool* is_response) {
  *out_len = 0;
  if (len < kDnsHeaderLen) return ExtractStatus::kNeedMore;
  if (is_response) *is_response = (msg[2] & 0x80) != 0;
  if (load_be16(msg + 4) == 0) return ExtractStatus::kNotMine;
  size_t pos = kDnsHeaderLen;
  size_t n = 0;
  // Each pass consumes a label of at least one byte and the name is capped at 253
  // characters, so this loop runs at most ~127 times.
  for (;;) {
    if (pos >= len) return ExtractStatus::kNeedMore;
    const size_t label = msg[pos];
    if (label == 0) break;
    // 0xC0 is a compression pointer, 0x40/0x80 obsolete extended labels: a question name
    // in a query never needs either, so they only serve to hide the name from us.
    if (label > 63) return ExtractStatus::kNotMine;
    const size_t dot = n != 0 ? 1 : 0;
    if (n + dot + label > kMaxDnsNameLen) return ExtractStatus::kNotMine;
    if (len - pos - 1 < label) return ExtractStatus::kNeedMore;
    if (dot) out[n++] = '.';
    const uint8_t* p = msg + pos + 1;
    for (size_t i = 0; i < label; ++i) {
      uint8_t c = p[i];
      // A NUL or a dot inside a label cannot be written as a dotted name without being
      // confused with another name.
      if (c == 0 || c == '.') return ExtractStatus::kNotMine;
      if (c >= 'A' && c <= 'Z') c |= 0x20;
      out[n++] = static_cast<char>(c);
    }
    pos += 1 + label;
  }
  // QTYPE and QCLASS complete the question.
  if (len - pos - 1 < 4) return ExtractStatus::kNeedMore;
  out[n] = '\0';
  // The root name (priming queries) names nothing an IoC list could hold.
  if (n == 0) return ExtractStatus::kNoName;
  *out_len = n;
  return ExtractStatus::kFound;
}

ExtractStatus dns_tcp_query_name(const uint8_t* stream, size_t len, char* out, size_t* out_len) {
  *out_len = 0;
  if (len < 2 + kDnsHeaderLen) return ExtractStatus::kNeedMore;
  const size_t msg_len = load_be16(stream);
  if (msg_len < kDnsHeaderLen) return ExtractStatus::kNotMine;
  const size_t have = len - 2 < msg_len ? len - 2 : msg_len;
  const ExtractStatus st = dns_query_name(stream + 2, have, out, out_len);
  // The whole message is here yet its question runs past it: not a DNS message.
  if (st == ExtractStatus::kNeedMore && have == msg_len) return ExtractStatus::kNotMine;
  return st;
}

}  // namespace iocgate
