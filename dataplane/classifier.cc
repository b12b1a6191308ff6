// dataplane/classifier.cc — the per-packet pipeline: a burst is parsed in one pass (with
// prefetches of the flow buckets and table filters it will need), then judged in a second.

#include "dataplane/classifier.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include "dataplane/dns_answer.h"
#include "dataplane/dns_qname.h"
#include "dataplane/http_host.h"
#include "dataplane/tls_sni.h"

namespace iocgate {

namespace {

using table::Action;
using table::Match;

// How far ahead of the packet being parsed its successor's bytes are prefetched.
constexpr uint32_t kPrefetchAhead = 2;

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

Action action_of(uint32_t value) {
  return value == table::kNoMatch ? Action::kNone : Match{value}.action();
}

bool is_dns_port(const PacketMeta& m) { return m.sport == 53 || m.dport == 53; }

// FNV-1a: tells a name log entry overwritten by others from the flow's own name.
uint32_t name_hash(const char* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<uint8_t>(p[i])) * 16777619u;
  return h;
}

// Fragments of a datagram that may carry something read here (TCP, UDP, or IPv6 extension
// headers hiding which): reassembled. Others (ESP, ICMP, ...) are judged by address alone.
bool reassembled(const PacketMeta& m) {
  if (!m.is_fragment || !m.frag_ok) return false;
  const uint8_t p = m.frag_next;
  return p == IPPROTO_TCP || p == IPPROTO_UDP ||
         (m.ip_version == 6 && (p == 0 || p == 43 || p == 60 || p == 51));
}

// IP bytes of a packet: its header and payload as the IP length says, without Ethernet
// padding (payload_len is bounded by the IP length).
uint32_t ip_bytes(const PacketMeta& m, uint32_t frame_len) {
  const uint32_t end = uint32_t{m.payload_offset} + m.payload_len;
  if (m.payload_offset != 0 && end > m.l3_offset && end <= frame_len) return end - m.l3_offset;
  return frame_len > m.l3_offset ? frame_len - m.l3_offset : 0;
}

// The record's first-seen time, from the 32-bit form the flow keeps (see kSeenShift).
uint64_t first_seen_of(const Flow& f) {
  const uint32_t last = static_cast<uint32_t>(f.last_seen >> kSeenShift);
  const uint64_t back = uint64_t{static_cast<uint32_t>(last - f.first_seen)} << kSeenShift;
  return back > f.last_seen ? 0 : f.last_seen - back;
}

// A record spans at most this (the 32-bit first_seen wraps after 2^48 cycles).
constexpr uint64_t kMaxActiveTimeout = 1ull << 46;
// Slots the sweep visits per call at most: a worker back from a stall catches up gradually.
constexpr uint64_t kMaxSweepPerCall = 64;

// Every field of a flow's event but its name, which each emitter adds: the one place an event
// is built, so first matches and summaries say the same things. Inlined: as a call it cost
// every event ten more instructions (callgrind, bench/classify_callgrind).
[[gnu::always_inline]] inline void fill_event(MatchEvent& e, const Flow& f, EventType type, uint64_t now,
                                              uint16_t vlan, uint8_t vlan_count) {
  e.time = now;
  // The generation whose table the record index belongs to; 0 when it is too far back to
  // know (the control process then resolves the IoC from the event's own addresses or name).
  e.generation = f.first_gen_back == kGenBackUnknown || f.first_gen_back > f.generation
                     ? 0
                     : f.generation - f.first_gen_back;
  e.type = static_cast<uint8_t>(type);
  e.packets = type == EventType::kFirstMatch ? 1 : f.matched_packets;
  e.match = f.first_match;
  e.kind = f.first_kind;
  e.ioc_side = f.first_side;
  e.ip_version = f.key.ip_version;
  e.proto = f.key.proto;
  e.vlan = vlan;
  e.vlan_count = vlan_count;
  const bool a_client = f.client_is_a;
  std::memcpy(e.client, a_client ? f.key.a : f.key.b, 16);
  std::memcpy(e.server, a_client ? f.key.b : f.key.a, 16);
  e.client_port = a_client ? f.key.port_a : f.key.port_b;
  e.server_port = a_client ? f.key.port_b : f.key.port_a;
}

}  // namespace

Classifier::Classifier(const ClassifierConfig& cfg)
    : flows_(cfg.flow_capacity),
      reasm_(cfg.reassembly_buffers),
      slot_owner_(new Flow*[cfg.reassembly_buffers]()),
      frags_(cfg.fragment_contexts, cfg.fragment_timeout),
      names_(cfg.name_log_bytes),
      unreadable_drop_(cfg.unreadable_drop),
      flow_hash_seed_(cfg.flow_hash_seed),
      own_events_(new EventRing()),
      events_(own_events_.get()),
      idle_timeout_(cfg.idle_timeout),
      active_timeout_(cfg.active_timeout == 0 || cfg.active_timeout > kMaxActiveTimeout ? kMaxActiveTimeout
                                                                                          : cfg.active_timeout),
      end_linger_(cfg.end_linger),
      flush_wait_(cfg.flush_wait),
      clock_hz_(cfg.clock_hz) {
  if (cfg.resolved_entries != 0) {
    own_resolved_ = std::make_unique<ResolvedTable>(cfg.resolved_entries);
    resolved_ = own_resolved_.get();
  }
  if (cfg.sweep_period != 0) sweep_cycles_per_slot_ = std::max<uint64_t>(1, cfg.sweep_period / flows_.slot_count());
}

