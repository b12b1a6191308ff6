// xdp/xdp_abi.h — what the BPF program (iocgate.bpf.c) and its loader share: the word layout
// of a ruleset image, the per-CPU counters, match events, matched-flow state and settings.
//
// Plain C so both clang -target bpf and the C++ loader include it. A ruleset image is one
// BPF array of 64-bit words built from one compiled table (xdp/table_maps.cc): a header of
// RS_HEADER_WORDS words, then the table's own sections copied verbatim (bitmaps, V4Slot and
// V6Slot tables: ioc_table_format.h), then domain slots and a name pool laid out for the
// program. The program probes them with the table's own hash functions (table_hash.h), so a
// lookup answers exactly what IocTableView answers. Any change here changes
// IOCGATE_RS_MAGIC's version byte.
#ifndef IOCGATE_XDP_XDP_ABI_H_
#define IOCGATE_XDP_XDP_ABI_H_

#include <linux/types.h>

// Identifies an image and its layout revision (the top byte): 2, lines of 8 words.
#define IOCGATE_RS_MAGIC 0x0253524350494fULL

// Header words of a ruleset image. A table descriptor word is base | capacity << 32: base is
// the word offset of slot 0, capacity the slot count (0: the table is absent).
enum iocgate_rs_word {
  RS_MAGIC = 0,
  RS_GENERATION = 1,       // the table generation the image was built from (events name it)
  RS_V4_TOUCHED = 2,       // word offset of the /24 "touched" bitmap (2^18 words); 0: no IPv4
  RS_V4_PREFIXED = 3,      // word offset of the /24 "prefixed" bitmap
  RS_V4_LEN_COUNT = 4,     // prefix lengths below 32 present
  RS_V4_LENS = 5,          // 4 words: those lengths, one per byte, longest first
  RS_V4_TABLE = 9,         // 33 descriptors, [len]: V4Slot tables (1 word per slot)
  RS_V6_FILTER = 42,       // word offset of the hashed IPv6 filter bitmap
  RS_V6_FILTER_LOG2 = 43,  // its size in bits, log2
  RS_V6_LEN_COUNT = 44,
  RS_V6_LENS = 45,         // 17 words: up to 129 lengths, one per byte, longest first
  RS_V6_TABLE = 62,        // 129 descriptors, [len]: V6Slot tables (3 words per slot)
  RS_DN_FILTER = 191,      // word offset of the hashed domain filter bitmap; 0: no domains
  RS_DN_FILTER_LOG2 = 192,
  RS_DN_TABLE = 193,       // descriptor of the domain slots (2 words per slot, see below)
  RS_HEADER_WORDS = 256,
};

// The image map's element: one cache line of 8 words (word w is element w / 8, slot w % 8).
struct iocgate_rs_line {
  __u64 w[8];
};

// A domain slot is two words: the table's DomainSlot (tag | value << 32), then the name in
// the pool: word offset | length << 32. Pool names start on a word and are zero-padded to
// the next one, so the program confirms a tag hit by comparing whole words.
#define IOCGATE_NO_MATCH 0xffffffffu
#define IOCGATE_ACTION_SHIFT 29
#define IOCGATE_MAX_NAME 253

// XA_REJECT drops here without answering the client: XDP builds no TCP reset or NXDOMAIN.
enum iocgate_action { XA_NONE = 0, XA_ALERT = 1, XA_MIRROR = 2, XA_DROP = 3, XA_REJECT = 4, XA_ALLOW = 5 };

// Per-CPU counters, summed by the loader into the control block's DataplaneCounters.
#define IOCGATE_XDP_COUNTERS(X)                                                      \
  X(rx_packets, "frames the program judged")                                         \
  X(passed, "frames passed on (XDP_PASS)")                                           \
  X(dropped, "frames dropped (XDP_DROP), by a verdict or fail-closed")               \
  X(alerted, "frames passed with an alert (alert-listed)")                           \
  X(mirrored, "frames of mirror-listed IoCs, passed with an alert: XDP does not copy") \
  X(allowed, "frames that matched an allowlist entry")                               \
  X(match_v4, "frames decided by a listed IPv4 address or prefix")                   \
  X(match_v6, "frames decided by a listed IPv6 address or prefix")                   \
  X(match_dns, "frames decided by a DNS question name (UDP port 53)")                \
  X(non_ip, "frames that are not IPv4 or IPv6")                                      \
  X(truncated, "frames whose headers run past their end")                            \
  X(malformed, "frames with impossible header fields")                               \
  X(fragments, "IP fragments")                                                       \
  X(flows_created, "matched flows entered in the flow map")                          \
  X(events_lost, "match events lost: the ring buffer was full")                      \
  X(dropped_no_table, "frames dropped because no table is installed (fail-closed)")  \
  X(marked, "passed frames that carry an alert mark in their XDP metadata")          \
  X(rejected, "frames of reject-listed IoCs dropped (in `dropped`); XDP does not answer")

struct iocgate_xdp_counters {
#define IOCGATE_X(name, help) __u64 name;
  IOCGATE_XDP_COUNTERS(IOCGATE_X)
#undef IOCGATE_X
};

// One match event, byte for byte the head of the control block's MatchEvent (shm/shm_protocol.h;
// the loader asserts it) except `time`, which is bpf_ktime_get_coarse_ns (CLOCK_MONOTONIC at
// jiffy resolution) here. The exact name seen is not carried (name_len 0 in the MatchEvent):
// 255 more bytes per event through the ring buffer for DNS matches only.
struct iocgate_xdp_event {
  __u64 time;
  __u64 generation;
  __u32 match;
  __u32 packets;
  __u8 type;        // 0 first match, 1 summary
  __u8 kind;        // 1 ip, 2 dns (MatchKind)
  __u8 ioc_side;    // 0 name, 1 client, 2 server (IocSide)
  __u8 ip_version;
  __u8 proto;
  __u8 vlan_count;
  __u16 vlan;
  __u16 client_port;
  __u16 server_port;
  __u8 client[16];
  __u8 server[16];
};

// A matched flow (LRU hash): its endpoints sorted so both directions meet in one entry.
// Only frames that matched an IoC touch it: benign traffic costs no flow state.
struct iocgate_flow_key {
  __u8 a[16];
  __u8 b[16];
  __u16 port_a;
  __u16 port_b;
  __u8 ip_version;
  __u8 proto;
  __u8 pad[2];
};

struct iocgate_flow_state {
  __u64 generation;    // of the match reported last
  __u64 first_ns;
  __u64 last_ns;
  __u32 match;         // the value reported last
  __u32 packets;       // matched frames (atomic add)
  __u32 action;        // strongest action reported (cmpxchg: one event per upgrade)
  __u8 kind;
  __u8 ioc_side;
  __u8 client_is_a;
  __u8 vlan_count;
  __u16 vlan;
  __u16 pad;
};

// Written by the loader, read by the programs.
struct iocgate_xdp_settings {
  __u32 fail_closed;   // no ruleset installed: 1 drops every frame, 0 passes them
  __u32 alert_mark;    // skb mark for alert-listed frames (tc program); 0: none
  __u32 mirror_mark;   // skb mark for mirror-listed frames; 0: none
  __u32 pad;
};

// The 4 bytes the XDP program puts in front of a marked frame (XDP metadata), read by the
// tc program: magic in the upper half, the action below.
#define IOCGATE_META_MAGIC 0x10c6u

#endif  // IOCGATE_XDP_XDP_ABI_H_
