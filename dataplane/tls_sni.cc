// dataplane/tls_sni.cc — server_name of a TLS ClientHello read from the client's stream prefix,
// following the handshake across TLS records without heap copies; called per TCP segment.
#include "dataplane/tls_sni.h"

#include <cstring>

namespace iocgate {
namespace {

constexpr uint8_t kContentHandshake = 0x16;
constexpr uint8_t kHandshakeClientHello = 1;
constexpr size_t kRecordHeaderLen = 5;
constexpr size_t kHandshakeHeaderLen = 4;
// RFC 8446 §5.1: a plaintext record carries at most 2^14 bytes.
constexpr size_t kMaxRecordLen = 16384;
// A ClientHello above 16 KiB is not something a browser sends (post-quantum key shares put
// them near 2 KiB); refusing it keeps the gather buffer on the stack.
constexpr size_t kMaxHelloBody = 16384;
// 2 + 32 + 1 + 2 + 2 + 1 + 1: version, random, empty session id, one suite, one method.
constexpr size_t kMinHelloBody = 41;
// Extensions are at least 4 bytes each, so the byte bound already caps this; the explicit
// count keeps the loop bound obvious.
constexpr int kMaxExtensions = 4096;

inline uint16_t load_be16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}

inline size_t load_be24(const uint8_t* p) {
  return (static_cast<size_t>(p[0]) << 16) | (static_cast<size_t>(p[1]) << 8) | p[2];
}

inline bool record_header_ok(const uint8_t* r) {
  const size_t rlen = load_be16(r + 3);
  return r[0] == kContentHandshake && r[1] == 3 && r[2] <= 4 && rlen != 0 &&
         rlen <= kMaxRecordLen;
}

// A view of the handshake message: `total` bytes long per its header, of which the first
// `avail` are present. Running past `limit` (a length field of the message) is malformed;
// running past `avail` only means the stream has not delivered those bytes yet.
struct Hello {
  const uint8_t* p;
  size_t avail;
  size_t total;

