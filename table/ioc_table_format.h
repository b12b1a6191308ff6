// table/ioc_table_format.h — the one definition of the compiled IoC table's byte layout,
// shared by the compiler (control plane), the DPDK workers, a table file on disk and shm.
//
// A table is one contiguous, immutable, position-independent blob: a header, then sections
// addressed by byte offsets from the blob's first byte (never pointers), so the same bytes
// work mapped at any address in any process. Plain data only; every layout change bumps
// kLayoutVersion, and so does any change to a hash function (table_hash.h pins them with
// known answers). See docs/ARCHITECTURE.md "Table format" for the lookup algorithm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace iocgate::table {

inline constexpr uint64_t kMagic = 0x3142415443'4f49ULL;  // "IOCTAB1" little-endian
inline constexpr uint32_t kLayoutVersion = 3;
inline constexpr uint32_t kBlobAlign = 64;

// Actions, ordered by strength: when several entries apply, the largest value wins, so an
// allowlist entry (kAllow) beats every block. Stored in 3 bits. kReject blocks like kDrop and
// also answers the client (a TCP reset, a DNS NXDOMAIN) so it fails fast instead of waiting.
enum class Action : uint8_t { kNone = 0, kAlert = 1, kMirror = 2, kDrop = 3, kReject = 4, kAllow = 5 };

constexpr const char* action_name(Action a) {
  switch (a) {
    case Action::kNone: return "none";
    case Action::kAlert: return "alert";
    case Action::kMirror: return "mirror";
    case Action::kDrop: return "drop";
    case Action::kReject: return "reject";
    case Action::kAllow: return "allow";
  }
  return "?";
}

// A slot value, and what every lookup returns: the merged action in the top 3 bits and the
// index of the match record (provenance) below. kNoMatch is never a valid value.
inline constexpr uint32_t kActionShift = 29;
inline constexpr uint32_t kRecordMask = (1u << kActionShift) - 1;
inline constexpr uint32_t kNoMatch = 0xffffffffu;
inline constexpr uint32_t kMaxRecords = kRecordMask;  // 536M: far above any feed

constexpr uint32_t pack_value(Action a, uint32_t record) {
  return (static_cast<uint32_t>(a) << kActionShift) | (record & kRecordMask);
}

struct Section {
  uint64_t offset;  // from the blob's first byte; multiple of 8 (slots of 16 B: of 16)
  uint64_t size;    // bytes
};
static_assert(sizeof(Section) == 16);

// An open-addressing hash table with linear probing. Its slot index is reduced from a
// 32-bit hash by multiply-shift ("fastrange") so the capacity need not be a power of two:
// memory stays at count / load factor instead of doubling at the next power.
struct HashDesc {
  uint64_t offset;    // slots
  uint32_t capacity;  // slots; 0 = table absent
  uint32_t count;     // keys
};
static_assert(sizeof(HashDesc) == 16);

// IPv4 slot: key is the address masked to the table's prefix length, host byte order.
struct V4Slot {
  uint32_t key;
  uint32_t value;  // kNoMatch = empty
};
static_assert(sizeof(V4Slot) == 8);

// IPv6 slot: key is the masked address as two big-endian-loaded 64-bit halves.
struct V6Slot {
  uint64_t hi;
  uint64_t lo;
  uint32_t value;  // kNoMatch = empty
  uint32_t pad;
};
static_assert(sizeof(V6Slot) == 24);

// Domain slot: the upper 32 bits of the name's 64-bit hash (the lower bits pick the slot);
// a tag match is confirmed against the record's name, so collisions cost a compare, never
// a wrong verdict.
struct DomainSlot {
  uint32_t tag;
  uint32_t value;  // kNoMatch = empty
};
static_assert(sizeof(DomainSlot) == 8);

// Provenance of one distinct IoC key: the listing whose action decided (the strongest feed
// action among the key's listings; ties: first feed in compile order, then first line) and
// the line there. Further listings of the same key, by any feed, are in the `listings`
// section, so every feed and advisory that lists an IoC can be named.
struct MatchRecord {
  uint32_t feed;      // index into the feeds section
  uint32_t line;      // 1-based line (JSON: object index) in that feed
  uint32_t name_off;  // domains: offset of the name in the string pool; else 0
  uint8_t kind;       // 0 IPv4, 1 IPv6, 2 domain (feeds/ioc.h IocKind)
  uint8_t prefix_len; // addresses; for domains the name length is name_len
  uint8_t name_len;   // domains: bytes of the name (<= 253)
  uint8_t listings;   // how many listings this key has in all (saturates at 255)
};
static_assert(sizeof(MatchRecord) == 16);

// A listing of a key besides the one its MatchRecord names. Sorted by record, then as the
// record's own listing was chosen (strongest action first), so the listings of one record
// are contiguous and found by binary search off the hot path.
struct Listing {
  uint32_t record;
  uint32_t feed;
  uint32_t line;
};
static_assert(sizeof(Listing) == 12);

// FeedRecord::flags: the feed lists the operator's own hosts seen infected (a watch list):
// never blocked, every flow of those hosts recorded, the hosts first in the review report.
inline constexpr uint8_t kFeedInfectedHosts = 1;

