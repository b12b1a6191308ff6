// tests/dataplane/dns_builder.h — test-only DNS query messages (header + one question) for the
// qname tests, fuzz seeds and frame fixtures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tests/dataplane/packet_builder.h"

namespace iocgate::test {

inline Bytes dns_header(uint16_t qdcount, uint16_t id = 0x1234) {
  Bytes m;
  put16(m, id);
  put16(m, 0x0100);  // standard query, recursion desired
  put16(m, qdcount);
  put16(m, 0);
  put16(m, 0);
  put16(m, 0);
  return m;
}

// Labels written as given (they may hold dots or NULs, to build malformed names).
inline Bytes dns_query_labels(const std::vector<std::string>& labels, uint16_t qtype = 1) {
  Bytes m = dns_header(1);
  for (const std::string& l : labels) {
    m.push_back(static_cast<uint8_t>(l.size()));
    append(m, l);
  }
  m.push_back(0);
  put16(m, qtype);
  put16(m, 1);  // IN
  return m;
}

inline Bytes dns_query(std::string_view dotted, uint16_t qtype = 1) {
  std::vector<std::string> labels;
  while (!dotted.empty()) {
    const size_t dot = dotted.find('.');
    labels.emplace_back(dotted.substr(0, dot));
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return dns_query_labels(labels, qtype);
}

}  // namespace iocgate::test
