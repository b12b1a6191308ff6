// shm/shm_protocol.h — the one definition of everything the control process and the
// dataplane process share in memory: the control block, worker and port slots, the match
// event ABI and its ring, match kinds and the dataplane counters.
//
// Writers: every field has exactly one writer, named in its comment; readers only load.
// Fields written while the other side reads are lock-free std::atomic (address-free on
// x86-64, so valid across processes) or per-worker plain data that readers tolerate seeing
// mid-update (monotonic, aligned 64-bit counters: never torn). Any change to a size or an
// offset asserted below changes kShmProtocolVersion, so two builds that disagree on the
// layout refuse each other's control block instead of misreading it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace iocgate {

// ---- dataplane counters ------------------------------------------------------------------
// Declared once in an X-macro so names, order and count cannot drift apart. Plain uint64 per
// worker (writer: worker i, through its copy in WorkerSlot::counters); readers sum them.
#define IOCGATE_DATAPLANE_COUNTERS(X)                                              \
  X(rx_packets, "packets received")                                                \
  X(tx_packets, "packets forwarded")                                               \
  X(dropped_packets, "packets dropped by an IoC verdict")                               \
  X(rejected_packets, "packets dropped by a reject verdict (the client is answered)")   \
  X(reject_replies, "TCP resets and DNS NXDOMAIN answers sent for rejected packets")    \
  X(reject_replies_failed, "answers to rejected packets not sent (no mbuf, port full)")  \
  X(mirrored_packets, "packets forwarded and copied to the mirror port")           \
  X(alerted_packets, "packets forwarded with an alert")                            \
  X(allowed_packets, "packets that matched an allowlist entry")                    \
  X(tx_failed, "packets the output port refused (freed, not forwarded)")           \
  X(match_ip, "packets matched by a listed address or prefix")                     \
  X(match_dns, "packets matched by a DNS query name")                              \
  X(match_sni, "packets matched by TLS SNI, or in a flow blocked by it")           \
  X(match_host, "packets matched by HTTP Host, or in a flow blocked by it")        \
  X(non_ip, "frames that are not IPv4 or IPv6")                                    \
  X(truncated, "frames whose headers run past their end")                          \
  X(malformed, "frames with impossible header fields")                             \
  X(fragments, "IP fragments")                                                     \
  X(ipfrag_reassembled, "fragmented TCP/UDP datagrams reassembled and judged whole") \
  X(ipfrag_conflict, "fragmented datagrams refused: fragments overlap with other bytes or ends") \
  X(ipfrag_invalid, "fragmented datagrams refused: beyond 64 KiB, empty or misaligned fragments") \
  X(ipfrag_too_many, "fragmented datagrams refused: more fragments than the limit (64)") \
  X(ipfrag_no_room, "fragments not recorded: every reassembly context was in use")  \
  X(ipfrag_timeout, "fragmented datagrams that never completed (reclaimed after the timeout)") \
  X(flows_created, "flows created")                                                \
  X(flows_evicted, "flows evicted from a full bucket")                             \
  X(flows_evicted_verdict, "flows evicted that held a verdict: every way of the bucket did") \
  X(reasm_started, "TCP streams buffered to complete a ClientHello or request")    \
  X(reasm_out_of_order, "out-of-order segments held back (not forwarded, not an IoC drop) while a name was incomplete") \
  X(reasm_abandoned, "streams unreadable: a gap in them was never filled")          \
  X(reasm_overflow, "streams unreadable: the message outgrew the reassembly buffer") \
  X(reasm_conflict, "streams unreadable: retransmitted bytes differed from bytes already read") \
  X(reasm_pool_empty, "buffers taken back from the least recently active stream: pool full") \
  X(unreadable_dropped, "packets dropped because their stream or datagram could not be read (unreadable = drop); not IoC drops") \
  X(unreadable_passed, "streams and fragments passed unread (unreadable = pass)")  \
  X(name_rejudged, "open TLS/HTTP/DNS-over-TCP flows whose name a new table generation judged again") \
  X(name_lost, "flows whose name had left the name log when a new generation came: old verdict kept") \
  X(events_lost, "match events not recorded: the event ring was full")             \
  X(dropped_no_table, "packets dropped because no valid table is enforced (fail-closed)") \
  X(flows_expired_idle, "flows removed from the flow table after the idle timeout")   \
  X(flow_records, "flow records handed to the control process (history, IPFIX)")    \
  X(flow_records_lost, "flow records not recorded: the flow ring was full")          \
  X(flow_names_lost, "flow records whose name had left the name log before the record was made") \
  X(dns_answers_read, "DNS responses whose A/AAAA answers were read")                \
  X(resolved_bound, "addresses of DNS answers remembered for their TTL (live binding to the name)") \
  X(match_resolved, "packets matched by an address a listed name resolved to (DNS answer seen)")