// Per-feed metadata for reports: strings are offsets into the string pool (NUL-terminated).
struct FeedRecord {
  uint32_t name_off;
  uint32_t advisory_off;
  uint32_t group_off;
  uint8_t action;      // Action
  uint8_t flags;       // kFeedInfectedHosts, ...
  uint8_t pad[2];
  uint64_t ioc_count;  // entries this feed contributed (before de-duplication)
};
static_assert(sizeof(FeedRecord) == 24);

inline constexpr uint32_t kV4FilterBits = 1u << 24;  // one bit per IPv4 /24

// The IPv4 direct index, built for large IPv4 sets: the longest-prefix answer in at most two
// dependent loads, whatever the prefix lengths (the per-length hashes cost one probe per
// length present). One word per /24 (kV4DirectWords of them) holds either the answer for the
// whole /24 (a slot value, or kNoMatch) or, for a /24 that entries longer than /24 split,
// a reference tagged in the top 3 bits, which no action uses (kAllow is 5):
//   kV4DirectRuns  | i  — V4Runs group i: at most kV4RunsMax runs of equal answers, 32 bytes,
//                         so a /24 with one scattered host costs 32 B, not rte_fib's 1 KiB;
//   kV4DirectBlock | i  — 256 words, one per address, for /24s split into more runs.
inline constexpr uint32_t kV4DirectWords = 1u << 24;
inline constexpr uint32_t kV4DirectTagMask = 7u << kActionShift;
inline constexpr uint32_t kV4DirectRuns = 6u << kActionShift;
inline constexpr uint32_t kV4DirectBlock = 7u << kActionShift;  // never kNoMatch: i < kRecordMask
inline constexpr uint32_t kV4RunsMax = 6;

// Runs of one /24: run k covers last octets [start[k], start[k+1]) and answers value[k].
// start[0] is 0; unused runs have start 0xff and repeat the last run's value, so counting
// the starts <= the octet always lands on the right value.
struct V4Runs {
  uint8_t start[8];   // [kV4RunsMax..7] unused padding (0xff)
  uint32_t value[kV4RunsMax];
};
static_assert(sizeof(V4Runs) == 32);

inline constexpr size_t kInstanceNameBytes = 40;  // NUL-padded; instance names are <= 32 bytes

struct Header {
  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_size;       // sizeof(Header), checked by readers
  uint64_t total_size;        // bytes of the whole blob
  // Identity, stamped by the publisher (stamp_identity, table_hash.h) and covered by
  // header_checksum: a table of another instance, or with a patched generation, is refused.
  uint64_t generation;        // 0 in a freshly compiled table
  char instance[kInstanceNameBytes];
  uint64_t header_checksum;   // the header with this field zero: covers identity and content_checksum
  uint64_t content_checksum;  // every byte after the header: the compiled content
  int64_t compiled_unix;      // when it was compiled (wall clock seconds)

  // Counts of distinct keys, for status and reports.
  uint64_t v4_entries;
  uint64_t v6_entries;
  uint64_t domain_entries;

  // IPv4: a /24 is "touched" when any entry covers any of its addresses; it is "prefixed"
  // when an entry shorter than /32 covers it. Most benign packets stop at the first bitmap.
  Section v4_touched;          // kV4FilterBits bits, or size 0 when there are no v4 entries
  Section v4_prefixed;         // same geometry
  HashDesc v4_by_len[33];      // one table per prefix length; [32] holds hosts
  uint8_t v4_prefix_lens[33];  // lengths < 32 present, longest first
  uint8_t v4_prefix_len_count;
  uint8_t pad0[6];

  // IPv6: every (prefix, length) key sets one bit of a hashed filter; a probe of a length
  // reads the hash table only when its bit is set.
  Section v6_filter;           // filter_bits(v6_filter_log2) bits
  uint32_t v6_filter_log2;
  uint8_t v6_lens[129];        // lengths present, longest first
  uint8_t v6_len_count;
  uint8_t pad1[2];
  HashDesc v6_by_len[129];

  // Domains: one table of exact names; a lookup probes every label-boundary suffix of the
  // query name (most specific first), each first through the hashed filter.
  Section domain_filter;
  uint32_t domain_filter_log2;
  uint32_t pad2;
  HashDesc domains;

  Section records;             // MatchRecord[]
  Section listings;            // Listing[], sorted by record
  Section feeds;               // FeedRecord[]
  uint64_t feed_count;
  Section strings;             // NUL-terminated strings

  // The IPv4 direct index (see kV4DirectWords): sizes 0 when the builder left it out (small
  // sets, where the filters and per-length hashes above stay in cache); the per-length
  // hashes are always present, for exact probes, explain and the XDP program.
  Section v4_direct;           // uint32_t[kV4DirectWords]
  Section v4_runs;             // V4Runs[]
  Section v4_blocks;           // uint32_t[256][]
};
static_assert(std::is_trivially_copyable_v<Header>);
static_assert(std::is_standard_layout_v<Header>);
static_assert(offsetof(Header, magic) == 0 && offsetof(Header, layout_version) == 8);
static_assert(offsetof(Header, generation) == 24 && offsetof(Header, header_checksum) == 72);
static_assert(sizeof(Header) % 8 == 0);

}  // namespace iocgate::table
