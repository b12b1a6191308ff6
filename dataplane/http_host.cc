// dataplane/http_host.cc — Host of an HTTP/1.x request from the client's stream prefix (Host
// header, CONNECT target or absolute-form URI); scans at most 8 KiB, no allocation.
#include "dataplane/http_host.h"

#include <cstring>

namespace iocgate {
namespace {

// Servers refuse larger header blocks by default (nginx 8 KiB buffer, Apache 8 KiB lines),
// so a stream still without its blank line here is not a request we need to read.
constexpr size_t kMaxHeaderBlock = 8192;

struct Method {
  const char* name;
  size_t len;
};
constexpr Method kMethods[] = {
    {"GET", 3},   {"HEAD", 4},    {"POST", 4},  {"PUT", 3},   {"DELETE", 6},
    {"OPTIONS", 7}, {"PATCH", 5}, {"CONNECT", 7}, {"TRACE", 5},
};
constexpr size_t kConnect = 7;  // index in kMethods

inline uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? c | 0x20 : c; }
inline bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }

// Lower-cases [p, p+n) into out. kNotMine for bytes no host name or address contains
// (controls, space), which a server would reject too.
ExtractStatus emit(const uint8_t* p, size_t n, char* out, size_t* out_len) {
  if (n != 0 && p[n - 1] == '.') --n;  // "example.com." is the same host
  if (n == 0 || n > kMaxNameLen) return ExtractStatus::kNotMine;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = p[i];
    if (c <= 0x20 || c == 0x7f) return ExtractStatus::kNotMine;
    out[i] = static_cast<char>(lower(c));
  }
  out[n] = '\0';
  *out_len = n;
  return ExtractStatus::kFound;
}

inline bool all_digits(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] < '0' || p[i] > '9') return false;
  return true;
}

// "host", "host:port", "[v6]" or "[v6]:port" (RFC 3986 authority without userinfo).
ExtractStatus emit_authority(const uint8_t* p, size_t n, char* out, size_t* out_len) {
  if (n == 0) return ExtractStatus::kNoName;
  if (p[0] == '[') {
    const auto* close = static_cast<const uint8_t*>(std::memchr(p, ']', n));
    if (close == nullptr) return ExtractStatus::kNotMine;
    const size_t after = static_cast<size_t>(close - p) + 1;
    if (after != n && (p[after] != ':' || !all_digits(p + after + 1, n - after - 1)))
      return ExtractStatus::kNotMine;
    return emit(p + 1, after - 2, out, out_len);
  }
  const auto* colon = static_cast<const uint8_t*>(std::memchr(p, ':', n));
  if (colon != nullptr) {
    const size_t h = static_cast<size_t>(colon - p);
    // A second colon would be an unbracketed IPv6 address, which HTTP does not allow.
    if (!all_digits(p + h + 1, n - h - 1)) return ExtractStatus::kNotMine;
    n = h;
  }
  return emit(p, n, out, out_len);
}

// "scheme://[userinfo@]authority[/?#...]" in the request target.
ExtractStatus emit_absolute_form(const uint8_t* t, size_t n, char* out, size_t* out_len) {
  size_t i = 0;
  while (i < n && ((lower(t[i]) >= 'a' && lower(t[i]) <= 'z') || t[i] == '+' || t[i] == '-' ||
                   t[i] == '.' || (i != 0 && t[i] >= '0' && t[i] <= '9')))
    ++i;
  if (i == 0 || n - i < 3 || std::memcmp(t + i, "://", 3) != 0) return ExtractStatus::kNoName;
  const uint8_t* a = t + i + 3;
  size_t an = 0;
  const size_t rest = n - i - 3;
  while (an < rest && a[an] != '/' && a[an] != '?' && a[an] != '#') ++an;
  for (size_t k = an; k > 0; --k) {
    if (a[k - 1] == '@') {
      a += k;
      an -= k;
      break;
    }
  }
  return emit_authority(a, an, out, out_len);
}