  ExtractStatus need(size_t pos, size_t n, size_t limit) const {
    if (limit - pos < n) return ExtractStatus::kNotMine;
    if (avail - pos < n) return ExtractStatus::kNeedMore;
    return ExtractStatus::kFound;  // "ok": the bytes are there
  }
};

// The server_name extension body. kFound on a host_name, kNoName when the list holds none.
ExtractStatus read_server_name(const uint8_t* b, size_t len, char* out, size_t* out_len) {
  if (len == 0) return ExtractStatus::kNoName;
  if (len < 2 || load_be16(b) + size_t{2} != len) return ExtractStatus::kNotMine;
  size_t q = 2;
  while (q < len) {  // each entry is >= 3 bytes
    if (len - q < 3) return ExtractStatus::kNotMine;
    const uint8_t type = b[q];
    size_t n = load_be16(b + q + 1);
    if (len - q - 3 < n) return ExtractStatus::kNotMine;
    const uint8_t* name = b + q + 3;
    if (type == 0) {
      if (n != 0 && name[n - 1] == '.') --n;  // an absolute name is the same host
      if (n == 0 || n > kMaxNameLen) return ExtractStatus::kNotMine;
      for (size_t i = 0; i < n; ++i) {
        uint8_t c = name[i];
        if (c == 0) return ExtractStatus::kNotMine;
        if (c >= 'A' && c <= 'Z') c |= 0x20;
        out[i] = static_cast<char>(c);
      }
      out[n] = '\0';
      *out_len = n;
      return ExtractStatus::kFound;
    }
    q += 3 + n;
  }
  return ExtractStatus::kNoName;
}

// Walks the ClientHello up to its server_name extension. Returns as soon as that extension
// is complete, so a hello split over segments is judged without waiting for its tail.
ExtractStatus parse_client_hello(const Hello& h, char* out, size_t* out_len) {
  const uint8_t* p = h.p;
  const size_t end = h.total;
  size_t pos = kHandshakeHeaderLen;
  ExtractStatus st;
  if ((st = h.need(pos, 2 + 32 + 1, end)) != ExtractStatus::kFound) return st;
  const uint16_t version = load_be16(p + pos);
  if (version < 0x0300 || version > 0x0304) return ExtractStatus::kNotMine;
  pos += 2 + 32;
  const size_t sid = p[pos];
  if (sid > 32) return ExtractStatus::kNotMine;
  if ((st = h.need(pos, 1 + sid + 2, end)) != ExtractStatus::kFound) return st;
  pos += 1 + sid;
  const size_t suites = load_be16(p + pos);
  if (suites < 2 || (suites & 1) != 0) return ExtractStatus::kNotMine;
  if ((st = h.need(pos, 2 + suites + 1, end)) != ExtractStatus::kFound) return st;
  pos += 2 + suites;
  const size_t methods = p[pos];
  if (methods == 0) return ExtractStatus::kNotMine;
  if ((st = h.need(pos, 1 + methods, end)) != ExtractStatus::kFound) return st;
  pos += 1 + methods;
  if (pos == end) return ExtractStatus::kNoName;  // a pre-extensions (SSLv3-era) hello
  if ((st = h.need(pos, 2, end)) != ExtractStatus::kFound) return st;
  const size_t ext_end = pos + 2 + load_be16(p + pos);
  if (ext_end != end) return ExtractStatus::kNotMine;
  pos += 2;
  for (int i = 0; pos < ext_end; ++i) {
    if (i == kMaxExtensions) return ExtractStatus::kNotMine;
    if ((st = h.need(pos, 4, ext_end)) != ExtractStatus::kFound) return st;
    const uint16_t type = load_be16(p + pos);
    const size_t elen = load_be16(p + pos + 2);
    if ((st = h.need(pos, 4 + elen, ext_end)) != ExtractStatus::kFound) return st;
    if (type == 0) {
      st = read_server_name(p + pos + 4, elen, out, out_len);
      if (st != ExtractStatus::kNoName) return st;
    }
    pos += 4 + elen;
  }
  return ExtractStatus::kNoName;
}

}  // namespace

bool looks_like_tls_handshake(const uint8_t* stream, size_t len) {
  if (len == 0 || stream[0] != kContentHandshake) return false;
  if (len >= 2 && stream[1] != 3) return false;
  if (len >= 3 && stream[2] > 4) return false;
  if (len >= kRecordHeaderLen && !record_header_ok(stream)) return false;
  return true;
}

