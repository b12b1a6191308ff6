// control/ctl_protocol.h — the framing between iocctl and the control process on the unix
// socket: one JSON line, then `content_length` raw bytes (a feed's content). Replies are one
// JSON line with "ok" and either the result or "error".
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace iocgate {

// A feed pushed over the socket may be at most this large.
inline constexpr size_t kMaxPushBytes = 1ULL << 30;

bool read_message(int fd, nlohmann::json* header, std::string* payload, std::string* error);
bool write_message(int fd, const nlohmann::json& header, std::string_view payload = {});

// Connects to the control socket; -1 with *error set.
int connect_control_socket(const std::string& path, std::string* error);

}  // namespace iocgate
