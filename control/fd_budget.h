// control/fd_budget.h — splits the process's file descriptors (RLIMIT_NOFILE) between the
// control socket's and the metrics endpoint's connections, keeping a reserve for files.
#pragma once

#include <cstddef>
#include <string>

namespace iocgate {

// Descriptors kept free for everything else the control process opens: state files, the
// control block, table files, the event log, the review store.
inline constexpr size_t kFdReserve = 64;
// More connections than this serve no one better: the control socket handles one request
// at a time and Prometheus needs one connection.
inline constexpr size_t kMaxControlConnections = 256;
inline constexpr size_t kMaxMetricsConnections = 128;

struct FdBudget {
  size_t limit = 0;   // RLIMIT_NOFILE's soft limit
  size_t in_use = 0;  // open when planned
  size_t control_connections = 0;
  size_t metrics_connections = 0;
  bool tight = false;  // the limit leaves less than the maxima: say so in the log
};

// Half of what is left after in_use, the reserve and the servers' own descriptors for the
// control socket, a quarter for the metrics endpoint (each at least 4 and at most its
// maximum); the rest stays free.
FdBudget plan_fd_budget(size_t reserve = kFdReserve);

// "file descriptors: limit 1024, 23 open, 256 for iocctl connections, 128 for /metrics".
std::string describe(const FdBudget& b);

}  // namespace iocgate
