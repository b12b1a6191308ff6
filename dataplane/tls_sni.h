// dataplane/tls_sni.h — server_name of a TLS ClientHello, read from the first bytes of the
// client's TCP stream, which may hold the handshake split across several TLS records.
// Called by the workers on reassembled stream prefixes: no allocation, bounded work.
#pragma once

#include "dataplane/l7_extract.h"

namespace iocgate {

// True when `len` >= 1 bytes could start a TLS handshake record (0x16, version 0x03 0x0?).
bool looks_like_tls_handshake(const uint8_t* stream, size_t len);

// `stream` is the client's TCP payload from its first byte. kFound writes the host_name
// SNI (lower-cased; no trailing dot). kNeedMore: the ClientHello is not complete yet;
// *needed (when non-null) receives the total stream length needed so far, if known, else 0.
// kFound is returned as soon as the server_name extension is complete, possibly before the
// rest of the hello has arrived (see tls_client_hello_complete). kNoName only for a complete
// hello. Hellos over 16 KiB, records over 16 KiB or empty, and non-handshake records before
// the hello ends are kNotMine. *needed is a lower bound when the hello continues past the
// records seen so far (it assumes the rest comes in one record).
ExtractStatus tls_client_hello_sni(const uint8_t* stream, size_t len, char* out,
                                   size_t* out_len, size_t* needed = nullptr);

// True when `stream` holds the whole ClientHello handshake message (which may span several
// TLS records): the point at which a verdict on its SNI takes effect.
bool tls_client_hello_complete(const uint8_t* stream, size_t len);

}  // namespace iocgate