struct DataplaneCounters {
#define IOCGATE_X(name, help) uint64_t name = 0;
  IOCGATE_DATAPLANE_COUNTERS(IOCGATE_X)
#undef IOCGATE_X
};

struct CounterInfo {
  const char* name;
  const char* help;
};

inline constexpr CounterInfo kDataplaneCounterInfo[] = {
#define IOCGATE_X(name, help) {#name, help},
    IOCGATE_DATAPLANE_COUNTERS(IOCGATE_X)
#undef IOCGATE_X
};
inline constexpr size_t kDataplaneCounterCount = sizeof(kDataplaneCounterInfo) / sizeof(CounterInfo);
static_assert(sizeof(DataplaneCounters) == kDataplaneCounterCount * sizeof(uint64_t));

inline const uint64_t* counter_array(const DataplaneCounters& c) {
  return reinterpret_cast<const uint64_t*>(&c);
}

// ---- match events ------------------------------------------------------------------------

// How a flow matched, for counters, events and reports.
// kResolved: the address was in a DNS answer for a listed name (dataplane/resolved_table.h),
// matched with that name's action and record; the event's name is the name that resolved.
enum class MatchKind : uint8_t { kNone = 0, kIp = 1, kDns = 2, kSni = 3, kHost = 4, kResolved = 5 };

enum class EventType : uint8_t {
  kFirstMatch = 0,  // the first packet of a flow that matched
  kSummary = 1,     // a matched flow left the flow table (evicted, or flushed at the end)
};

enum class IocSide : uint8_t { kName = 0, kClient = 1, kServer = 2 };

// What a worker reports about a flow that matched an IoC. Plain data of fixed size, so the
// ring works on the heap (replay) and in shared memory (appliance).
struct MatchEvent {
  uint64_t time;          // the worker's clock when it happened
  uint64_t generation;    // table generation `match` refers to
  uint32_t match;         // table::Match value: action and record
  uint32_t packets;       // kSummary: matched packets in the flow; kFirstMatch: 1
  uint8_t type;           // EventType
  uint8_t kind;           // MatchKind
  uint8_t ioc_side;       // IocSide: which address matched, or a name
  uint8_t ip_version;
  uint8_t proto;
  uint8_t vlan_count;
  uint16_t vlan;          // outermost VLAN id
  uint16_t client_port;   // client = the endpoint that sent the flow's first packet
  uint16_t server_port;
  uint8_t client[16];
  uint8_t server[16];
  // Name matches: the exact name seen (query name, SNI, Host), which may be a subdomain of
  // the listed one in `match`. Lower case, no trailing dot, not NUL-terminated; name_len 0
  // for address matches.
  uint8_t name_len;
  char name[255];
};
static_assert(sizeof(MatchEvent) == 328);
static_assert(offsetof(MatchEvent, match) == 16 && offsetof(MatchEvent, client) == 36);
static_assert(offsetof(MatchEvent, name_len) == 68 && offsetof(MatchEvent, name) == 69);

// Single producer (worker i writes tail_ and the slots), single consumer (the control
// process, or replay, writes head_). A full ring drops the event and the worker counts it:
// it never blocks. Neither side ever writes the other's index: a consumer that finds the
// indices inconsistent (tail - head beyond the ring) resynchronises its own head.
class EventRing {
 public:
  // 4096 × 328 B = 1.3 MiB per worker (the 16384 × 72 B of before, in events that carry names).
  static constexpr uint32_t kSlots = 1u << 12;