void Classifier::classify_burst(const uint8_t* const* frames, const uint32_t* lens, uint32_t n,
                                uint64_t now, Verdict* verdicts) {
  counters_.rx_packets += n;
  housekeep(now);

  // Stage 1: parse, build flow keys, prefetch what stage 2 reads.
  for (uint32_t i = 0; i < n; ++i) {
    if (i + kPrefetchAhead < n) __builtin_prefetch(frames[i + kPrefetchAhead]);
    Scratch& s = scratch_[i];
    s.hold = Hold::kNone;
    s.dns_response = false;
    s.status = parse_packet(frames[i], lens[i], s.meta);
    s.ip_len = ip_bytes(s.meta, lens[i]);
    // A frame cut short after its IP header is still judged by its addresses: forwarding
    // it unjudged would let a crafted header slip a listed address past the filter.
    if (s.meta.ip_version == 0) continue;
    if (s.status != ParseStatus::kOk) s.meta.has_l4 = 0;
    s.key = make_flow_key(s.meta, &s.src_is_a);
    s.hash = hash_flow_key(s.key, flow_hash_seed_);
    flows_.prefetch(s.hash);
    if (table_ != nullptr && s.meta.ip_version == 4) {
      table_->prefetch_v4(load_be32(s.meta.src));
      table_->prefetch_v4(load_be32(s.meta.dst));
    }
  }

  // Stage 2: judge in capture order (flows carry state from one packet to the next).
  for (uint32_t i = 0; i < n; ++i) {
    Scratch& s = scratch_[i];
    Action a = Action::kNone;
    if (s.status != ParseStatus::kOk) [[unlikely]] {
      switch (s.status) {
        case ParseStatus::kOk:
          break;
        case ParseStatus::kNotIp:
          ++counters_.non_ip;
          break;
        case ParseStatus::kTruncated:
          ++counters_.truncated;
          break;
        case ParseStatus::kMalformed:
          ++counters_.malformed;
          break;
      }
    }
    if (s.meta.ip_version != 0) a = reassembled(s.meta) ? judge_fragment(frames[i], s, now) : judge(frames[i], s, now);
    // The common case: nothing matched, nothing held.
    if (a == Action::kNone && s.hold == Hold::kNone) [[likely]] {
      verdicts[i] = Verdict::kForward;
      continue;
    }
    // Held back, not judged: an out-of-order segment (the sender resends it) or an
    // unreadable stream under the "drop" policy. An IoC drop or allow still decides.
    if (s.hold != Hold::kNone && a != Action::kDrop && a != Action::kReject && a != Action::kAllow) {
      verdicts[i] = Verdict::kDrop;
      if (s.hold == Hold::kUnreadable) ++counters_.unreadable_dropped;
      continue;
    }
    switch (a) {
      case Action::kDrop:
        verdicts[i] = Verdict::kDrop;
        ++counters_.dropped_packets;
        break;
      case Action::kReject:
        verdicts[i] = Verdict::kReject;
        ++counters_.rejected_packets;
        break;
      case Action::kMirror:
        verdicts[i] = Verdict::kMirror;
        ++counters_.mirrored_packets;
        break;
      case Action::kAlert:
        verdicts[i] = Verdict::kForward;
        ++counters_.alerted_packets;
        break;
      case Action::kAllow:
        verdicts[i] = Verdict::kForward;
        ++counters_.allowed_packets;
        break;
      case Action::kNone:
        verdicts[i] = Verdict::kForward;
        break;
    }
  }
}

Action Classifier::judge_fragment(const uint8_t* frame, Scratch& s, uint64_t now) {
  Datagram d;
  const FragStatus st = frags_.add(s.meta, frame, now, &d);
  counters_.ipfrag_timeout = frags_.timed_out();
  switch (st) {
    case FragStatus::kHeld:
    case FragStatus::kDuplicate:
      // Forwarded on its addresses: without the fragment that completes the datagram,
      // which is judged whole, the receiver cannot read the datagram either.
      return judge(frame, s, now, false);
    case FragStatus::kComplete: {
      ++counters_.fragments;
      ++counters_.ipfrag_reassembled;
      Scratch r;
      r.meta = s.meta;
      r.meta.is_fragment = 0;
      r.meta.frag_ok = 0;
      r.status = parse_reassembled(d.data, d.len, d.next, r.meta);
      if (r.status != ParseStatus::kOk) r.meta.has_l4 = 0;
      r.key = make_flow_key(r.meta, &r.src_is_a);
      r.hash = hash_flow_key(r.key, flow_hash_seed_);
      r.hold = Hold::kNone;
      r.dns_response = false;
      r.ip_len = s.ip_len;  // the completing fragment's own bytes: the others were counted
      const Action a = judge(d.data, r, now);
      s.hold = r.hold;
      return a;
    }
    case FragStatus::kConflict:
      ++counters_.ipfrag_conflict;
      break;
    case FragStatus::kInvalid:
      ++counters_.ipfrag_invalid;
      break;
    case FragStatus::kTooMany:
      ++counters_.ipfrag_too_many;
      break;
    case FragStatus::kNoRoom:
      ++counters_.ipfrag_no_room;
      break;
    case FragStatus::kPoisoned:
      break;
  }
  // The datagram cannot be read: its addresses still decide, then the unreadable policy.
  const Action a = judge(frame, s, now, false);
  if (unreadable_drop_) s.hold = Hold::kUnreadable;
  else ++counters_.unreadable_passed;
  return a;
}

