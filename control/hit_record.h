// control/hit_record.h — one aggregated review record (a host's matched flows to one IoC, as
// one listing decided them) and its JSON-lines form in the review store, both schemas: the
// first (v1: no peer, name seen, role or other listings) is still read. Off the hot path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace iocgate {

// A feed that lists the IoC.
struct HitListing {
  std::string feed;
  std::string advisory;
  std::string group;
  std::string action;  // the feed's action: drop, reject, mirror, alert, allow
  uint32_t line = 0;   // the IoC's line in the feed; 0 when unknown

  bool operator==(const HitListing&) const = default;
};

// What the event collector fills per event (a delta: one flow, or one flow's summary), and
// what the store keeps merged per key(). Fields marked [v2] are empty or 0 in records of the
// first schema; a summary delta carries the same fields as its flow's first match.
struct HitRecord {
  std::string host;       // the internal end of the flow (see event_collector.h flow_parties)
  std::string ioc;        // the IoC as listed: "198.51.100.0/24", "evil.example"
  std::string kind;       // how it matched: ip, dns, sni, host
  // The listing whose action decided the flow.
  std::string feed;
  std::string advisory;
  std::string group;
  uint32_t line = 0;                // [v2] its line in the feed
  std::vector<HitListing> also;     // [v2] every other feed listing the same IoC, at most kMaxAlso
  std::string action;               // the action applied to the flow: drop, reject, mirror, alert, allow
  std::string seen;                 // [v2] name matches: the exact name in the DNS query, SNI or Host
  std::string peer;                 // [v2] the other end's address ("*": several, over kMaxVariants)
  uint16_t port = 0;                // [v2] the flow's server port (the peer's for outbound flows)
  std::string proto;                // [v2] tcp, udp, icmp, icmpv6, or the protocol number
  std::string direction;            // outbound, inbound, internal, external, unknown
  bool ioc_is_host = false;         // the host's own address is the listed IoC
  std::string role;                 // [v2] "infected": the host's own address is on a watch-list feed
  int64_t first_ms = 0;             // wall clock, ms; 0 in a summary delta (packets only)
  int64_t last_ms = 0;
  uint64_t flows = 0;
  uint64_t packets = 0;
  // 2: `role` is filled (the collector sets it with the [v2] fields), and alone says whether
  // the host is infected. 1: a record of the first schema (read from an old line, or made by
  // a collector that knows no feed roles): infected by the botnet-name rule.
  int schema = 1;

  static constexpr size_t kMaxAlso = 32;
  // Distinct (seen, peer, port, proto) kept per contact (host, IoC, kind, feed, direction)
  // in a batch or a report; the rest are merged into one peer "*".
  static constexpr size_t kMaxVariants = 8;

  // Records with equal keys merge. The contact is the key without the variant part.
  auto key() const { return std::tie(host, ioc, kind, feed, direction, action, seen, peer, port, proto); }
  auto contact_key() const { return std::tie(host, ioc, kind, feed, direction); }
  // Adds `o` (same key) into this record: times widen, counts add, listings unite.
  void merge(const HitRecord& o);
  // The record with its variant part (seen, peer, port, proto) replaced by the overflow peer.
  void fold_variant();

  // Role as the report uses it: a v1 record is "infected" when the host's own address is
  // listed by a feed named like a botnet list (the first schema's rule, kept only for them).
  bool infected() const;
  // Every listing, the deciding one first.
  std::vector<HitListing> listings() const;
  // Whether `feed` lists the IoC, in the deciding listing or another.
  bool listed_by(const std::string& feed) const;
};

using HitKey = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                          std::string, uint16_t, std::string>;
using ContactKey = std::tuple<std::string, std::string, std::string, std::string, std::string>;
inline HitKey key_of(const HitRecord& r) { return r.key(); }
inline ContactKey contact_key_of(const HitRecord& r) { return r.contact_key(); }

// The store's line (no newline), of the record's schema.
std::string encode_hit_line(const HitRecord& r);
// Reads a line of either schema. False for a torn, damaged or over-long line (the caller
// counts and skips it); never throws.
bool decode_hit_line(std::string_view line, HitRecord* out);

// The first schema's rule: a feed whose name or group contains "botnet" (any case).
bool is_botnet_feed(const std::string& feed, const std::string& group);

// How the report counts an applied action: blocked (drop, reject), alert (alert, mirror:
// the flow went through), allowed (allow), or "" for anything else.
std::string_view action_outcome(std::string_view action);

}  // namespace iocgate
