// dataplane/match_event.h — what a worker reports about flows that matched an IoC, and the
// single-producer single-consumer ring that carries it to the control side. Fixed size,
// no allocation after start-up; a full ring drops the event and counts it, never blocks.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <memory>

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

template <class T>
class SpscRing {
 public:
  explicit SpscRing(uint32_t capacity)
      : mask_(std::bit_ceil(std::max<uint32_t>(capacity, 2)) - 1), slots_(new T[mask_ + 1]) {}

  bool push(const T& v) {
    const uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_.load(std::memory_order_acquire) > mask_) return false;
    slots_[t & mask_] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  bool pop(T* v) {
    const uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_acquire)) return false;
    *v = slots_[h & mask_];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

 private:
  const uint64_t mask_;
  std::unique_ptr<T[]> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};
  alignas(64) std::atomic<uint64_t> tail_{0};
};

using EventRing = SpscRing<MatchEvent>;

}  // namespace iocgate