Action Classifier::judge(const uint8_t* frame, Scratch& s, uint64_t now, bool read_names) {
  const PacketMeta& m = s.meta;
  if (m.is_fragment) ++counters_.fragments;

  Flow* found = flows_.find(s.key, s.hash);
  const bool created = found == nullptr;
  Flow& f = created ? create_flow(s, now) : *found;
  const bool tcp = m.has_l4 && m.l4_proto == IPPROTO_TCP;
  const bool syn = tcp && (m.tcp_flags & 0x12) == 0x02;
  if (created) {
    ++counters_.flows_created;
    f.client_is_a = s.src_is_a;
    if (syn) f.state |= kFlowSynFirst;
    f.vlan = static_cast<uint16_t>((m.vlan_count > 0 ? m.vlan[0] & 0x0fff : 0) | (m.vlan_count << 12));
  } else if (syn && (f.state & kFlowEnded)) {
    reopen(f, s.src_is_a);  // a new connection on a closed 5-tuple
  }
  if (flow_ring_ != nullptr) account(f, s.src_is_a, s.ip_len, tcp ? m.tcp_flags : 0, now);
  // FIN both ways or a RST: the flow ends once its last packets have passed (end_linger).
  if (tcp && (m.tcp_flags & 0x05) != 0) {
    if (m.tcp_flags & 0x01) f.state |= s.src_is_a ? kFlowFinA : kFlowFinB;
    if ((m.tcp_flags & 0x04) || (f.state & (kFlowFinA | kFlowFinB)) == (kFlowFinA | kFlowFinB)) f.state |= kFlowEnded;
  }
  f.last_seen = now;
  // A buffer taken back under pressure is the one whose stream was quiet longest.
  if (f.reasm_slot != kNoSlot) reasm_.touch(f.reasm_slot);

  // Without a table nothing is judged; flow records and DNS answers (a push may list their
  // names later) still want the names.
  if (table_ == nullptr && flow_ring_ == nullptr && resolved_ == nullptr) return Action::kNone;

  // Address verdicts are cached per flow and table generation: a new table re-judges them.
  if (table_ != nullptr && f.generation != generation_) {
    Match ma, mb;
    if (m.ip_version == 4) {
      ma = table_->lookup_v4(load_be32(f.key.a));
      mb = table_->lookup_v4(load_be32(f.key.b));
    } else {
      ma = table_->lookup_v6(f.key.a);
      mb = table_->lookup_v6(f.key.b);
    }
    const bool take_a = ma.hit() && (!mb.hit() || ma.action() >= mb.action());
    f.addr_match = take_a ? ma.value : mb.value;
    f.addr_kind_src_a = take_a;
    f.state &= static_cast<uint8_t>(~kFlowAddrResolved);
    resolved_len_ = 0;
    if (resolved_ != nullptr) judge_resolved(f, now);
    // Stored match values now lie `delta` generations further back.
    if (f.generation != ~0ULL) {
      const uint64_t delta = generation_ - f.generation;
      f.first_gen_back = static_cast<uint16_t>(std::min<uint64_t>(f.first_gen_back + delta, kGenBackUnknown));
      f.l7_gen_back = static_cast<uint8_t>(std::min<uint64_t>(f.l7_gen_back + delta, 0xff));
    }
    // A name read under an older generation is judged again: a push that lists it drops
    // the open connection from this packet on, one that removes or allowlists it un-drops it.
    // (A name read while no table was in force is judged now, the first time.)
    if (f.name_len != 0 && f.key.proto == IPPROTO_TCP) rejudge_name(f);
    f.generation = generation_;
  }

  // Names: a DNS question is judged per packet; TLS and HTTP (and DNS over TCP) decide the
  // whole flow from the packet that completes the name onwards.
  uint32_t dns_match = table::kNoMatch;
  Hold hold = Hold::kNone;
  if (!read_names) {
    // A fragment: its bytes are read when its datagram is whole.
  } else if (m.has_l4 && m.payload_len > 0) {
    const uint8_t* payload = frame + m.payload_offset;
    if (m.l4_proto == IPPROTO_UDP && is_dns_port(m)) {
      char name[kMaxNameLen + 1];
      size_t len = 0;
      bool response = false;
      if (dns_query_name(payload, m.payload_len, name, &len, &response) == ExtractStatus::kFound) {
        dns_match = lookup_name(name, len);
        // A DNS flow is judged per query: the name is kept to name the match in its events
        // and its flow record (never judged again: UDP flows are not re-judged by name).
        if (dns_match != table::kNoMatch || flow_ring_ != nullptr) remember_name(f, name, len);
        // The response ends the exchange: its record carries the answer's addresses.
        if (response && m.sport == 53 && (flow_ring_ != nullptr || resolved_ != nullptr)) s.dns_response = true;
      }
    } else if (m.l4_proto == IPPROTO_TCP && f.inspect != static_cast<uint8_t>(Inspect::kDone) &&
               f.l7_match == table::kNoMatch) {
      hold = inspect_tcp(frame, m, f, s.src_is_a);
    }
  } else if (m.has_l4 && m.l4_proto == IPPROTO_TCP && (m.tcp_flags & 0x05) != 0 &&
             f.inspect == static_cast<uint8_t>(Inspect::kReassembling)) {
    abandon(f);  // FIN or RST before the message was complete
  }
  // Both directions of a stream that could not be read, from the packet that made it so.
  s.hold = f.unreadable ? Hold::kUnreadable : hold;
  if (table_ == nullptr) {
    // Names were read for the flow record and a later table; nothing is enforced.
    if (s.dns_response) finish_dns_response(f, frame + m.payload_offset, m.payload_len, dns_match, now);
    return Action::kNone;
  }

  const Action addr = action_of(f.addr_match);
  const Action l7 = action_of(f.l7_match);
  const Action dns = action_of(dns_match);
  const Action a = std::max({addr, l7, dns});
  if (a == Action::kNone) {
    if (s.dns_response) finish_dns_response(f, frame + m.payload_offset, m.payload_len, dns_match, now);
    return a;
  }

  // Count the match that decided, and report the flow's first match once.
  MatchKind kind;
  uint32_t decided;  // the match value that decided: reported with the flow's first match
  bool from_l7 = false;  // decided by the flow's sticky name match, as old as l7_gen_back
  if (dns >= l7 && dns >= addr && dns != Action::kNone) {
    kind = MatchKind::kDns;
    decided = dns_match;
    ++counters_.match_dns;
  } else if (l7 >= addr && l7 != Action::kNone) {
    // SNI, Host, or DNS over TCP: the flow's sticky name match.
    kind = static_cast<MatchKind>(f.l7_kind);
    decided = f.l7_match;
    from_l7 = true;
    if (kind == MatchKind::kSni) ++counters_.match_sni;
    else if (kind == MatchKind::kHost) ++counters_.match_host;
    else ++counters_.match_dns;
  } else if (f.state & kFlowAddrResolved) {
    // The address a listed name resolved to: judged by that name, reported as resolved.
    kind = MatchKind::kResolved;
    decided = f.addr_match;
    ++counters_.match_resolved;
  } else {
    kind = MatchKind::kIp;
    decided = f.addr_match;
    ++counters_.match_ip;
  }
  ++f.matched_packets;
  // Report the flow's first match, and again if a stronger action takes over later (an
  // alert-listed address, then a dropped SNI).
  if (static_cast<uint8_t>(a) > f.reported_action) {
    f.reported_action = static_cast<uint8_t>(a);
    f.first_kind = static_cast<uint8_t>(kind);
    f.first_match = decided;  // DNS over TCP decides by l7_match, not dns_match
    // An address (listed, or resolved from a listed name) or DNS question verdict is this
    // generation's; a name's is as old as its l7_match.
    f.first_gen_back = !from_l7 ? 0 : (f.l7_gen_back == 0xff ? kGenBackUnknown : f.l7_gen_back);
    // An address match (listed, or resolved from a listed name) says which end it was.
    f.first_side = static_cast<uint8_t>(
        kind != MatchKind::kIp && kind != MatchKind::kResolved ? IocSide::kName
        : f.addr_kind_src_a == f.client_is_a                    ? IocSide::kClient
                                                                : IocSide::kServer);
    if (kind == MatchKind::kResolved && resolved_len_ != 0)
      emit_named(f, EventType::kFirstMatch, now, m.vlan[0], m.vlan_count, resolved_name_, resolved_len_);
    else
      emit(f, EventType::kFirstMatch, now, m.vlan[0], m.vlan_count, kind != MatchKind::kIp && kind != MatchKind::kResolved);
  }
  if (s.dns_response) finish_dns_response(f, frame + m.payload_offset, m.payload_len, dns_match, now);
  return a;
}

