// dataplane/flow_table.h — per-worker table of flows, keyed by the 5-tuple in either
// direction, that remembers verdicts and inspection state. One per worker: no locks, and
// all memory is allocated once at start-up; a full bucket evicts its least recently seen flow,
// unmatched flows first, so a flood of new flows cannot wash out a verdict already reached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dataplane/packet_parser.h"
#include "shm/shm_protocol.h"
#include "table/table_hash.h"

namespace iocgate {

// Both directions of a flow map to one key: the endpoint that sorts lower is "a". VLAN tags
// are not part of the key: one flow may be seen with different tags on either side.
struct FlowKey {
  uint8_t a[16];
  uint8_t b[16];
  uint16_t port_a;
  uint16_t port_b;
  uint8_t ip_version;
  uint8_t proto;
  uint8_t pad[2];

  bool operator==(const FlowKey& o) const;
};
static_assert(sizeof(FlowKey) == 40);

// Word i (0..4) of a key, for compares without libc's memcmp (a call and a size dispatch).
inline uint64_t key_word(const FlowKey& k, int i) {
  uint64_t w;
  std::memcpy(&w, reinterpret_cast<const uint8_t*>(&k) + 8 * i, 8);
  return w;
}

inline bool FlowKey::operator==(const FlowKey& o) const {
  return key_word(*this, 0) == key_word(o, 0) &&
         ((key_word(*this, 1) ^ key_word(o, 1)) | (key_word(*this, 2) ^ key_word(o, 2)) |
          (key_word(*this, 3) ^ key_word(o, 3)) | (key_word(*this, 4) ^ key_word(o, 4))) == 0;
}

// Builds the key; *src_is_a says which endpoint sent this packet. The addresses compare as
// big-endian numbers (what memcmp of their bytes says), with fixed sizes per IP version: no
// libc call per packet.
inline FlowKey make_flow_key(const PacketMeta& m, bool* src_is_a) {
  FlowKey k{};
  const uint16_t sp = m.has_l4 ? m.sport : 0, dp = m.has_l4 ? m.dport : 0;
  int c;
  if (m.ip_version == 4) {
    uint32_t s, d;
    std::memcpy(&s, m.src, 4);
    std::memcpy(&d, m.dst, 4);
    s = __builtin_bswap32(s);
    d = __builtin_bswap32(d);
    c = s < d ? -1 : (s > d ? 1 : 0);
  } else {
    uint64_t s[2], d[2];
    std::memcpy(s, m.src, 16);
    std::memcpy(d, m.dst, 16);
    const uint64_t sh = __builtin_bswap64(s[0]), dh = __builtin_bswap64(d[0]);
    const uint64_t sl = __builtin_bswap64(s[1]), dl = __builtin_bswap64(d[1]);
    c = sh != dh ? (sh < dh ? -1 : 1) : (sl < dl ? -1 : (sl > dl ? 1 : 0));
  }
  if (c == 0) c = sp < dp ? -1 : (sp > dp ? 1 : 0);
  *src_is_a = c <= 0;
  const uint8_t* lo = *src_is_a ? m.src : m.dst;
  const uint8_t* hi = *src_is_a ? m.dst : m.src;
  if (m.ip_version == 4) {
    std::memcpy(k.a, lo, 4);
    std::memcpy(k.b, hi, 4);
  } else {
    std::memcpy(k.a, lo, 16);
    std::memcpy(k.b, hi, 16);
  }
  k.port_a = *src_is_a ? sp : dp;
  k.port_b = *src_is_a ? dp : sp;
  k.ip_version = m.ip_version;
  k.proto = m.l4_proto;
  return k;
}

// `seed` keys the hash (the workers draw one at start): without it anyone who reads this
// code can compute flows that share one bucket and aim them at a flow they want evicted.
inline uint64_t hash_flow_key(const FlowKey& k, uint64_t seed = 0) {
  uint64_t w[5];
  std::memcpy(w, &k, sizeof(w));
  return table::mix64(w[0] ^ table::mix64(w[1] ^ table::mix64(w[2] ^ table::mix64(w[3] ^ w[4] ^ seed))));
}

// What the worker is doing with a TCP flow's payload.
enum class Inspect : uint8_t {
  kFresh,         // no payload seen yet
  kReassembling,  // collecting the first bytes of a ClientHello or request in a buffer
  kIdle,          // HTTP or DNS over TCP between messages: the next one is read too
  kDone,          // a name was found, or the stream is not one we read
};

// Which extractor reads a buffered stream.
enum class InspectProto : uint8_t { kTls = 0, kHttp = 1, kDnsTcp = 2 };

// Flow::state bits: what a flow record needs beyond the verdict state.
inline constexpr uint8_t kFlowFinA = 1;         // endpoint a sent a FIN
inline constexpr uint8_t kFlowFinB = 2;         // endpoint b sent a FIN
inline constexpr uint8_t kFlowEnded = 4;        // FIN both ways, RST, or a DNS response: the record
                                                // is made once the flow is quiet for a moment
inline constexpr uint8_t kFlowSynFirst = 8;     // its first packet was a SYN (client is sure)
inline constexpr uint8_t kFlowExported = 32;    // a record of it was made already
inline constexpr uint8_t kFlowNameMissed = 64;  // a name it saw could not be remembered
inline constexpr uint8_t kFlowAddrResolved = 128;  // addr_match is a name's, by a DNS answer

// first_seen is kept in units of 2^16 clock cycles, modulo 2^32 (26 h at 3 GHz): a record never
// spans more than the active timeout, which is capped far below that.
inline constexpr uint32_t kSeenShift = 16;

// Two cache lines: the key and what every packet reads in the first, the rest in the second.
struct alignas(64) Flow {
  FlowKey key;
  uint64_t last_seen;       // caller's clock (TSC cycles in the workers)
  uint64_t generation;      // table generation the cached address verdict came from
  uint32_t addr_match;      // table::Match value of the address lookups, for `generation`
  uint32_t l7_match;        // sticky match of a name in this flow (SNI, Host, DNS over TCP)
  uint32_t first_match;     // table::Match value of the flow's first match, for reports
  uint32_t pending_match;   // a ClientHello's SNI matched before the hello was complete:
                            // applied when the segment that completes it arrives
  uint32_t matched_packets; // packets that got a verdict other than kNone
  uint32_t next_seq;        // reassembly: next expected sequence number of inspect_dir
  // The last name read from the stream (SNI, Host, DNS query), in the classifier's NameLog,
  // so a new table generation judges it again and a flow record names it; name_len 0 when none.
  uint32_t name_pos;
  uint32_t name_hash;       // of the name's bytes: tells an overwritten log entry apart
  // Since the flow's last record (or its start): what the next record reports.
  uint32_t packets[2];      // [0] sent by endpoint a, [1] by endpoint b
  uint32_t bytes[2];        // IP bytes, same order; a record is made before one overflows
  uint32_t first_seen;      // clock >> kSeenShift of its first packet
  uint16_t reasm_slot;      // index in the reassembly pool, kNoSlot when none
  uint16_t need_len;        // reassembly: buffered bytes the extractor needs before it can
                            // say more (TLS), 0 when unknown
  uint16_t vlan;            // outer VLAN id of the first packet | tag count << 12
  // Generations between `generation` and the table a stored match value came from, so an
  // event names the generation its record index belongs to (never an index of one table with
  // the number of another). Saturated (0xff / 0xffff): unknown, and the event says so.
  uint16_t first_gen_back;  // of first_match
  uint8_t l7_gen_back;      // of l7_match: 0 when it was (re)judged by `generation`
  uint8_t inspect;          // Inspect
  uint8_t l7_kind;          // MatchKind of l7_match
  uint8_t first_kind;       // MatchKind of the flow's first match; kNone until then
  uint8_t first_side;       // IocSide of the first match
  uint8_t inspect_proto;    // InspectProto of the buffered stream
  uint8_t reported_action;  // strongest action reported in an event so far
  // One byte of flags, so the record's state still fits the second cache line.
  uint8_t in_use : 1;
  uint8_t client_is_a : 1;      // endpoint a sent the flow's first packet
  uint8_t inspect_from_a : 1;   // the inspected stream is sent by endpoint a
  uint8_t addr_kind_src_a : 1;  // addr_match came from endpoint a's address
  uint8_t held : 4;         // out-of-order segments dropped while a message was incomplete
  uint8_t unreadable : 1;   // the stream could not be read (policy "drop")
  uint8_t name_len;
  uint8_t tcp_flags;        // OR of the TCP flags since the last record
  uint8_t state;            // kFlow* bits above
};
static_assert(sizeof(Flow) == 128);
static_assert(offsetof(Flow, first_match) == 64, "the second cache line starts with the record's state");

inline uint32_t flow_packets(const Flow& f) { return f.packets[0] + f.packets[1]; }

inline constexpr uint16_t kNoSlot = 0xffff;
inline constexpr uint16_t kGenBackUnknown = 0xffff;

// A flow whose eviction would lose a verdict: it matched, or it is dropped as unreadable.
// Its address verdict would be found again, but not a name read from a ClientHello, nor the
// fact that its stream could not be read.
inline bool holds_verdict(const Flow& f) {
  return f.matched_packets != 0 || f.l7_match != table::kNoMatch || f.pending_match != table::kNoMatch ||
         f.unreadable != 0;
}

// Set-associative: a key hashes to one bucket of kWays flows. Misses cost one bucket read,
// and eviction needs no global list.
class FlowTable {
 public:
  static constexpr uint32_t kWays = 4;

