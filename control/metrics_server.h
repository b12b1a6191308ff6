// control/metrics_server.h — serves GET /metrics (Prometheus text format 0.0.4) and /healthz
// from a poll loop of its own, with every limit a hostile client could press on bounded:
// request size, connections (from the fd budget), whole-request, idle and write deadlines.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace iocgate {

struct MetricsLimits {
  size_t max_connections = 64;           // from plan_fd_budget()
  size_t max_request_bytes = 8 * 1024;   // request line and headers; no body is ever read
  // A request must be whole within this time of its first byte (of the accept for a new
  // connection); a kept-alive connection may idle idle_timeout between requests.
  std::chrono::milliseconds request_deadline{5000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds write_deadline{10000};  // for a response to be taken whole
  // Scrapes closer together than this share one rendering, so a client asking in a loop
  // costs the sending, not a snapshot each time (Prometheus scrapes every 15 s or so).
  std::chrono::milliseconds min_render_interval{250};
};

struct MetricsServerStats {
  uint64_t accepted = 0;
  uint64_t responses = 0;   // every status
  uint64_t refused = 0;     // 4xx: method, size, body, malformed
  uint64_t evicted = 0;     // idle connections closed to make room for new ones
  uint64_t timed_out = 0;
};

class MetricsServer {
 public:
  // render: the /metrics body, rendered fresh for a scrape (at most every min_render_interval).
  // health: /healthz answers 200 "ok" when it is ok (or absent), 503 with its message if not.
  explicit MetricsServer(std::function<std::string()> render, std::function<Status()> health = {},
                         MetricsLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Limits take effect at the next start().
  void set_limits(const MetricsLimits& limits);
  // "127.0.0.1:9108", "[::1]:9108", ":9108" (every IPv4 address); port 0 picks a free one
  // (tests). Binds, then serves from its own thread.
  Status start(const std::string& listen);
  void stop();

  uint16_t port() const;  // the bound port, 0 before start
  MetricsServerStats stats() const;

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace iocgate