ExtractStatus Classifier::extract(InspectProto proto, const uint8_t* bytes, size_t n, char* name,
                                  size_t* name_len, size_t* needed) {
  *needed = 0;
  switch (proto) {
    case InspectProto::kTls:
      return tls_client_hello_sni(bytes, n, name, name_len, needed);
    case InspectProto::kHttp:
      return http_request_host(bytes, n, name, name_len);
    case InspectProto::kDnsTcp:
      return dns_tcp_query_name(bytes, n, name, name_len);
  }
  return ExtractStatus::kNotMine;
}

bool Classifier::evaluate(Flow& f, const uint8_t* bytes, size_t n) {
  const auto proto = static_cast<InspectProto>(f.inspect_proto);
  char name[kMaxNameLen + 1];
  size_t name_len = 0;
  // A segment may hold several messages (pipelined HTTP requests, DNS queries on one TCP
  // connection): each is read, up to a bound.
  for (int message = 0; message < kMaxMessagesPerSegment && n > 0; ++message) {
    size_t needed = 0;
    const ExtractStatus st = extract(proto, bytes, n, name, &name_len, &needed);
    if (st == ExtractStatus::kNeedMore) {
      // A hello split in tiny segments is not re-parsed for each of them.
      f.need_len = static_cast<uint16_t>(std::min<size_t>(needed, 0xffff));
      return true;
    }
    if (st != ExtractStatus::kFound) return false;
    remember_name(f, name, name_len);
    const uint32_t v = lookup_name(name, name_len);
    if (v != table::kNoMatch) {
      // The SNI can arrive before the rest of the ClientHello: the verdict falls on the
      // segment that completes the hello, so the earlier segments pass as they would
      // without us.
      if (proto == InspectProto::kTls && !tls_client_hello_complete(bytes, n)) {
        f.pending_match = v;
        return true;
      }
      apply_name_match(f, v);
      return false;
    }
    const size_t used = message_length(proto, bytes, n);
    if (used == 0 || used >= n) return false;
    bytes += used;
    n -= used;
    if (proto == InspectProto::kHttp && !looks_like_http_request(bytes, n)) return false;
  }
  return false;
}

size_t Classifier::message_length(InspectProto proto, const uint8_t* bytes, size_t n) {
  if (proto == InspectProto::kDnsTcp) return n < 2 ? 0 : 2 + ((size_t{bytes[0]} << 8) | bytes[1]);
  if (proto == InspectProto::kHttp) {
    // The header block; a request body before a pipelined request is not skipped. From LF
    // to LF with memchr: a byte loop cost every HTTP request some 500 instructions.
    for (size_t i = 3; i < n;) {
      const void* lf = std::memchr(bytes + i, '\n', n - i);
      if (lf == nullptr) break;
      i = static_cast<size_t>(static_cast<const uint8_t*>(lf) - bytes);
      if (bytes[i - 1] == '\r' && bytes[i - 2] == '\n' && bytes[i - 3] == '\r') return i + 1;
      ++i;
    }
  }
  return 0;
}

