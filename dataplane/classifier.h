// dataplane/classifier.h — judges bursts of frames against the IoC table: parse, flow
// lookup, address and name lookups, verdict. DPDK-free, so tests, benchmarks and callgrind
// drive exactly the code the workers run. One per worker; nothing here locks or allocates
// after construction.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/dns_answer.h"
#include "dataplane/flow_table.h"
#include "dataplane/ip_reassembly.h"
#include "dataplane/l7_extract.h"
#include "dataplane/name_log.h"
#include "dataplane/packet_parser.h"
#include "dataplane/reassembly_pool.h"
#include "dataplane/resolved_table.h"
#include "shm/shm_protocol.h"
#include "table/ioc_table_view.h"

namespace iocgate {

inline constexpr uint32_t kBurstSize = 32;
inline constexpr int kMaxMessagesPerSegment = 8;
inline constexpr uint8_t kMaxHeldSegments = 4;

enum class Verdict : uint8_t {
  kForward = 0,
  kDrop = 1,
  kMirror = 2,  // forward, and send a copy to the mirror port
  kReject = 3,  // drop, and answer the client (dataplane/reject_reply.h)
};

struct ClassifierConfig {
  uint32_t flow_capacity = 1u << 16;
  // Keys the flow table's hash, so bucket collisions cannot be computed from the code; the
  // workers draw it at random. 0 (tests, benchmarks): the same buckets on every run.
  uint64_t flow_hash_seed = 0;
  uint16_t reassembly_buffers = 1024;
  // What happens to a stream or fragmented datagram whose name cannot be read (buffers
  // exhausted, limits exceeded, conflicting retransmissions): true drops it from then on
  // (unreadable_dropped), false passes it unread (unreadable_passed). [dataplane] unreadable.
  bool unreadable_drop = true;
  // Fragmented datagrams in reassembly at once, 64 KiB each.
  uint32_t fragment_contexts = 256;
  // Clock units (the `now` of classify_burst: TSC cycles in the workers) before an
  // incomplete datagram's context may be reused. Must cover the receivers' own reassembly
  // timeout (60 s for IPv6, 30 s on Linux); the default is 65 s at up to 3 GHz.
  uint64_t fragment_timeout = 195'000'000'000ull;
  // Bytes of the per-worker log of names flows saw, kept so that a new table generation
  // judges open connections' names again and flow records name them (about 25 B a name).
  // A name must stay in it for up to the active timeout: flow_names_lost counts misses.
  uint32_t name_log_bytes = 1u << 22;
  // Flows, in clock units like fragment_timeout (defaults for 3 GHz). A flow quiet for
  // idle_timeout leaves the table (one holding a verdict stays: waiting cannot shed it);
  // with flow records on, a record is made then, at its end (FIN both ways, RST, a DNS
  // response: after end_linger for its last packets) and every active_timeout it lasts.
  // 0 disables a timeout. The table is swept once per sweep_period, a few slots at a time.
  uint64_t idle_timeout = 180'000'000'000ull;    // 60 s
  uint64_t active_timeout = 900'000'000'000ull;  // 300 s
  uint64_t end_linger = 6'000'000'000ull;        // 2 s
  uint64_t sweep_period = 12'000'000'000ull;     // 4 s
  // At shutdown (flush_summaries), how long to wait in all for a full flow ring to drain.
  uint64_t flush_wait = 6'000'000'000ull;        // 2 s
  // The clock's rate (TTLs of DNS answers are seconds).
  uint64_t clock_hz = 3'000'000'000ull;
  // Addresses of DNS answers kept with the name asked (128 B each), for the live binding of
  // listed names to addresses; 0: none. A table shared by all workers replaces it
  // (set_resolved_table).
  uint32_t resolved_entries = 1u << 16;
};

class Classifier {
 public:
  explicit Classifier(const ClassifierConfig& cfg);

  // Switches to another table between bursts. `view` must stay valid until the next call
  // (the worker's quiescent-state report guarantees that for published tables).
  void set_table(const table::IocTableView* view, uint64_t generation) {
    table_ = view;
    generation_ = generation;
  }
  uint64_t generation() const { return generation_; }

  // Judges frames[0..n), n <= kBurstSize. `now` is the caller's clock (TSC in workers).
  void classify_burst(const uint8_t* const* frames, const uint32_t* lens, uint32_t n,
                      uint64_t now, Verdict* verdicts);

  // Reports every flow still in the table that matched (end of a replay, shutdown), and
  // makes the record of every flow (FlowEnd::kForced) when flow records are on.
  void flush_summaries();

  // The idle/active/end sweep, a few slots per call by the clock: called by classify_burst,
  // and by the worker loop when no packet came (so quiet flows still end). O(1) per call.
  void housekeep(uint64_t now);

  DataplaneCounters& counters() { return counters_; }
  const DataplaneCounters& counters() const { return counters_; }
  EventRing& events() { return *events_; }
  // Sends events to a ring elsewhere (shared memory) instead of the classifier's own.
  void set_event_ring(EventRing* ring) { events_ = ring; }
  // Flow records on (into `ring`, the worker's slot in shared memory) or off (nullptr, the
  // default: nothing of them is counted or made per packet).
  void set_flow_ring(FlowRing* ring) { flow_ring_ = ring; }
  bool recording() const { return flow_ring_ != nullptr; }
  // Uses `t` (shared by every worker, outliving them) for DNS answers instead of its own.
  void set_resolved_table(ResolvedTable* t) { resolved_ = t; }
  const FlowTable& flows() const { return flows_; }
  const IpReassembly& fragments() const { return frags_; }

