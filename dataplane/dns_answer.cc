// dataplane/dns_answer.cc — the answer section of a DNS response: owner names skipped (labels
// or a compression pointer, never followed), A/AAAA data copied; bounded by the message.
#include "dataplane/dns_answer.h"

#include <cstring>

#include "dataplane/dns_qname.h"

namespace iocgate {
namespace {

constexpr size_t kHeaderLen = 12;
constexpr uint16_t kTypeA = 1, kTypeAaaa = 28, kClassIn = 1;

inline uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Skips a name at pos: labels up to the root, or up to a compression pointer (2 bytes, which
// ends the name in place). Returns the position after it, or 0 when it runs past the end or
// uses an extended label type. A name is at most 255 bytes, so this is bounded.
size_t skip_name(const uint8_t* msg, size_t len, size_t pos) {
  const size_t start = pos;
  while (pos < len) {
    const uint8_t l = msg[pos];
    if (l == 0) return pos + 1;
    if ((l & 0xC0) == 0xC0) return pos + 2 <= len ? pos + 2 : 0;
    if (l > 63) return 0;
    pos += 1 + l;
    if (pos - start > 255) return 0;
  }
  return 0;
}

// A refusal leaves nothing behind: no name, no address read before the damage was found.
ExtractStatus refuse(size_t* qname_len, DnsAnswers* out) {
  *qname_len = 0;
  out->count = 0;
  out->v6_mask = 0;
  out->cut = false;
  return ExtractStatus::kNotMine;
}

}  // namespace

ExtractStatus dns_response_answers(const uint8_t* msg, size_t len, char* qname, size_t* qname_len,
                                   DnsAnswers* out) {
  *qname_len = 0;
  out->count = 0;
  out->min_ttl = 0;
  out->v6_mask = 0;
  out->cut = false;
  if (len < kHeaderLen) return ExtractStatus::kNotMine;
  const bool response = (msg[2] & 0x80) != 0;
  const uint8_t rcode = msg[3] & 0x0F;
  if (!response || rcode != 0 || be16(msg + 4) != 1) return ExtractStatus::kNotMine;
  bool qr = false;
  const ExtractStatus q = dns_query_name(msg, len, qname, qname_len, &qr);
  if (q != ExtractStatus::kFound) {
    *qname_len = 0;
    return q == ExtractStatus::kNoName ? ExtractStatus::kNoName : ExtractStatus::kNotMine;
  }
  // dns_query_name accepted an uncompressed question: skip it again (labels, QTYPE, QCLASS).
  size_t pos = skip_name(msg, len, kHeaderLen);
  if (pos == 0 || pos + 4 > len) return refuse(qname_len, out);
  pos += 4;
  const uint32_t ancount = be16(msg + 6);
  uint32_t ttl_min = 0xFFFFFFFFu;
  for (uint32_t i = 0; i < ancount && i < kMaxDnsAnswerRecords; ++i) {
    pos = skip_name(msg, len, pos);
    if (pos == 0 || pos + 10 > len) return refuse(qname_len, out);
    const uint16_t type = be16(msg + pos), klass = be16(msg + pos + 2);
    const uint32_t ttl = be32(msg + pos + 4);
    const uint16_t rdlen = be16(msg + pos + 8);
    pos += 10;
    if (pos + rdlen > len) return refuse(qname_len, out);
    const bool a = type == kTypeA && rdlen == 4, aaaa = type == kTypeAaaa && rdlen == 16;
    if (klass == kClassIn && (a || aaaa)) {
      if (out->count == kMaxDnsAnswerAddrs) {
        out->cut = true;
      } else {
        std::memset(out->addr[out->count], 0, 16);
        std::memcpy(out->addr[out->count], msg + pos, rdlen);
        if (aaaa) out->v6_mask = static_cast<uint8_t>(out->v6_mask | (1u << out->count));
        ++out->count;
        // RFC 2181: a TTL with the top bit set is read as 0.
        const uint32_t t = ttl > 0x7FFFFFFFu ? 0 : ttl;
        if (t < ttl_min) ttl_min = t;
      }
    }
    pos += rdlen;
  }
  if (ancount > kMaxDnsAnswerRecords) out->cut = true;
  out->min_ttl = out->count == 0 ? 0 : ttl_min;
  return ExtractStatus::kFound;
}

}  // namespace iocgate