  // Producer.
  bool push(const MatchEvent& v) {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) >= kSlots) return false;
    slots_[t & (kSlots - 1)] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  // Consumer.
  bool pop(MatchEvent* v) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    const uint64_t t = tail_.load(std::memory_order_acquire);
    if (h == t) return false;
    if (t - h > kSlots) {  // damaged or from an older producer: skip to what is current
      head_.store(t, std::memory_order_release);
      return false;
    }
    *v = slots_[h & (kSlots - 1)];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};  // writer: consumer
  alignas(64) std::atomic<uint64_t> tail_{0};  // writer: producer
  alignas(64) MatchEvent slots_[EventRing::kSlots];
};
static_assert(std::is_standard_layout_v<EventRing>);
static_assert(sizeof(EventRing) == 128 + EventRing::kSlots * sizeof(MatchEvent));

// ---- flow records ------------------------------------------------------------------------

// Why a flow record was made: the flowEndReason values of IPFIX (RFC 7011 / IANA IE 136), so
// the exporter copies them. A record of a flow that goes on (active timeout) is followed by
// another one of the same flow.
enum class FlowEnd : uint8_t {
  kIdle = 1,      // no packet for the idle timeout
  kActive = 2,    // open longer than the active timeout (or a counter about to overflow, or
                  // a new name in the flow): the flow goes on in a next record
  kEnd = 3,       // TCP FIN both ways or RST, or the DNS response to the flow's query
  kForced = 4,    // the dataplane stopped
  kEvicted = 5,   // its flow table bucket was full ("lack of resources")
};

// What a record's names are.
enum class FlowNameKind : uint8_t { kDnsQuery = 1, kSni = 2, kHttpHost = 3 };

// FlowRecord::flags.
inline constexpr uint8_t kFlowClientKnown = 1;   // the flow's first packet was a SYN: client/server sure
inline constexpr uint8_t kFlowMatchResolved = 2; // `match` names a record of `generation`
inline constexpr uint8_t kFlowContinued = 4;     // an earlier record of this flow was made
inline constexpr uint8_t kFlowUnreadable = 8;    // its stream could not be read (unreadable policy)
inline constexpr uint8_t kFlowNameLost = 16;     // a name it saw is missing (name log overwritten)
inline constexpr uint8_t kFlowNamesCut = 32;     // more names or answers than the record holds

inline constexpr uint32_t kFlowMaxAnswers = 8;
inline constexpr uint32_t kFlowNamesBytes = 276;

// One flow (or one part of a long flow) as the dataplane saw it, handed to the control
// process for the history and IPFIX export. Plain data of fixed size, like MatchEvent.
// Client = the endpoint that sent the flow's first packet (see kFlowClientKnown).
struct FlowRecord {
  uint64_t first_seen;      // worker clock (TSC) of the record's first packet
  uint64_t last_seen;       // and of its last
  uint64_t bytes[2];        // IP bytes: [0] client -> server, [1] server -> client
  uint64_t generation;      // table generation `match` refers to
  uint32_t packets[2];      // [0] client -> server, [1] server -> client
  uint32_t match;           // table::Match value of the flow's verdict; kNoMatch (~0) if none
  uint32_t answer_ttl;      // smallest TTL of the answers (seconds)
  uint16_t client_port;
  uint16_t server_port;
  uint16_t vlan;            // outermost VLAN id of the flow's first packet
  uint8_t ip_version;
  uint8_t proto;
  uint8_t vlan_count;
  uint8_t end;              // FlowEnd
  uint8_t action;           // table::Action of the verdict (0: none)
  uint8_t kind;             // MatchKind of `match`
  uint8_t tcp_flags;        // OR of the TCP flags seen
  uint8_t flags;            // kFlow* above
  uint8_t answer_count;     // addresses in `answers`
  uint8_t answer_v6;        // bit i: answers[i] is IPv6 (else IPv4 in its first 4 bytes)
  uint8_t client[16];       // IPv4 in [0, 4)
  uint8_t server[16];
  uint8_t answers[kFlowMaxAnswers][16];  // A/AAAA addresses of the DNS answer (kDnsQuery)
  uint16_t names_len;       // bytes used in `names`
  uint8_t name_count;
  uint8_t pad;
  // name_count entries of {FlowNameKind kind, uint8 len, len bytes}: lower case, no
  // trailing dot, as the classifier read them.
  uint8_t names[kFlowNamesBytes];
};
static_assert(sizeof(FlowRecord) == 512);
static_assert(offsetof(FlowRecord, client) == 72 && offsetof(FlowRecord, answers) == 104);
static_assert(offsetof(FlowRecord, names_len) == 232 && offsetof(FlowRecord, names) == 236);
static_assert(std::is_trivially_copyable_v<FlowRecord>);

