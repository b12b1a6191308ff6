// control/flow_row.h — one flow record as the control process keeps it: wall-clock times and
// the dataplane's FlowRecord fields, and its compact byte encoding inside a history block
// (varints, addresses at their length, names and answers only when present).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shm/shm_protocol.h"

namespace iocgate {

struct FlowRow {
  int64_t first_ms = 0;     // wall clock, milliseconds since the epoch
  int64_t last_ms = 0;
  uint64_t bytes[2] = {0, 0};    // [0] client -> server, [1] server -> client
  uint32_t packets[2] = {0, 0};
  uint64_t generation = 0;
  uint32_t match = ~0u;     // table::Match value of the verdict, ~0 for none
  uint32_t answer_ttl = 0;
  uint16_t client_port = 0, server_port = 0, vlan = 0;
  uint8_t ip_version = 4, proto = 0, vlan_count = 0, end = 0, action = 0, kind = 0, tcp_flags = 0, flags = 0;
  uint8_t answer_count = 0, answer_v6 = 0;
  uint8_t client[16] = {}, server[16] = {};
  uint8_t answers[kFlowMaxAnswers][16] = {};
  // FlowRecord's name list ({kind, len, bytes}...), pointing into the record or the block
  // it was read from: valid as long as that is.
  const uint8_t* names = nullptr;
  uint16_t names_len = 0;
  uint8_t name_count = 0;
};

// From the dataplane's record; `first_ms`/`last_ms` already converted from its clock.
FlowRow flow_row_of(const FlowRecord& r, int64_t first_ms, int64_t last_ms);

// Appends the encoding of `r` to `out`; times are stored relative to `base_ms`.
void encode_flow_row(const FlowRow& r, int64_t base_ms, std::string* out);

// Reads rows back from an encoded block. A damaged block (a row running past the end, a
// field out of range) stops the reader with error() set; rows before it were complete.
class FlowRowReader {
 public:
  FlowRowReader(const uint8_t* data, size_t len, int64_t base_ms) : p_(data), end_(data + len), base_(base_ms) {}
  bool next(FlowRow* r);
  bool error() const { return error_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  int64_t base_;
  bool error_ = false;
};

// Iterates a row's names: kind (FlowNameKind) and text.
template <class Fn>
void for_each_name(const FlowRow& r, Fn&& fn) {
  size_t at = 0;
  for (uint8_t i = 0; i < r.name_count && at + 2 <= r.names_len; ++i) {
    const uint8_t kind = r.names[at], len = r.names[at + 1];
    if (at + 2 + len > r.names_len) return;
    fn(static_cast<FlowNameKind>(kind), reinterpret_cast<const char*>(r.names + at + 2), size_t{len});
    at += 2 + size_t{len};
  }
}

}  // namespace iocgate
