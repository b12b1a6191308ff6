// dataplane/dataplane_counters.h — the per-worker counters, declared once in an X-macro so
// names, order and count cannot drift apart. Plain uint64 per worker; readers sum them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace iocgate {

#define IOCGATE_DATAPLANE_COUNTERS(X)                                              \
  X(rx_packets, "packets received")                                                \
  X(tx_packets, "packets forwarded")                                               \
  X(dropped_packets, "packets dropped by a verdict")                               \
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
  X(flows_created, "flows created")                                                \
  X(flows_evicted, "flows evicted from a full bucket")                             \
  X(reasm_started, "TCP streams buffered to complete a ClientHello or request")    \
  X(reasm_out_of_order, "out-of-order segments dropped while a name was incomplete") \
  X(reasm_abandoned, "streams no longer inspected: the gap was never filled")       \
  X(reasm_overflow, "buffered streams abandoned past the buffer size")             \
  X(reasm_pool_empty, "buffers taken from the longest-waiting stream: pool full")  \
  X(events_lost, "match events not recorded: the event ring was full")

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

}  // namespace iocgate
