// control/ctl_server.h — the control process's unix socket: one thread reads every client's
// bytes at once (poll, non-blocking), and complete requests wait in one queue that the
// control thread serves one at a time, so pushes stay serialised and slow clients harm no one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/ctl_protocol.h"
#include "control/ctl_request.h"

namespace iocgate {

struct CtlServerOptions {
  std::string socket_path;
  std::string socket_group;  // the socket file's group (its members may use iocctl); "" keeps root's
  mode_t socket_mode = 0660;
  // From plan_fd_budget(); a client past either cap gets an error line and is closed.
  size_t max_connections = 64;
  size_t max_connections_per_uid = 32;
  // A request must arrive whole by accept + header_deadline + content_length / min_content_rate:
  // 10 s for any header, plus 128 s for a 1 GiB push at 8 MiB/s (iocctl sends from memory
  // at hundreds of MiB/s). A client that trickles or idles is closed at its deadline.
  std::chrono::milliseconds header_deadline{10000};
  uint64_t min_content_rate = 8ULL << 20;  // bytes per second
  // A client must take its reply within this much time once it is ready.
  std::chrono::milliseconds reply_deadline{30000};
  // Content held at once (being received, queued or handled), announced lengths counted:
  // a push that would pass it is refused with "busy" instead of risking the memory.
  uint64_t max_content_in_flight = 2 * kMaxPushBytes;
  // Where the server's own messages go (socket group problems); stderr when empty.
  std::function<void(const std::string&)> log;
};

struct CtlServerStats {
  uint64_t accepted = 0;
  uint64_t requests = 0;        // complete and valid, handed to the handler
  uint64_t refused_full = 0;    // over max_connections
  uint64_t refused_uid = 0;     // over max_connections_per_uid
  uint64_t refused_busy = 0;    // over max_content_in_flight
  uint64_t malformed = 0;       // bad framing or request: answered with the error
  uint64_t timed_out = 0;       // past their request or reply deadline
};

// A complete request taken from the queue; answer it with reply(id, ...).
struct CtlPendingCall {
  uint64_t id = 0;
  CtlCall call;
};

class CtlServer {
 public:
  // Binds the socket (mode and group set before it listens, so no one connects to it in
  // between) and starts the server thread.
  static Result<std::unique_ptr<CtlServer>> start(CtlServerOptions options);
  ~CtlServer();  // stop()
  CtlServer(const CtlServer&) = delete;
  CtlServer& operator=(const CtlServer&) = delete;

  // Waits up to timeout for a complete request, runs it through dispatch_guarded(handler)
  // in the calling thread and hands the reply back. False when no request came.
  bool serve_next(const CtlHandler& handler, std::chrono::milliseconds timeout);

  // The same in two steps, for a caller that answers elsewhere.
  std::optional<CtlPendingCall> next_call(std::chrono::milliseconds timeout);
  void reply(uint64_t id, const nlohmann::json& reply);

  // Closes every connection and the socket, and removes the socket file. Idempotent.
  void stop();

  CtlServerStats stats() const;
  // The server thread went round its loop in the last 3 s (it does at least every second).
  bool responsive() const;
  const std::string& socket_path() const;

  struct State;

 private:
  explicit CtlServer(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace iocgate