// A single-producer/single-consumer ring of plain records in shared memory, under the rules
// of EventRing: the producer writes tail_ and the slots, the consumer writes head_, a full
// ring refuses the record (the producer counts it) and never blocks, and a consumer that
// finds the indices inconsistent resynchronises its own.
template <class T, uint32_t N>
class SpscRing {
  static_assert((N & (N - 1)) == 0, "a power of two");

 public:
  static constexpr uint32_t kSlots = N;

  // Producer.
  bool push(const T& v) {
    T* slot = claim();
    if (slot == nullptr) return false;
    *slot = v;
    publish();
    return true;
  }
  // Producer, filling the slot in place: the next free slot (null when the ring is full),
  // which the consumer sees once published.
  T* claim() {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) >= kSlots) return nullptr;
    return &slots_[t & (kSlots - 1)];
  }
  void publish() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }
  // Consumer.
  bool pop(T* v) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    const uint64_t t = tail_.load(std::memory_order_acquire);
    if (h == t) return false;
    if (t - h > kSlots) {
      head_.store(t, std::memory_order_release);
      return false;
    }
    *v = slots_[h & (kSlots - 1)];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  // Positions, for accounting across restarts of either side (the history store keeps the
  // consumer position it has made durable): records [head, tail) wait in the ring.
  uint64_t head() const { return head_.load(std::memory_order_acquire); }
  uint64_t tail() const { return tail_.load(std::memory_order_acquire); }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};  // writer: consumer
  alignas(64) std::atomic<uint64_t> tail_{0};  // writer: producer
  alignas(64) T slots_[N];
};

// 8192 × 512 B = 4 MiB per worker; the control block is sparse, so slots of workers that do
// not exist cost nothing.
using FlowRing = SpscRing<FlowRecord, 1u << 13>;
static_assert(std::is_standard_layout_v<FlowRing>);
static_assert(sizeof(FlowRing) == 128 + FlowRing::kSlots * sizeof(FlowRecord));

// ---- the control block -------------------------------------------------------------------

inline constexpr uint64_t kControlBlockMagic = 0x314b4c4243'4f49ULL;  // "IOCBLK1"
inline constexpr uint32_t kMaxWorkers = 16;
inline constexpr uint32_t kMaxPorts = 4;
inline constexpr uint32_t kGenerationTally = 8;

// Packets a worker judged under one table generation: the sum over a worker's tallies and
// its older, folded-in total equals its rx count, which shows that every packet was judged
// by exactly one generation.
struct GenerationTally {
  std::atomic<uint64_t> generation;
  std::atomic<uint64_t> packets;
};

// Writer of every field: worker i (it also resets its own slot when it starts).
struct alignas(64) WorkerSlot {
  std::atomic<uint64_t> generation;     // quiescent report: table generation of its last burst
  std::atomic<uint64_t> heartbeat_tsc;  // TSC at its last loop (see ControlBlock::tsc_hz)
  std::atomic<uint64_t> loops;
  std::atomic<uint32_t> running;        // 1 between start and clean stop
  uint32_t lcore;
  GenerationTally tally[kGenerationTally];  // ring, indexed by switch count
  std::atomic<uint64_t> switches;
  std::atomic<uint64_t> tally_folded;   // packets of tallies overwritten by the ring
  alignas(64) DataplaneCounters counters;  // copied from the classifier every few loops
  EventRing events;                     // consumer (head): the control process
  FlowRing flows;                       // flow records; consumer (head): the control process
};

// Writer: the dataplane main thread, about once a second.
struct alignas(64) PortSlot {
  char name[64];
  std::atomic<uint32_t> link_up;
  std::atomic<uint32_t> link_speed_mbps;
  std::atomic<uint64_t> ipackets, opackets, ibytes, obytes, imissed, ierrors, oerrors;
};