void Classifier::apply_name_match(Flow& f, uint32_t v) {
  const auto proto = static_cast<InspectProto>(f.inspect_proto);
  f.l7_match = v;
  f.l7_gen_back = 0;
  f.pending_match = table::kNoMatch;
  f.l7_kind = static_cast<uint8_t>(proto == InspectProto::kTls    ? MatchKind::kSni
                                   : proto == InspectProto::kHttp ? MatchKind::kHost
                                                                  : MatchKind::kDns);
}

void Classifier::start_message(Flow& f, const uint8_t* p, uint32_t len, uint32_t seq) {
  f.need_len = 0;
  if (!evaluate(f, p, len)) {
    end_message(f);
    return;
  }
  int slot = reasm_.take();
  if (slot < 0) {
    // Every buffer is held: take back the one whose stream was quiet longest (the head of
    // the pool's LRU list, O(1)), so stalled streams cannot starve new ones. That stream
    // can no longer be read, unless its name was already seen.
    ++counters_.reasm_pool_empty;
    const int oldest = reasm_.oldest();
    if (oldest < 0) {
      unreadable(f, nullptr);
      return;
    }
    unreadable(*slot_owner_[oldest], nullptr);
    slot = reasm_.take();
  }
  ++counters_.reasm_started;
  f.reasm_slot = static_cast<uint16_t>(slot);
  slot_owner_[slot] = &f;
  f.inspect = static_cast<uint8_t>(Inspect::kReassembling);
  f.next_seq = seq + len;
  // A reassembled IP datagram can hold more than a buffer.
  if (!reasm_.append(f.reasm_slot, p, len)) unreadable(f, &DataplaneCounters::reasm_overflow);
}

void Classifier::unreadable(Flow& f, uint64_t DataplaneCounters::*reason) {
  if (reason != nullptr) ++(counters_.*reason);
  if (f.pending_match != table::kNoMatch) {
    abandon(f);  // the name was seen: it decides
    return;
  }
  release_slot(f);
  f.inspect = static_cast<uint8_t>(Inspect::kDone);
  // Streams are read with no table in force too (for flow records), but then nothing is
  // filtered (on_no_table = "forward"): an unreadable one passes like every other packet.
  if (unreadable_drop_ && table_ != nullptr) f.unreadable = 1;
  else ++counters_.unreadable_passed;
}

void Classifier::end_message(Flow& f) {
  release_slot(f);
  // HTTP/1.1 and DNS over TCP keep connections open: the next message may name another host.
  const bool reused = static_cast<InspectProto>(f.inspect_proto) != InspectProto::kTls;
  f.inspect = static_cast<uint8_t>(reused && f.l7_match == table::kNoMatch ? Inspect::kIdle : Inspect::kDone);
}

void Classifier::abandon(Flow& f) {
  // A name already seen still decides the flow, even if the rest of its message never came.
  if (f.pending_match != table::kNoMatch) apply_name_match(f, f.pending_match);
  release_slot(f);
  f.inspect = static_cast<uint8_t>(Inspect::kDone);
}

Classifier::Hold Classifier::inspect_tcp(const uint8_t* frame, const PacketMeta& m, Flow& f, bool from_a) {
  const uint8_t* p = frame + m.payload_offset;
  const uint32_t len = m.payload_len;
  const auto state = static_cast<Inspect>(f.inspect);

  if (state == Inspect::kFresh) {
    InspectProto proto;
    if (m.dport == 53) {
      proto = InspectProto::kDnsTcp;
    } else if (looks_like_tls_handshake(p, len)) {
      proto = InspectProto::kTls;
    } else if (looks_like_http_request(p, len)) {
      proto = InspectProto::kHttp;
    } else {
      f.inspect = static_cast<uint8_t>(Inspect::kDone);
      return Hold::kNone;
    }
    f.inspect_proto = static_cast<uint8_t>(proto);
    f.inspect_from_a = from_a;
    start_message(f, p, len, m.tcp_seq);
    return Hold::kNone;
  }
  if (from_a != static_cast<bool>(f.inspect_from_a)) return Hold::kNone;
  const auto proto = static_cast<InspectProto>(f.inspect_proto);
  if (state == Inspect::kIdle) {
    // Segments of a request body do not start like a request line; the next request does.
    // A DNS client writes each length-prefixed query at a segment start.
    if (proto == InspectProto::kDnsTcp || looks_like_http_request(p, len)) start_message(f, p, len, m.tcp_seq);
    return Hold::kNone;
  }

  // Reassembling: only in-order bytes of the inspected direction extend the buffer.
  const int32_t delta = static_cast<int32_t>(m.tcp_seq - f.next_seq);
  if (delta > 0) {
    // Data beyond a gap is dropped while the name is incomplete, so the sender resends it
    // in order and the name is read whole: reordering cannot slip a ClientHello past us.
    // A gap that is never filled (asymmetric routing) stops inspection after a few tries.
    if (f.held < kMaxHeldSegments) {
      ++f.held;
      ++counters_.reasm_out_of_order;
      return Hold::kOutOfOrder;
    }
    unreadable(f, &DataplaneCounters::reasm_abandoned);
    return Hold::kNone;
  }
  // Bytes already held must come again unchanged. A stack that sent other bytes for the
  // same sequence numbers would make the receiver's reading depend on which copy reached it
  // first (a copy can be made to die on the way, by its TTL): there is no one reading to
  // judge, so the stream is unreadable. Real stacks never resend different bytes.
  const uint32_t overlap = static_cast<uint32_t>(-delta);
  const uint32_t have = reasm_.len(f.reasm_slot);
  const uint32_t before = overlap > have ? overlap - have : 0;  // bytes from before the message
  const uint32_t same = std::min(overlap, len);
  if (same > before &&
      std::memcmp(p + before, reasm_.data(f.reasm_slot) + (have - (overlap - before)), same - before) != 0) {
    unreadable(f, &DataplaneCounters::reasm_conflict);
    return Hold::kNone;
  }
  if (overlap >= len) return Hold::kNone;  // a retransmission of bytes already held
  if (!reasm_.append(f.reasm_slot, p + overlap, len - overlap)) {
    unreadable(f, &DataplaneCounters::reasm_overflow);
    return Hold::kNone;
  }
  f.next_seq += len - overlap;
  const uint32_t buffered = reasm_.len(f.reasm_slot);
  // Tiny segments: read again only once the extractor can say more (TLS knows how many
  // bytes it needs; an HTTP header line ends in LF).
  if (buffered < f.need_len) return Hold::kNone;
  if (proto == InspectProto::kHttp && std::memchr(p + overlap, '\n', len - overlap) == nullptr) return Hold::kNone;
  if (!evaluate(f, reasm_.data(f.reasm_slot), buffered)) end_message(f);
  return Hold::kNone;
}

