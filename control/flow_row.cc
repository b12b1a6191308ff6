// control/flow_row.cc — the row encoding of history blocks. One head byte says which optional
// parts follow; numbers are LEB128 varints (times zig-zagged, as a long flow may start before
// the block's base); addresses take 4 or 16 bytes by the version.

#include "control/flow_row.h"

#include <cstring>

namespace iocgate {

namespace {

// Head byte.
constexpr uint8_t kV6 = 1, kTcp = 2, kUdp = 4, kVlan = 8, kVerdict = 16, kNames = 32, kAnswers = 64;

void put_varint(std::string* out, uint64_t v) {
  char buf[10];
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, static_cast<size_t>(n));
}

uint64_t zigzag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t unzigzag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

FlowRow flow_row_of(const FlowRecord& r, int64_t first_ms, int64_t last_ms) {
  FlowRow w;
  w.first_ms = first_ms;
  w.last_ms = last_ms < first_ms ? first_ms : last_ms;
  w.bytes[0] = r.bytes[0];
  w.bytes[1] = r.bytes[1];
  w.packets[0] = r.packets[0];
  w.packets[1] = r.packets[1];
  w.generation = r.generation;
  w.match = r.match;
  w.answer_ttl = r.answer_ttl;
  w.client_port = r.client_port;
  w.server_port = r.server_port;
  w.vlan = r.vlan;
  w.ip_version = r.ip_version == 6 ? 6 : 4;
  w.proto = r.proto;
  w.vlan_count = r.vlan_count;
  w.end = r.end;
  w.action = r.action;
  w.kind = r.kind;
  w.tcp_flags = r.tcp_flags;
  w.flags = r.flags;
  w.answer_count = r.answer_count > kFlowMaxAnswers ? kFlowMaxAnswers : r.answer_count;
  w.answer_v6 = r.answer_v6;
  std::memcpy(w.client, r.client, 16);
  std::memcpy(w.server, r.server, 16);
  std::memcpy(w.answers, r.answers, sizeof w.answers);
  w.names = r.names;
  w.names_len = r.names_len > kFlowNamesBytes ? 0 : r.names_len;
  w.name_count = w.names_len == 0 ? 0 : r.name_count;
  return w;
}

void encode_flow_row(const FlowRow& r, int64_t base_ms, std::string* out) {
  const bool v6 = r.ip_version == 6;
  uint8_t head = v6 ? kV6 : 0;
  if (r.proto == 6) head |= kTcp;
  else if (r.proto == 17) head |= kUdp;
  if (r.vlan_count != 0) head |= kVlan;
  if (r.action != 0) head |= kVerdict;
  if (r.name_count != 0 && r.names_len != 0) head |= kNames;
  if (r.answer_count != 0) head |= kAnswers;
  out->push_back(static_cast<char>(head));
  if ((head & (kTcp | kUdp)) == 0) out->push_back(static_cast<char>(r.proto));
  put_varint(out, zigzag(r.first_ms - base_ms));
  put_varint(out, static_cast<uint64_t>(r.last_ms - r.first_ms));
  const size_t alen = v6 ? 16 : 4;
  out->append(reinterpret_cast<const char*>(r.client), alen);
  out->append(reinterpret_cast<const char*>(r.server), alen);
  put_varint(out, r.client_port);
  put_varint(out, r.server_port);
  put_varint(out, r.packets[0]);
  put_varint(out, r.packets[1]);
  put_varint(out, r.bytes[0]);
  put_varint(out, r.bytes[1]);
  out->push_back(static_cast<char>(r.tcp_flags));
  out->push_back(static_cast<char>(r.end));
  out->push_back(static_cast<char>(r.flags));
  if (head & kVlan) {
    put_varint(out, r.vlan);
    out->push_back(static_cast<char>(r.vlan_count));
  }
  if (head & kVerdict) {
    out->push_back(static_cast<char>(r.action));
    out->push_back(static_cast<char>(r.kind));
    put_varint(out, r.match);
    put_varint(out, r.generation);
  }
  if (head & kNames) {
    out->push_back(static_cast<char>(r.name_count));
    put_varint(out, r.names_len);
    out->append(reinterpret_cast<const char*>(r.names), r.names_len);
  }
  if (head & kAnswers) {
    out->push_back(static_cast<char>(r.answer_count));
    out->push_back(static_cast<char>(r.answer_v6));
    put_varint(out, r.answer_ttl);
    for (uint8_t i = 0; i < r.answer_count; ++i)
      out->append(reinterpret_cast<const char*>(r.answers[i]), (r.answer_v6 >> i) & 1 ? 16 : 4);
  }
}

bool FlowRowReader::next(FlowRow* r) {
  if (error_ || p_ >= end_) return false;
  const uint8_t* p = p_;
  auto fail = [&] {
    error_ = true;
    return false;
  };
  auto byte = [&](uint8_t* v) {
    if (p >= end_) return false;
    *v = *p++;
    return true;
  };
  auto varint = [&](uint64_t* v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end_) return false;
      const uint8_t b = *p++;
      x |= uint64_t{b & 0x7Fu} << shift;
      if ((b & 0x80) == 0) {
        *v = x;
        return true;
      }
    }
    return false;
  };
  auto bytes = [&](void* dst, size_t n) {
    if (static_cast<size_t>(end_ - p) < n) return false;
    std::memcpy(dst, p, n);
    p += n;
    return true;
  };
  uint8_t head;
  if (!byte(&head) || (head & 0x80)) return fail();
  r->ip_version = (head & kV6) ? 6 : 4;
  if (head & kTcp) r->proto = 6;
  else if (head & kUdp) r->proto = 17;
  else if (!byte(&r->proto)) return fail();
  uint64_t first, dur, v;
  if (!varint(&first) || !varint(&dur)) return fail();
  r->first_ms = base_ + unzigzag(first);
  r->last_ms = r->first_ms + static_cast<int64_t>(dur);
  const size_t alen = (head & kV6) ? 16 : 4;
  std::memset(r->client, 0, 16);
  std::memset(r->server, 0, 16);
  if (!bytes(r->client, alen) || !bytes(r->server, alen)) return fail();
  if (!varint(&v) || v > 0xFFFF) return fail();
  r->client_port = static_cast<uint16_t>(v);
  if (!varint(&v) || v > 0xFFFF) return fail();
  r->server_port = static_cast<uint16_t>(v);
  for (uint32_t& pk : r->packets) {
    if (!varint(&v) || v > 0xFFFFFFFFu) return fail();
    pk = static_cast<uint32_t>(v);
  }
  if (!varint(&r->bytes[0]) || !varint(&r->bytes[1])) return fail();
  if (!byte(&r->tcp_flags) || !byte(&r->end) || !byte(&r->flags)) return fail();
  r->vlan = 0;
  r->vlan_count = 0;
  if (head & kVlan) {
    if (!varint(&v) || v > 0x0FFF || !byte(&r->vlan_count)) return fail();
    r->vlan = static_cast<uint16_t>(v);
  }
  r->action = r->kind = 0;
  r->match = ~0u;
  r->generation = 0;
  if (head & kVerdict) {
    if (!byte(&r->action) || !byte(&r->kind) || !varint(&v) || v > 0xFFFFFFFFu || !varint(&r->generation))
      return fail();
    r->match = static_cast<uint32_t>(v);
  }
  r->names = nullptr;
  r->names_len = 0;
  r->name_count = 0;
  if (head & kNames) {
    if (!byte(&r->name_count) || !varint(&v) || v > kFlowNamesBytes || static_cast<size_t>(end_ - p) < v)
      return fail();
    r->names_len = static_cast<uint16_t>(v);
    r->names = p;
    p += v;
  }
  r->answer_count = 0;
  r->answer_v6 = 0;
  r->answer_ttl = 0;
  if (head & kAnswers) {
    if (!byte(&r->answer_count) || r->answer_count > kFlowMaxAnswers || !byte(&r->answer_v6) || !varint(&v) ||
        v > 0xFFFFFFFFu)
      return fail();
    r->answer_ttl = static_cast<uint32_t>(v);
    for (uint8_t i = 0; i < r->answer_count; ++i) {
      std::memset(r->answers[i], 0, 16);
      if (!bytes(r->answers[i], (r->answer_v6 >> i) & 1 ? 16 : 4)) return fail();
    }
  }
  p_ = p;
  return true;
}

}  // namespace iocgate
