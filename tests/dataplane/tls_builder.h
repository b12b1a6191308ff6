// tests/dataplane/tls_builder.h — test-only TLS ClientHello builder shaped like real clients
// (GREASE, key_share, ALPN ...), and record-layer splitting, for the SNI tests and fuzz seeds.
#pragma once

#include <string_view>
#include <vector>

#include "tests/dataplane/packet_builder.h"

namespace iocgate::test {

struct ClientHelloSpec {
  std::string_view sni = "www.example.com";  // empty: no server_name extension
  size_t key_share_len = 32;                 // X25519; 1216 for an X25519MLKEM768-like share
  size_t padding_len = 0;                    // padding extension (21) body length
  bool sni_last = false;                     // put server_name after the big extensions
};

inline Bytes tls_extension(uint16_t type, const Bytes& body) {
  Bytes e;
  put16(e, type);
  put16(e, static_cast<uint16_t>(body.size()));
  append(e, body);
  return e;
}

inline Bytes sni_extension_body(std::string_view host) {
  Bytes b;
  put16(b, static_cast<uint16_t>(host.size() + 3));
  b.push_back(0);  // host_name
  put16(b, static_cast<uint16_t>(host.size()));
  append(b, host);
  return b;
}

// The handshake message: type 1, 3-byte length, body.
inline Bytes client_hello_handshake(const ClientHelloSpec& s = {}) {
  Bytes body;
  put16(body, 0x0303);
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(0x11 * i));
  body.push_back(32);  // session id, as TLS 1.3 middlebox compatibility sends
  for (int i = 0; i < 32; ++i) body.push_back(static_cast<uint8_t>(0xa0 + i));
  const uint16_t suites[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c,
                             0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
                             0x002f, 0x0035};
  put16(body, sizeof suites);
  for (uint16_t v : suites) put16(body, v);
  body.push_back(1);
  body.push_back(0);  // null compression

  Bytes exts;
  const Bytes sni = s.sni.empty() ? Bytes{} : tls_extension(0, sni_extension_body(s.sni));
  append(exts, tls_extension(0x1a1a, {}));  // GREASE
  if (!s.sni_last) append(exts, sni);
  append(exts, tls_extension(23, {}));                                 // extended_master_secret
  append(exts, tls_extension(0xff01, {0}));                            // renegotiation_info
  append(exts, tls_extension(10, {0, 8, 0x2a, 0x2a, 0x11, 0xec, 0, 0x1d, 0, 0x17}));  // groups
  append(exts, tls_extension(11, {1, 0}));                             // ec_point_formats
  append(exts, tls_extension(35, {}));                                 // session_ticket
  append(exts, tls_extension(16, {0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'}));
  append(exts, tls_extension(5, {1, 0, 0, 0, 0}));                     // status_request
  append(exts, tls_extension(13, {0, 8, 4, 3, 8, 4, 4, 1, 5, 1}));    // signature_algorithms
  {
    Bytes ks;  // key_share: one entry of the requested size
    Bytes entry;
    put16(entry, s.key_share_len > 32 ? 0x11ec : 0x001d);
    put16(entry, static_cast<uint16_t>(s.key_share_len));
    for (size_t i = 0; i < s.key_share_len; ++i) entry.push_back(static_cast<uint8_t>(i * 7));
    put16(ks, static_cast<uint16_t>(entry.size()));
    append(ks, entry);
    append(exts, tls_extension(51, ks));
  }
  append(exts, tls_extension(45, {1, 1}));                  // psk_key_exchange_modes
  append(exts, tls_extension(43, {4, 0x03, 0x04, 0x03, 0x03}));  // supported_versions
  if (s.padding_len) append(exts, tls_extension(21, Bytes(s.padding_len, 0)));
  if (s.sni_last) append(exts, sni);
  put16(body, static_cast<uint16_t>(exts.size()));
  append(body, exts);

  Bytes hs = {1};
  put24(hs, static_cast<uint32_t>(body.size()));
  append(hs, body);
  return hs;
}

// Wraps handshake bytes in handshake records, cutting them at the given offsets.
inline Bytes tls_records(const Bytes& hs, const std::vector<size_t>& cuts = {},
                         uint16_t version = 0x0301) {
  Bytes out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(hs.size());
  for (size_t to : ends) {
    out.push_back(0x16);
    put16(out, version);
    put16(out, static_cast<uint16_t>(to - from));
    out.insert(out.end(), hs.begin() + from, hs.begin() + to);
    from = to;
  }
  return out;
}

inline Bytes client_hello(const ClientHelloSpec& s = {}) {
  return tls_records(client_hello_handshake(s));
}

}  // namespace iocgate::test