// Why the dataplane enforces what it enforces (ControlBlock::table_source).
enum class TableSource : uint32_t {
  kNone = 0,        // nothing mapped yet (a fresh appliance: forwards, see on_no_table)
  kPublished = 1,   // the generation the control process published
  kStore = 2,       // the newest valid table of the table store at start-up
  kOlderStore = 3,  // an older table of the store: the newer ones are damaged (see the log)
  kFailClosed = 4,  // no valid table on an appliance that enforced before: drops everything
};

struct ControlBlock {
  uint64_t magic;                       // writer: the creator, last, at initialisation
  uint32_t version;                     // kShmProtocolVersion
  uint32_t size;                        // sizeof(ControlBlock)

  // Writer: the control process.
  std::atomic<uint64_t> published_generation;  // newest complete snapshot in the shm dir
  std::atomic<uint64_t> control_pid;

  // Writer: the dataplane main thread.
  std::atomic<uint64_t> active_generation;     // mapped, validated, handed to the workers
  std::atomic<uint64_t> active_checksum;       // Header::header_checksum of that table
  std::atomic<uint64_t> active_entries[3];     // its IPv4, IPv6 and domain entries
  std::atomic<uint64_t> rejected_generation;   // a snapshot that failed validation
  std::atomic<uint32_t> table_source;          // TableSource of the active table
  std::atomic<uint32_t> worker_count;
  std::atomic<uint64_t> dataplane_pid;
  std::atomic<uint64_t> dataplane_heartbeat_ns;   // CLOCK_MONOTONIC, see monotonic_ns()
  std::atomic<uint64_t> dataplane_start_unix;
  std::atomic<uint64_t> tsc_hz;
  std::atomic<uint32_t> port_count;
  uint32_t pad0;

  PortSlot ports[kMaxPorts];
  WorkerSlot workers[kMaxWorkers];
};
static_assert(std::is_standard_layout_v<ControlBlock>);
static_assert(std::atomic<uint32_t>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free);
static_assert(offsetof(ControlBlock, published_generation) == 16);
static_assert(offsetof(ControlBlock, active_generation) == 32);
static_assert(offsetof(ControlBlock, ports) % 64 == 0 && offsetof(ControlBlock, workers) % 64 == 0);
static_assert(offsetof(WorkerSlot, counters) % 64 == 0 && offsetof(WorkerSlot, events) % 64 == 0);
static_assert(offsetof(WorkerSlot, flows) % 64 == 0);
static_assert(sizeof(PortSlot) == 128);

// Derived from the layout, so that any change to a size or offset above changes it.
inline constexpr uint32_t kShmProtocolVersion = static_cast<uint32_t>(
    (sizeof(ControlBlock) * 0x9E3779B1u) ^ (sizeof(WorkerSlot) * 0x85EBCA77u) ^
    (sizeof(MatchEvent) * 0xC2B2AE3Du) ^ (kDataplaneCounterCount * 0x27D4EB2Fu) ^
    (offsetof(ControlBlock, workers) * 0x165667B1u) ^ (offsetof(WorkerSlot, events) * 0xD3A2646Cu) ^
    (EventRing::kSlots * 0xFD7046C5u) ^ (sizeof(FlowRecord) * 0x2545F491u) ^ (FlowRing::kSlots * 0x9E3779B9u) ^
    (offsetof(WorkerSlot, flows) * 0x61C88647u) ^ 4u /* hand-kept revision: bump on a change of meaning */);

// Reads the TSC (the workers' clock: cheap, invariant on x86-64, but possibly a little
// skewed between cores of a VM, so compare readings with a signed difference).
inline uint64_t read_tsc() { return __builtin_ia32_rdtsc(); }

// True when a heartbeat read from `beat` (TSC) is younger than `max_age_s` seconds.
inline bool tsc_fresh(uint64_t beat, uint64_t hz, double max_age_s) {
  const int64_t age = static_cast<int64_t>(read_tsc() - beat);
  return hz != 0 && age < static_cast<int64_t>(max_age_s * static_cast<double>(hz));
}

}  // namespace iocgate
