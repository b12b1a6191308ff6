// control/fd_budget.cc — reads RLIMIT_NOFILE and /proc/self/fd once, at start-up.

#include "control/fd_budget.h"

#include <dirent.h>
#include <sys/resource.h>

#include <algorithm>

namespace iocgate {

namespace {

size_t open_fds() {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 32;  // no /proc: a guess that errs on the side of caution
  size_t n = 0;
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n > 0 ? n - 1 : 0;  // not the directory's own descriptor
}

// Each server's listening socket and wake-up descriptor, and one for a connection being
// refused while the server is full.
constexpr size_t kServerOwnFds = 3;

}  // namespace

FdBudget plan_fd_budget(size_t reserve) {
  FdBudget b;
  rlimit rl{};
  b.limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY ? static_cast<size_t>(rl.rlim_cur)
                                                                               : size_t{1} << 20;
  b.in_use = open_fds();
  const size_t fixed = b.in_use + reserve + 2 * kServerOwnFds;
  const size_t left = b.limit > fixed ? b.limit - fixed : 0;
  b.control_connections = std::clamp<size_t>(left / 2, 4, kMaxControlConnections);
  b.metrics_connections = std::clamp<size_t>(left / 4, 4, kMaxMetricsConnections);
  b.tight = b.control_connections < kMaxControlConnections || b.metrics_connections < kMaxMetricsConnections;
  return b;
}

std::string describe(const FdBudget& b) {
  return "file descriptors: limit " + std::to_string(b.limit) + ", " + std::to_string(b.in_use) + " open, " +
         std::to_string(b.control_connections) + " for iocctl connections, " + std::to_string(b.metrics_connections) +
         " for /metrics" + (b.tight ? " (raise LimitNOFILE for the full allowance)" : "");
}

}  // namespace iocgate