// The end of the line that starts at `p`, or nullptr when the scan window ends first.
inline const uint8_t* find_lf(const uint8_t* p, const uint8_t* limit) {
  return static_cast<const uint8_t*>(std::memchr(p, '\n', static_cast<size_t>(limit - p)));
}

}  // namespace

bool looks_like_http_request(const uint8_t* stream, size_t len) {
  if (len == 0) return false;
  for (const Method& m : kMethods) {
    const size_t n = len < m.len ? len : m.len;
    if (std::memcmp(stream, m.name, n) == 0 && (len <= m.len || stream[m.len] == ' ')) return true;
  }
  return false;
}

ExtractStatus http_request_host(const uint8_t* stream, size_t len, char* out, size_t* out_len) {
  *out_len = 0;
  if (len == 0) return ExtractStatus::kNeedMore;
  size_t method = sizeof kMethods / sizeof kMethods[0];
  for (size_t i = 0; i < sizeof kMethods / sizeof kMethods[0]; ++i) {
    const Method& m = kMethods[i];
    if (len > m.len && std::memcmp(stream, m.name, m.len) == 0 && stream[m.len] == ' ') {
      method = i;
      break;
    }
  }
  if (method == sizeof kMethods / sizeof kMethods[0])
    return looks_like_http_request(stream, len) ? ExtractStatus::kNeedMore
                                                : ExtractStatus::kNotMine;
  const ExtractStatus incomplete =
      len >= kMaxHeaderBlock ? ExtractStatus::kNotMine : ExtractStatus::kNeedMore;
  const uint8_t* const limit = stream + (len < kMaxHeaderBlock ? len : kMaxHeaderBlock);

  // Request line: METHOD SP target SP HTTP/1.x
  const uint8_t* p = stream + kMethods[method].len + 1;
  const uint8_t* lf = find_lf(p, limit);
  if (lf == nullptr) return incomplete;
  const uint8_t* eol = lf;
  while (eol > p && (eol[-1] == '\r' || is_ows(eol[-1]))) --eol;
  const uint8_t* target = p;
  while (p < eol && *p > 0x20 && *p != 0x7f) ++p;
  const size_t target_len = static_cast<size_t>(p - target);
  if (target_len == 0 || p == eol || !is_ows(*p)) return ExtractStatus::kNotMine;
  while (p < eol && is_ows(*p)) ++p;
  if (eol - p != 8 || std::memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9')
    return ExtractStatus::kNotMine;
  // CONNECT names its destination in the target; a Host header there only repeats it.
  if (method == kConnect) return emit_authority(target, target_len, out, out_len);

  // Header lines until the empty one; bare LF endings are accepted as servers do.
  p = lf + 1;
  for (;;) {
    lf = find_lf(p, limit);
    if (lf == nullptr) return incomplete;
    eol = lf;
    if (eol > p && eol[-1] == '\r') --eol;
    if (eol == p) break;  // end of the header block
    const uint8_t* colon = static_cast<const uint8_t*>(std::memchr(p, ':', eol - p));
    if (colon != nullptr && !is_ows(*p)) {  // an obs-fold continuation line names nothing
      const uint8_t* name_end = colon;
      while (name_end > p && is_ows(name_end[-1])) --name_end;
      if (name_end - p == 4 && lower(p[0]) == 'h' && lower(p[1]) == 'o' && lower(p[2]) == 's' &&
          lower(p[3]) == 't') {
        const uint8_t* v = colon + 1;
        const uint8_t* ve = eol;
        while (v < ve && is_ows(*v)) ++v;
        while (ve > v && is_ows(ve[-1])) --ve;
        // The first Host wins: a server given two rejects the request anyway. An empty
        // Host (allowed for targets without authority) falls through to the target.
        if (ve != v) return emit_authority(v, static_cast<size_t>(ve - v), out, out_len);
      }
    }
    p = lf + 1;
  }
  return emit_absolute_form(target, target_len, out, out_len);
}

}  // namespace iocgate
