// control/ctl_client.h — iocctl's side of the control socket: connect with a timeout, one
// request and its reply under one deadline, and reading a feed file for a push safely.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/ctl_request.h"

namespace iocgate {

inline constexpr std::chrono::milliseconds kCtlConnectTimeout{5000};
// Whole-call deadlines: a push uploads up to 1 GiB, may wait behind another push, and
// returns only once every worker enforces the new table.
inline constexpr std::chrono::milliseconds kCtlPushDeadline{120000};
inline constexpr std::chrono::milliseconds kCtlReplyDeadline{30000};

// The deadline iocctl uses for this request when none is given.
std::chrono::milliseconds default_deadline(const CtlRequest& request);

// A connected stream socket, retried while the server's backlog is full, until timeout.
Result<int> connect_control_socket(const std::string& path, std::chrono::milliseconds timeout);

// Sends the request (and its content) and returns the reply object, ok or not; an error
// only when there is no reply: cannot connect, invalid option text, the deadline passed,
// the connection broke. A server that refuses the request before the content is sent still
// has its reply returned.
Result<nlohmann::json> call_control(const std::string& socket_path, const CtlRequest& request,
                                    std::string_view content, std::chrono::milliseconds deadline);

struct PushFile {
  std::string content;
  std::string source;  // the path as a label: UTF-8, control characters replaced
};

// Reads a feed file for feed.push. Only a regular file up to kMaxPushBytes: a FIFO, a device
// or a directory is refused with a message (opened O_NONBLOCK, so a FIFO cannot hang iocctl).
// Symbolic links are followed: iocctl reads with the operator's own rights.
Result<PushFile> read_push_file(const std::string& path);

}  // namespace iocgate