ExtractStatus tls_client_hello_sni(const uint8_t* stream, size_t len, char* out,
                                   size_t* out_len, size_t* needed) {
  *out_len = 0;
  if (needed) *needed = 0;
  if (len == 0) return ExtractStatus::kNeedMore;
  if (!looks_like_tls_handshake(stream, len)) return ExtractStatus::kNotMine;
  if (len < kRecordHeaderLen + 1) return ExtractStatus::kNeedMore;
  if (stream[5] != kHandshakeClientHello) return ExtractStatus::kNotMine;

  // Fast path: the whole hello inside the first record, as nearly every client sends it.
  const size_t rlen0 = load_be16(stream + 3);
  if (len >= kRecordHeaderLen + kHandshakeHeaderLen && rlen0 >= kHandshakeHeaderLen) {
    const size_t body = load_be24(stream + 6);
    if (body < kMinHelloBody || body > kMaxHelloBody) return ExtractStatus::kNotMine;
    const size_t total = kHandshakeHeaderLen + body;
    if (total <= rlen0) {
      const size_t have = len - kRecordHeaderLen;
      const Hello h{stream + kRecordHeaderLen, have < total ? have : total, total};
      const ExtractStatus st = parse_client_hello(h, out, out_len);
      if (st == ExtractStatus::kNeedMore && needed) *needed = kRecordHeaderLen + total;
      return st;
    }
  }

  // Record-layer fragmentation (RFC 8446 §5.1 allows a handshake message across records, and
  // censorship-evasion tools do it on purpose): gather the fragments into one stack buffer.
  uint8_t buf[kHandshakeHeaderLen + kMaxHelloBody];
  size_t got = 0;
  size_t total = 0;  // 0 until the handshake header is gathered
  size_t pos = 0;
  size_t record_end = 0;  // where the last record seen ends, by its header
  // Every record holds >= 1 byte and `got` stops at 16 KiB + 4, so this loop is bounded.
  while (total == 0 || got < total) {
    if (pos == len) break;
    if (len - pos < kRecordHeaderLen) {
      if (!looks_like_tls_handshake(stream + pos, len - pos)) return ExtractStatus::kNotMine;
      break;
    }
    // Anything but handshake records before the hello ends (an alert, application data)
    // is not a client opening a TLS session.
    if (!record_header_ok(stream + pos)) return ExtractStatus::kNotMine;
    const size_t rlen = load_be16(stream + pos + 3);
    const uint8_t* frag = stream + pos + kRecordHeaderLen;
    const size_t left = len - pos - kRecordHeaderLen;
    const size_t have = left < rlen ? left : rlen;
    size_t used = 0;
    while (used < have && (total == 0 || got < total)) {
      const size_t want = total != 0 ? total - got : kHandshakeHeaderLen - got;
      const size_t take = want < have - used ? want : have - used;
      std::memcpy(buf + got, frag + used, take);
      got += take;
      used += take;
      if (total == 0 && got == kHandshakeHeaderLen) {
        const size_t body = load_be24(buf + 1);
        if (body < kMinHelloBody || body > kMaxHelloBody) return ExtractStatus::kNotMine;
        total = kHandshakeHeaderLen + body;
      }
    }
    if (got != 0 && buf[0] != kHandshakeClientHello) return ExtractStatus::kNotMine;
    record_end = pos + kRecordHeaderLen + rlen;
    if (have < rlen) break;  // the stream ends inside this record
    pos = record_end;
  }
  if (total == 0) return ExtractStatus::kNeedMore;
  const ExtractStatus st = parse_client_hello(Hello{buf, got, total}, out, out_len);
  if (st == ExtractStatus::kNeedMore && needed) {
    // Bytes still to come inside the current record, then (at least) one more record
    // header for whatever of the hello lies beyond it. When the stream stopped at or inside
    // a record header, record_end is where that next record starts.
    const size_t in_record = record_end > len ? record_end - len : 0;
    const size_t missing = total - got;
    *needed = missing <= in_record ? len + missing
                                   : record_end + kRecordHeaderLen + (missing - in_record);
  }
  return st;
}

bool tls_client_hello_complete(const uint8_t* stream, size_t len) {
  // Counts handshake bytes across records, reading the 4-byte handshake header wherever the
  // record boundaries put it; nothing is copied. Each record holds >= 1 byte, so the walk
  // is bounded by `len`.
  uint8_t header[kHandshakeHeaderLen];
  size_t got = 0;
  size_t total = 0;  // 0 until the handshake header is known
  for (size_t pos = 0; len - pos >= kRecordHeaderLen;) {
    if (!record_header_ok(stream + pos)) return false;
    const size_t rlen = load_be16(stream + pos + 3);
    const size_t left = len - pos - kRecordHeaderLen;
    const size_t have = left < rlen ? left : rlen;
    for (size_t i = 0; i < have && got + i < kHandshakeHeaderLen; ++i)
      header[got + i] = stream[pos + kRecordHeaderLen + i];
    got += have;
    if (total == 0 && got >= kHandshakeHeaderLen)
      total = kHandshakeHeaderLen + load_be24(header + 1);
    if (total != 0 && got >= total) return true;
    if (have < rlen) return false;
    pos += kRecordHeaderLen + rlen;
  }
  return false;
}

}  // namespace iocgate
