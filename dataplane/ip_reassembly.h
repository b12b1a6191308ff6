// dataplane/ip_reassembly.h — per-worker reassembly of fragmented IPv4/IPv6 datagrams, so a
// ClientHello or request carried in fragments is read as the receiving host would read it.
// Sized at start-up (contexts × 64 KiB), no allocation, lock or syscall per fragment.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/packet_parser.h"

namespace iocgate {

// What a fragment did to its datagram. Every outcome but kHeld, kDuplicate and kComplete
// means the datagram cannot be read: the caller applies its unreadable policy.
enum class FragStatus : uint8_t {
  kHeld,       // recorded; the datagram is still incomplete
  kDuplicate,  // repeats bytes already held, byte for byte (a duplicate from the network)
  kComplete,   // this fragment completed the datagram: *out holds it until the next add()
  kConflict,   // overlaps held bytes with other bytes, or disagrees on the datagram's end
  kInvalid,    // beyond 64 KiB, empty, or a non-final fragment not a multiple of 8 bytes
  kTooMany,    // more than kMaxFragments fragments
  kNoRoom,     // every context that could hold it is in use and younger than the timeout
  kPoisoned,   // a later fragment of a datagram refused earlier for one of the reasons above
};

struct Datagram {
  const uint8_t* data;  // the fragmentable part, from offset 0
  uint32_t len;
  uint8_t next;         // protocol of data[0] (IPv4 protocol, IPv6 next header)
};

class IpReassembly {
 public:
  // The largest fragmentable part of any IPv4 or (non-jumbo) IPv6 datagram.
  static constexpr uint32_t kMaxDatagram = 65535;
  // 64 KiB in 1280-byte fragments is 54; more is an attack on the bookkeeping.
  static constexpr uint16_t kMaxFragments = 64;
  static constexpr uint32_t kWays = 4;

  // `contexts` datagrams in progress at once (rounded up to whole 4-way buckets). A context
  // is reclaimed only `timeout` clock units after its first fragment: with a timeout at
  // least the receivers' own (Linux 30 s, RFC 8200 60 s), a receiver can never complete a
  // datagram whose earlier fragments this table has forgotten.
  IpReassembly(uint32_t contexts, uint64_t timeout);
  IpReassembly(const IpReassembly&) = delete;
  IpReassembly& operator=(const IpReassembly&) = delete;

  // `m` must be a fragment with frag_ok. Records its bytes; see FragStatus.
  FragStatus add(const PacketMeta& m, const uint8_t* frame, uint64_t now, Datagram* out);

  uint32_t capacity() const { return (mask_ + 1) * kWays; }
  uint32_t in_use() const { return in_use_; }
  // Contexts reclaimed after their timeout with the datagram still incomplete.
  uint64_t timed_out() const { return timed_out_; }

 private:
  struct Key {
    uint8_t src[16];
    uint8_t dst[16];
    uint32_t id;
    uint8_t version;
    uint8_t proto;  // IPv4 only: RFC 8200 keys IPv6 datagrams by addresses and id
    uint8_t pad[2];
  };
  enum State : uint8_t { kUnused = 0, kCollecting = 1, kRefused = 2 };
  struct Context {
    Key key;
    uint64_t created;
    uint32_t total;  // length of the fragmentable part once the final fragment is seen, else 0
    uint32_t have;   // bytes held (fragments never overlap, so this is exact)
    uint32_t max_end;  // end of the furthest fragment held
    uint16_t frags;
    uint8_t state;
    uint8_t next;    // protocol of the fragment at offset 0
  };
  static constexpr uint32_t kUnits = (kMaxDatagram + 8) / 8;  // 8-byte units of a datagram
  static constexpr uint32_t kWords = (kUnits + 63) / 64;

  uint8_t* data(uint32_t c) { return data_.get() + size_t{c} * (kMaxDatagram + 1); }
  uint64_t* bits(uint32_t c) { return bits_.get() + size_t{c} * kWords; }
  FragStatus refuse(Context& c, FragStatus why);

  std::unique_ptr<Context[]> ctx_;
  std::unique_ptr<uint8_t[]> data_;
  std::unique_ptr<uint64_t[]> bits_;
  uint32_t mask_;
  uint64_t timeout_;
  uint32_t in_use_ = 0;
  uint64_t timed_out_ = 0;
};

}  // namespace iocgate
