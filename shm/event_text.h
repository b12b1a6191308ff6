// shm/event_text.h — how the fields of a MatchEvent read to a person: match kinds and
// addresses. Used by the control process and replay when they turn events into reports.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>

#include "shm/shm_protocol.h"

namespace iocgate {

constexpr const char* match_kind_name(uint8_t kind) {
  switch (static_cast<MatchKind>(kind)) {
    case MatchKind::kIp: return "ip";
    case MatchKind::kDns: return "dns";
    case MatchKind::kSni: return "sni";
    case MatchKind::kHost: return "host";
    case MatchKind::kResolved: return "resolved";
    case MatchKind::kNone: break;
  }
  return "?";
}

inline std::string format_address(uint8_t ip_version, const uint8_t* addr) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(ip_version == 4 ? AF_INET : AF_INET6, addr, buf, sizeof(buf));
  return buf;
}

}  // namespace iocgate
