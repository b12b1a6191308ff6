// dataplane/http_host.h — the Host of an HTTP/1.x request, read from the first bytes of the
// client's TCP stream. Called by the workers: no allocation, bounded work.
#pragma once

#include "dataplane/l7_extract.h"

namespace iocgate {

// True when the stream starts like an HTTP/1.x request method ("GET ", "POST ", ...), or is a
// prefix of one.
bool looks_like_http_request(const uint8_t* stream, size_t len);

// kFound writes the Host header value (header name case-insensitive), lower-cased, port
// stripped, brackets removed from an IPv6 literal. Falls back to an absolute-form request
// target ("GET http://host/ HTTP/1.1") when there is no Host header. kNeedMore while the
// header block (up to "\r\n\r\n") is incomplete.
// A complete Host line is kFound at once, before the block ends; the absolute-form fallback
// (and kNoName) needs the whole block. CONNECT reports its authority-form target. Bare LF line
// ends are accepted. A block with no end within 8 KiB is kNotMine, as is a request line not
// ending in HTTP/1.x or a Host value with spaces, controls or a non-numeric port.
ExtractStatus http_request_host(const uint8_t* stream, size_t len, char* out, size_t* out_len);

}  // namespace iocgate