 private:
  // Why a packet that no IoC matched is still not forwarded.
  enum class Hold : uint8_t { kNone, kOutOfOrder, kUnreadable };

  struct Scratch {
    PacketMeta meta;
    FlowKey key;
    uint64_t hash;
    ParseStatus status;
    bool src_is_a;
    Hold hold;
    bool dns_response;  // a DNS response whose record (with its answers) ends the exchange
    uint32_t ip_len;    // IP bytes of the frame, for flow records
  };

  // `read_names` false: judge by addresses (and the flow's verdict) only, as for a fragment
  // whose bytes are read once its datagram is whole.
  table::Action judge(const uint8_t* frame, Scratch& s, uint64_t now, bool read_names = true);
  table::Action judge_fragment(const uint8_t* frame, Scratch& s, uint64_t now);
  // Reads names in a TCP payload; kOutOfOrder when the segment must be held back (it
  // arrived beyond a gap in a message being reassembled).
  Hold inspect_tcp(const uint8_t* frame, const PacketMeta& m, Flow& f, bool from_a);
  static size_t message_length(InspectProto proto, const uint8_t* bytes, size_t n);
  static ExtractStatus extract(InspectProto proto, const uint8_t* bytes, size_t n, char* name,
                               size_t* name_len, size_t* needed);
  // Judges a message (ClientHello, request, DNS query) held in `bytes`; true when it needs
  // more bytes to be judged.
  bool evaluate(Flow& f, const uint8_t* bytes, size_t n);
  void apply_name_match(Flow& f, uint32_t value);
  void start_message(Flow& f, const uint8_t* p, uint32_t len, uint32_t seq);
  void end_message(Flow& f);
  void abandon(Flow& f);
  // The stream cannot be read any more: counted under `reason`, then dropped or passed by
  // the unreadable policy.
  void unreadable(Flow& f, uint64_t DataplaneCounters::*reason);
  uint32_t lookup_name(const char* name, size_t len) const;
  void release_slot(Flow& f);
  // `with_name`: a name match; the event carries the name the flow saw, if still logged.
  void emit(const Flow& f, EventType type, uint64_t now, uint16_t vlan, uint8_t vlan_count, bool with_name);
  // The event carries `name` (a resolved address: the name it was resolved from).
  void emit_named(const Flow& f, EventType type, uint64_t now, uint16_t vlan, uint8_t vlan_count, const char* name,
                  size_t len);
  void remember_name(Flow& f, const char* name, size_t len);
  // The flow's last name into out (kMaxNameLen + 1 bytes); false when none or overwritten.
  bool recall_name(const Flow& f, char* out) const;
  void rejudge_name(Flow& f);
  void on_evicted(const Flow& f, bool held_verdict, uint64_t now);
  // A flow for s.key after find() missed, reporting the flow it evicts. Out of line: the
  // evicted copy (two cache lines on the stack) costs judge's hit path nothing.
  [[gnu::noinline]] Flow& create_flow(const Scratch& s, uint64_t now);

  // Flow records.
  void account(Flow& f, bool from_a, uint32_t ip_bytes, uint8_t tcp_flags, uint64_t now);
  void reopen(Flow& f, bool from_a);
  // Builds and hands over the record of `f` since its last one; `dns`: the answers of the
  // DNS response that ends it. Does not reset f (see restart_record).
  void make_record(const Flow& f, FlowEnd why, const char* dns_name, size_t dns_name_len, const DnsAnswers* dns);
  void restart_record(Flow& f);
  void record_and_restart(Flow& f, FlowEnd why) {
    make_record(f, why, nullptr, 0, nullptr);
    restart_record(f);
  }
  // The sweep's decision for one flow: end, idle, active.
  void expire(Flow& f, uint64_t now);
  void finish_dns_response(Flow& f, const uint8_t* payload, uint32_t len, uint32_t dns_match, uint64_t now);
  // Judges f's addresses by the names DNS answers bound them to; true when one decided.
  bool judge_resolved(Flow& f, uint64_t now);

  const table::IocTableView* table_ = nullptr;
  uint64_t generation_ = 0;
  FlowTable flows_;
  ReassemblyPool reasm_;
  std::unique_ptr<Flow*[]> slot_owner_;  // which flow holds each reassembly buffer
  IpReassembly frags_;
  NameLog names_;
  bool unreadable_drop_;
  uint64_t flow_hash_seed_;
  std::unique_ptr<EventRing> own_events_;
  EventRing* events_;
  FlowRing* flow_ring_ = nullptr;
  std::unique_ptr<ResolvedTable> own_resolved_;
  ResolvedTable* resolved_ = nullptr;
  // The name that bound the address of the flow being judged (valid for one packet).
  char resolved_name_[ResolvedTable::kNameBytes];
  size_t resolved_len_ = 0;
  uint64_t idle_timeout_, active_timeout_, end_linger_, flush_wait_;
  uint64_t clock_hz_;
  uint64_t sweep_cycles_per_slot_ = 0;  // 0: no sweep
  uint64_t sweep_last_ = 0;
  uint64_t sweep_cursor_ = 0;
  DataplaneCounters counters_;
  Scratch scratch_[kBurstSize];
};

}  // namespace iocgate