  // `capacity` is rounded up to a power of two number of buckets.
  explicit FlowTable(uint32_t capacity);
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  // A bucket spans several cache lines; fetch all of them, the key compare reads each way.
  void prefetch(uint64_t hash) const {
    const char* b = reinterpret_cast<const char*>(&flows_[uint64_t{bucket_of(hash)} * kWays]);
#pragma GCC unroll 8
    for (size_t off = 0; off < kWays * sizeof(Flow); off += 64) __builtin_prefetch(b + off);
  }

  // The flow of `key`, or nullptr; changes nothing. The key is compared first: a way's
  // in_use sits in its second cache line, which only the matching way needs.
  Flow* find(const FlowKey& key, uint64_t hash) {
    Flow* bucket = &flows_[uint64_t{bucket_of(hash)} * kWays];
    // Scalar words, not arrays: an array copy of each way's key went through the stack.
    const uint64_t k0 = key_word(key, 0), k1 = key_word(key, 1), k2 = key_word(key, 2), k3 = key_word(key, 3),
                   k4 = key_word(key, 4);
#pragma GCC unroll 4
    for (uint32_t w = 0; w < kWays; ++w) {
      const FlowKey& x = bucket[w].key;
      // The lower address decides nearly every other way on the first word.
      if (key_word(x, 0) == k0 &&
          ((key_word(x, 1) ^ k1) | (key_word(x, 2) ^ k2) | (key_word(x, 3) ^ k3) | (key_word(x, 4) ^ k4)) == 0 &&
          bucket[w].in_use)
        return &bucket[w];
    }
    return nullptr;
  }

