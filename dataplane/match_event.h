// dataplane/match_event.h — what a worker reports about flows that matched an IoC, and the
// single-producer single-consumer ring that carries it to the control process. Plain data
// of fixed size, so the ring works on the heap (replay) and in shared memory (appliance);
// a full ring drops the event and counts it, never blocks the worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace iocgate {

enum class EventType : uint8_t {
  kFirstMatch = 0,  // the first packet of a flow that matched
  kSummary = 1,     // a matched flow left the flow table (evicted, or flushed at the end)
};

enum class IocSide : uint8_t { kName = 0, kClient = 1, kServer = 2 };

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
};
static_assert(sizeof(MatchEvent) == 72);

class EventRing {
 public:
  static constexpr uint32_t kSlots = 1u << 14;

  bool push(const MatchEvent& v) {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) >= kSlots) return false;
    slots_[t & (kSlots - 1)] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  bool pop(MatchEvent* v) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_acquire)) return false;
    *v = slots_[h & (kSlots - 1)];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }
  // A consumer that restarts (control process crash) resumes from the producer's position.
  void reset_consumer() { head_.store(tail_.load(std::memory_order_acquire), std::memory_order_release); }

 private:
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
  alignas(64) MatchEvent slots_[kSlots];
};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared-memory atomics must be lock-free");
static_assert(std::is_standard_layout_v<EventRing>);

}  // namespace iocgate