void Classifier::release_slot(Flow& f) {
  if (f.reasm_slot == kNoSlot) return;
  slot_owner_[f.reasm_slot] = nullptr;
  reasm_.give_back(f.reasm_slot);
  f.reasm_slot = kNoSlot;
}

uint32_t Classifier::lookup_name(const char* name, size_t len) const {
  return table_ == nullptr ? table::kNoMatch : table_->lookup_domain(name, len).value;
}

void Classifier::remember_name(Flow& f, const char* name, size_t len) {
  if (len == 0 || len > 255) {
    f.state |= kFlowNameMissed;
    return;
  }
  // A record names one name: a kept-alive connection that moves on to another host (an HTTP
  // proxy, say) closes the record of the first before it takes the second.
  if (flow_ring_ != nullptr && f.name_len != 0 && flow_packets(f) > 1 &&
      (f.name_len != len || f.name_hash != name_hash(name, len)))
    record_and_restart(f, FlowEnd::kActive);
  f.name_len = static_cast<uint8_t>(len);
  f.name_pos = names_.put(name, f.name_len);
  f.name_hash = name_hash(name, len);
}

bool Classifier::recall_name(const Flow& f, char* out) const {
  return f.name_len != 0 && names_.get(f.name_pos, f.name_len, out) && name_hash(out, f.name_len) == f.name_hash;
}

void Classifier::rejudge_name(Flow& f) {
  char name[kMaxNameLen + 1];
  if (!recall_name(f, name)) {
    ++counters_.name_lost;  // overwritten by newer names: the verdict it had stays
    return;
  }
  ++counters_.name_rejudged;
  const uint32_t v = lookup_name(name, f.name_len);
  if (f.inspect == static_cast<uint8_t>(Inspect::kReassembling) && static_cast<InspectProto>(f.inspect_proto) == InspectProto::kTls) {
    f.pending_match = v;  // the hello is still incomplete: its verdict waits for the rest
    return;
  }
  const bool was_matched = f.l7_match != table::kNoMatch;
  if (v != table::kNoMatch) {
    apply_name_match(f, v);
    // An HTTP or DNS connection is not read while a name blocks it (a request half read
    // gives its buffer back).
    if (f.inspect == static_cast<uint8_t>(Inspect::kIdle) || f.inspect == static_cast<uint8_t>(Inspect::kReassembling)) {
      release_slot(f);
      f.inspect = static_cast<uint8_t>(Inspect::kDone);
    }
  } else {
    f.l7_match = table::kNoMatch;
    f.l7_gen_back = 0;
    // Un-dropped: a kept-alive HTTP or DNS connection is read again from its next message.
    if (was_matched && f.inspect == static_cast<uint8_t>(Inspect::kDone) && f.unreadable == 0 &&
        static_cast<InspectProto>(f.inspect_proto) != InspectProto::kTls)
      f.inspect = static_cast<uint8_t>(Inspect::kIdle);
  }
}

void Classifier::emit_named(const Flow& f, EventType type, uint64_t now, uint16_t vlan, uint8_t vlan_count,
                            const char* name, size_t len) {
  MatchEvent e{};
  fill_event(e, f, type, now, vlan, vlan_count);
  e.name_len = static_cast<uint8_t>(std::min<size_t>(len, sizeof(e.name)));
  std::memcpy(e.name, name, e.name_len);
  if (!events_->push(e)) ++counters_.events_lost;
}

void Classifier::emit(const Flow& f, EventType type, uint64_t now, uint16_t vlan, uint8_t vlan_count,
                      bool with_name) {
  MatchEvent e{};
  fill_event(e, f, type, now, vlan, vlan_count);
  if (with_name && recall_name(f, e.name)) e.name_len = f.name_len;
  if (!events_->push(e)) ++counters_.events_lost;
}

Flow& Classifier::create_flow(const Scratch& s, uint64_t now) {
  bool did_evict = false, evicted_verdict = false;
  Flow evicted;
  Flow& f = *flows_.create(s.key, s.hash, now, &evicted, &did_evict, &evicted_verdict);
  if (did_evict) on_evicted(evicted, evicted_verdict, now);
  return f;
}

void Classifier::on_evicted(const Flow& f, bool held_verdict, uint64_t now) {
  ++counters_.flows_evicted;
  if (held_verdict) ++counters_.flows_evicted_verdict;
  if (f.reasm_slot != kNoSlot) {
    slot_owner_[f.reasm_slot] = nullptr;
    reasm_.give_back(f.reasm_slot);
  }
  if (f.matched_packets > 0) emit(f, EventType::kSummary, now, 0, 0, f.first_kind != static_cast<uint8_t>(MatchKind::kIp));
  if (flow_ring_ != nullptr && flow_packets(f) > 0) make_record(f, FlowEnd::kEvicted, nullptr, 0, nullptr);
}