  // After find() missed: makes `key` a flow, in the bucket's first free way, else by evicting
  // its least recently seen flow that holds no verdict, else its least recently seen flow.
  // *evicted receives a copy of the evicted flow, so its summary is not lost;
  // *evicted_verdict is set when that flow held a verdict (every way did).
  Flow* create(const FlowKey& key, uint64_t hash, uint64_t now, Flow* evicted, bool* did_evict,
               bool* evicted_verdict = nullptr);

  // find(), else create(); *created tells which.
  Flow* find_or_create(const FlowKey& key, uint64_t hash, uint64_t now, bool* created,
                       Flow* evicted, bool* did_evict, bool* evicted_verdict = nullptr) {
    if (Flow* f = find(key, hash)) {
      *created = false;
      *did_evict = false;
      if (evicted_verdict != nullptr) *evicted_verdict = false;
      return f;
    }
    *created = true;
    return create(key, hash, now, evicted, did_evict, evicted_verdict);
  }

  uint32_t capacity() const { return bucket_mask_ + 1 == 0 ? 0 : (bucket_mask_ + 1) * kWays; }
  uint64_t size() const { return size_; }

  // Makes `f` a new flow of `key` (zeroed state, no verdict, no buffer).
  static void reset(Flow& f, const FlowKey& key, uint64_t now);

  // Frees a flow's way (it ended or went idle; the caller has made its record).
  void remove(Flow& f) {
    f.in_use = 0;
    --size_;
  }
  // Every way of every bucket, for the timeout sweep: a power of two.
  uint64_t slot_count() const { return uint64_t{bucket_mask_ + 1} * kWays; }
  Flow& slot(uint64_t i) { return flows_[i]; }

  template <class Fn>
  void for_each(Fn&& fn) {
    for (uint64_t i = 0; i < uint64_t{bucket_mask_ + 1} * kWays; ++i)
      if (flows_[i].in_use) fn(flows_[i]);
  }

 private:
  uint32_t bucket_of(uint64_t hash) const { return static_cast<uint32_t>(hash) & bucket_mask_; }

  Flow* flows_ = nullptr;
  size_t bytes_ = 0;
  uint32_t bucket_mask_ = 0;
  uint64_t size_ = 0;
};

}  // namespace iocgate
