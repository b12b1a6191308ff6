// dataplane/l7_extract.h — the shared contract of the application-layer name extractors
// (DNS qname, TLS SNI, HTTP Host). Pure functions over bytes, no allocation, bounded work.
#pragma once

#include <cstddef>
#include <cstdint>

namespace iocgate {

// Longest name an extractor writes (a DNS name is at most 253 characters).
inline constexpr size_t kMaxNameLen = 255;

enum class ExtractStatus : uint8_t {
  kFound,     // a name was written to `out` (lower-case ASCII, no trailing dot, no port)
  kNeedMore,  // the bytes so far are a valid prefix of this protocol; more stream bytes needed
  kNoName,    // this protocol, complete, but it carries no name (ClientHello without SNI)
  kNotMine,   // these bytes are not this protocol (or are malformed): stop inspecting
};

}  // namespace iocgate
