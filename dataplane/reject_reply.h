// dataplane/reject_reply.h — the answers of the `reject` action, built from the rejected frame:
// a TCP reset to the sender and one to the receiver, or a DNS NXDOMAIN to a client's query, so
// the client fails at once instead of retrying into a silent drop. Pure functions over byte
// spans (no DPDK, no allocation): the worker copies the result into an mbuf of its pool.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dataplane/packet_parser.h"

namespace iocgate {

// Room any reply needs: L2 with two VLAN tags, an IPv6 header, TCP, or UDP with a DNS
// question of at most 255 bytes.
inline constexpr size_t kMaxRejectReply = 18 + 40 + 20 + 12 + 260 + 32;

// A TCP RST for a rejected TCP segment (RFC 793 reset generation). to_sender: from the
// receiver back to the segment's sender (sequence taken from its ACK, or ACKing it); else
// from the sender to the receiver (at the segment's own sequence). Returns the frame length
// written to out (kMaxRejectReply bytes), 0 when none is due (the segment is itself a reset,
// a fragment, or its headers were not read).
size_t build_tcp_reset(const uint8_t* frame, const PacketMeta& m, bool to_sender, uint8_t* out);

// A DNS response with RCODE NXDOMAIN to a query over UDP: the query's id, flags (RD) and
// question echoed, no answer. 0 when the payload is not a one-question DNS query.
size_t build_dns_nxdomain(const uint8_t* frame, const PacketMeta& m, uint8_t* out);

}  // namespace iocgate