void Classifier::flush_summaries() {
  // The control process drains the ring while the dataplane stops: a full ring is waited
  // for, up to flush_wait in all, before records are counted lost.
  const uint64_t give_up = read_tsc() + flush_wait_;
  flows_.for_each([&](Flow& f) {
    if (f.matched_packets > 0)
      emit(f, EventType::kSummary, f.last_seen, 0, 0, f.first_kind != static_cast<uint8_t>(MatchKind::kIp));
    f.matched_packets = 0;  // reported: a later eviction must not report it again
    if (flow_ring_ == nullptr || flow_packets(f) == 0) return;
    while (flow_ring_->tail() - flow_ring_->head() >= FlowRing::kSlots && static_cast<int64_t>(give_up - read_tsc()) > 0)
      __builtin_ia32_pause();
    record_and_restart(f, FlowEnd::kForced);
  });
}

// ---- flow records and timeouts -------------------------------------------------------------

void Classifier::account(Flow& f, bool from_a, uint32_t ip_len, uint8_t tcp_flags, uint64_t now) {
  const int d = from_a ? 0 : 1;
  // A 32-bit counter about to overflow closes the record; the flow goes on in the next.
  if (f.bytes[d] > 0xFFFFFFFFu - ip_len || f.packets[d] == 0xFFFFFFFFu) record_and_restart(f, FlowEnd::kActive);
  if (flow_packets(f) == 0) f.first_seen = static_cast<uint32_t>(now >> kSeenShift);
  ++f.packets[d];
  f.bytes[d] += ip_len;
  f.tcp_flags |= tcp_flags;
}

void Classifier::reopen(Flow& f, bool from_a) {
  if (flow_ring_ != nullptr && flow_packets(f) > 0) record_and_restart(f, FlowEnd::kEnd);
  f.state = static_cast<uint8_t>(f.state & ~(kFlowEnded | kFlowFinA | kFlowFinB));
  // A verdict stays with the 5-tuple (a RST the receiver ignored must not shed it); anything
  // else starts again as a new connection, read from its first bytes.
  if (holds_verdict(f)) return;
  release_slot(f);
  const FlowKey key = f.key;
  const uint64_t last = f.last_seen;
  FlowTable::reset(f, key, last);
  f.client_is_a = from_a;
  f.state |= kFlowSynFirst;
}

void Classifier::make_record(const Flow& f, FlowEnd why, const char* dns_name, size_t dns_name_len,
                             const DnsAnswers* dns) {
  // Built in its ring slot: no copy of the 512 bytes. The parts past names_len and
  // answer_count are left as they are (readers go by the counts).
  FlowRecord* slot = flow_ring_->claim();
  if (slot == nullptr) {
    ++counters_.flow_records_lost;
    return;
  }
  FlowRecord& r = *slot;
  std::memset(&r, 0, offsetof(FlowRecord, answers));
  r.names_len = 0;
  r.name_count = 0;
  const bool a_client = f.client_is_a;
  const int c = a_client ? 0 : 1;  // index of the client's counters
  r.first_seen = first_seen_of(f);
  r.last_seen = f.last_seen;
  r.packets[0] = f.packets[c];
  r.packets[1] = f.packets[1 - c];
  r.bytes[0] = f.bytes[c];
  r.bytes[1] = f.bytes[1 - c];
  r.ip_version = f.key.ip_version;
  r.proto = f.key.proto;
  std::memcpy(r.client, a_client ? f.key.a : f.key.b, 16);
  std::memcpy(r.server, a_client ? f.key.b : f.key.a, 16);
  r.client_port = a_client ? f.key.port_a : f.key.port_b;
  r.server_port = a_client ? f.key.port_b : f.key.port_a;
  r.vlan = f.vlan & 0x0fff;
  r.vlan_count = static_cast<uint8_t>(f.vlan >> 12);
  r.end = static_cast<uint8_t>(why);
  r.tcp_flags = f.tcp_flags;
  r.match = table::kNoMatch;
  if (f.reported_action != 0) {
    r.action = f.reported_action;
    r.kind = f.first_kind;
    r.match = f.first_match;
    // As in an event: the generation the record index belongs to, when still known.
    r.generation = f.generation;
    if (f.first_gen_back != kGenBackUnknown && f.first_gen_back <= f.generation) {
      r.generation = f.generation - f.first_gen_back;
      r.flags |= kFlowMatchResolved;
    }
  }
  if (f.state & kFlowSynFirst) r.flags |= kFlowClientKnown;
  if (f.state & kFlowExported) r.flags |= kFlowContinued;
  if (f.unreadable) r.flags |= kFlowUnreadable;
  if (f.state & kFlowNameMissed) r.flags |= kFlowNameLost;
  // The flow's name: the DNS response's question, else the one it remembers.
  char name[kMaxNameLen + 1];
  size_t len = 0;
  if (dns_name != nullptr) {
    std::memcpy(name, dns_name, dns_name_len);
    len = dns_name_len;
  } else if (f.name_len != 0) {
    if (recall_name(f, name)) {
      len = f.name_len;
    } else {
      r.flags |= kFlowNameLost;
      ++counters_.flow_names_lost;
    }
  }
  if (len != 0 && len + 2 <= kFlowNamesBytes) {
    FlowNameKind kind = FlowNameKind::kDnsQuery;
    if (f.key.proto == IPPROTO_TCP) {
      const auto p = static_cast<InspectProto>(f.inspect_proto);
      kind = p == InspectProto::kTls ? FlowNameKind::kSni : p == InspectProto::kHttp ? FlowNameKind::kHttpHost
                                                                                      : FlowNameKind::kDnsQuery;
    }
    r.names[0] = static_cast<uint8_t>(kind);
    r.names[1] = static_cast<uint8_t>(len);
    std::memcpy(r.names + 2, name, len);
    r.names_len = static_cast<uint16_t>(len + 2);
    r.name_count = 1;
  }
  if (dns != nullptr) {
    r.answer_count = static_cast<uint8_t>(std::min<uint32_t>(dns->count, kFlowMaxAnswers));
    r.answer_v6 = dns->v6_mask;
    r.answer_ttl = dns->min_ttl;
    std::memcpy(r.answers, dns->addr, size_t{r.answer_count} * 16);
    if (dns->cut) r.flags |= kFlowNamesCut;
  }
  flow_ring_->publish();
  ++counters_.flow_records;
}

