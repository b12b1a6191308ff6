// dataplane/ip_reassembly.cc — fragment bookkeeping: 4-way buckets of contexts, a bitmap of
// 8-byte units per datagram to find holes and overlaps, the bytes in a 64 KiB buffer each.
//
// Overlaps: a fragment that covers held bytes with different bytes, or overlaps only part
// of what is held, refuses the whole datagram, as RFC 5722 asks of IPv6 hosts and as Linux
// (since 4.19) and Windows do for IPv4 too: there is no single reading of such a datagram
// to judge, and the hosts that follow those rules discard it anyway. A byte-for-byte
// duplicate changes nothing and is reported as such.
#include "dataplane/ip_reassembly.h"

#include <bit>
#include <cstring>

#include "table/table_hash.h"

namespace iocgate {

IpReassembly::IpReassembly(uint32_t contexts, uint64_t timeout) : timeout_(timeout) {
  const uint32_t buckets = std::bit_ceil(std::max<uint32_t>((contexts + kWays - 1) / kWays, 1));
  mask_ = buckets - 1;
  const uint32_t n = buckets * kWays;
  ctx_.reset(new Context[n]());
  data_.reset(new uint8_t[size_t{n} * (kMaxDatagram + 1)]);
  bits_.reset(new uint64_t[size_t{n} * kWords]);
}

FragStatus IpReassembly::refuse(Context& c, FragStatus why) {
  c.state = kRefused;
  return why;
}

FragStatus IpReassembly::add(const PacketMeta& m, const uint8_t* frame, uint64_t now, Datagram* out) {
  Key k;
  std::memset(&k, 0, sizeof(k));
  const size_t alen = m.ip_version == 4 ? 4 : 16;
  std::memcpy(k.src, m.src, alen);
  std::memcpy(k.dst, m.dst, alen);
  k.id = m.frag_id;
  k.version = m.ip_version;
  k.proto = m.ip_version == 4 ? m.frag_next : 0;
  uint64_t w[5];
  std::memcpy(w, &k, sizeof(w));
  const uint64_t h = table::mix64(w[0] ^ table::mix64(w[1] ^ table::mix64(w[2] ^ table::mix64(w[3] ^ w[4]))));
  Context* bucket = &ctx_[uint64_t{static_cast<uint32_t>(h) & mask_} * kWays];

  // Find the datagram's context, or a way to start one: an unused way, else one whose timeout
  // has passed (its datagram can no longer complete at the receiver either).
  Context* c = nullptr;
  Context* spare = nullptr;
  for (uint32_t i = 0; i < kWays; ++i) {
    Context& x = bucket[i];
    const bool expired = x.state != kUnused && static_cast<int64_t>(now - x.created) > static_cast<int64_t>(timeout_);
    if (x.state != kUnused && !expired && std::memcmp(&x.key, &k, sizeof(k)) == 0) {
      c = &x;
      break;
    }
    if (spare == nullptr && (x.state == kUnused || expired)) spare = &x;
  }
  if (c == nullptr) {
    if (spare == nullptr) return FragStatus::kNoRoom;
    if (spare->state != kUnused) {
      if (spare->state == kCollecting) ++timed_out_;
    } else {
      ++in_use_;
    }
    c = spare;
    c->key = k;
    c->created = now;
    c->total = 0;
    c->have = 0;
    c->max_end = 0;
    c->frags = 0;
    c->state = kCollecting;
    c->next = 0;
    std::memset(bits(static_cast<uint32_t>(c - ctx_.get())), 0, kWords * sizeof(uint64_t));
  }
  if (c->state == kRefused) return FragStatus::kPoisoned;

  const uint32_t idx = static_cast<uint32_t>(c - ctx_.get());
  const uint32_t off = m.frag_offset;
  const uint32_t len = m.frag_data_len;
  const uint32_t end = off + len;
  if (len == 0 || end > kMaxDatagram || (m.frag_more && len % 8 != 0)) return refuse(*c, FragStatus::kInvalid);
  // The final fragment fixes the end; nothing may lie beyond it, and no second one may move it.
  if (!m.frag_more) {
    if (c->total != 0 && c->total != end) return refuse(*c, FragStatus::kConflict);
  } else if (c->total != 0 && end > c->total) {
    return refuse(*c, FragStatus::kConflict);
  }

  // Units of 8 bytes this fragment covers (the final one may end inside its last unit).
  uint64_t* b = bits(idx);
  const uint32_t u0 = off / 8, u1 = (end + 7) / 8;
  uint32_t set = 0;
  for (uint32_t u = u0; u < u1; ++u) set += (b[u / 64] >> (u % 64)) & 1;
  const uint8_t* bytes = frame + m.frag_data_offset;
  if (set != 0) {
    if (set == u1 - u0 && std::memcmp(data(idx) + off, bytes, len) == 0 &&
        (m.frag_more || c->total == end))
      return FragStatus::kDuplicate;
    return refuse(*c, FragStatus::kConflict);
  }
  // Held bytes beyond the final fragment's end would belong to no datagram.
  if (!m.frag_more && c->max_end > end) return refuse(*c, FragStatus::kConflict);
  if (++c->frags > kMaxFragments) return refuse(*c, FragStatus::kTooMany);
  for (uint32_t u = u0; u < u1; ++u) b[u / 64] |= uint64_t{1} << (u % 64);
  std::memcpy(data(idx) + off, bytes, len);
  c->have += len;
  if (end > c->max_end) c->max_end = end;
  if (!m.frag_more) c->total = end;
  if (off == 0) c->next = m.frag_next;
  if (c->total == 0 || c->have != c->total) return FragStatus::kHeld;

  out->data = data(idx);
  out->len = c->total;
  out->next = c->next;
  c->state = kUnused;
  --in_use_;
  return FragStatus::kComplete;
}

}  // namespace iocgate