void Classifier::restart_record(Flow& f) {
  f.packets[0] = f.packets[1] = 0;
  f.bytes[0] = f.bytes[1] = 0;
  f.tcp_flags = 0;
  f.state = static_cast<uint8_t>((f.state | kFlowExported) & ~kFlowNameMissed);
}

void Classifier::finish_dns_response(Flow& f, const uint8_t* payload, uint32_t len, uint32_t dns_match, uint64_t now) {
  char name[kMaxNameLen + 1];
  size_t name_len = 0;
  DnsAnswers answers;
  if (dns_response_answers(payload, len, name, &name_len, &answers) != ExtractStatus::kFound) return;
  ++counters_.dns_answers_read;
  if (resolved_ != nullptr && answers.count != 0) {
    // Kept for the TTL (at least 30 s: clients keep answers a moment past a zero TTL; at most
    // a day), whatever the name: a push that lists it later binds the addresses then.
    const uint64_t ttl = std::clamp<uint64_t>(answers.min_ttl, 30, 86400);
    for (uint32_t i = 0; i < answers.count; ++i)
      resolved_->bind(((answers.v6_mask >> i) & 1) ? 6 : 4, answers.addr[i], name, name_len, now + ttl * clock_hz_, now,
                      dns_match != table::kNoMatch);
    counters_.resolved_bound += answers.count;
  }
  if (flow_ring_ == nullptr) return;
  make_record(f, FlowEnd::kEnd, name, name_len, &answers);
  restart_record(f);
  // The exchange is over: the flow leaves the table once quiet (a retransmitted response
  // would make a record of its own).
  f.state |= kFlowEnded;
}

bool Classifier::judge_resolved(Flow& f, uint64_t now) {
  // A DNS flow's own addresses are the resolver's and the asker's, never an answer's.
  if (f.key.proto == IPPROTO_UDP && (f.key.port_a == 53 || f.key.port_b == 53)) return false;
  bool decided = false;
  for (int side = 0; side < 2; ++side) {
    char name[ResolvedTable::kNameBytes];
    const size_t n = resolved_->lookup(f.key.ip_version, side == 0 ? f.key.a : f.key.b, now, name);
    if (n == 0) continue;
    const uint32_t v = lookup_name(name, n);
    if (v == table::kNoMatch || action_of(v) <= action_of(f.addr_match)) continue;
    f.addr_match = v;
    f.addr_kind_src_a = side == 0;
    f.state |= kFlowAddrResolved;
    std::memcpy(resolved_name_, name, n);
    resolved_len_ = n;
    decided = true;
  }
  return decided;
}

void Classifier::housekeep(uint64_t now) {
  if (sweep_cycles_per_slot_ == 0) return;
  const int64_t elapsed = static_cast<int64_t>(now - sweep_last_);
  if (elapsed < static_cast<int64_t>(sweep_cycles_per_slot_)) {
    if (elapsed < 0) sweep_last_ = now;  // a clock from another origin (tests, replay)
    return;
  }
  const uint64_t slots = flows_.slot_count();
  // A backlog (the first call, a stalled worker) is at most one pass of the table.
  if (static_cast<uint64_t>(elapsed) / sweep_cycles_per_slot_ > slots) sweep_last_ = now - slots * sweep_cycles_per_slot_;
  uint64_t due = (now - sweep_last_) / sweep_cycles_per_slot_;
  if (due > kMaxSweepPerCall) due = kMaxSweepPerCall;
  sweep_last_ += due * sweep_cycles_per_slot_;
  // The slots in runs up to the table's end (at most two): a pointer walk, no index wrap per
  // slot. expire() changes no slot but its own.
  uint64_t cursor = sweep_cursor_;
  while (due != 0) {
    const uint64_t run = std::min(due, slots - cursor);
    Flow* f = &flows_.slot(cursor);
    for (Flow* const end = f + run; f != end; ++f)
      if (f->in_use) expire(*f, now);
    cursor = (cursor + run) & (slots - 1);
    due -= run;
  }
  sweep_cursor_ = cursor;
}

void Classifier::expire(Flow& f, uint64_t now) {
  const uint64_t quiet = now > f.last_seen ? now - f.last_seen : 0;
  const bool ended = (f.state & kFlowEnded) != 0 && quiet >= end_linger_;
  const bool idle = idle_timeout_ != 0 && quiet >= idle_timeout_;
  if (ended || idle) {
    if (flow_ring_ != nullptr && flow_packets(f) > 0) record_and_restart(f, ended ? FlowEnd::kEnd : FlowEnd::kIdle);
    // A flow holding a verdict stays (until evicted): a connection that waits out the
    // timeout, or fakes its end with a RST the receiver ignores, keeps its verdict.
    if (holds_verdict(f)) return;
    release_slot(f);
    flows_.remove(f);
    ++counters_.flows_expired_idle;
    return;
  }
  if (flow_ring_ != nullptr && flow_packets(f) > 0 && now - first_seen_of(f) >= active_timeout_)
    record_and_restart(f, FlowEnd::kActive);
}

}  // namespace iocgate
