// tests/control/ctl_harness.cc — the control socket server and the metrics endpoint as the
// control process runs them (fd budget under RLIMIT_NOFILE 1024, one serial handler), with a
// trivial handler, so tests/integration/hostile_clients.py can be tested without DPDK.
// Usage: ctl_harness SOCKET; prints "metrics 127.0.0.1:PORT", serves until stdin closes.

#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "control/ctl_server.h"
#include "control/fd_budget.h"
#include "control/metrics_server.h"

int main(int argc, char** argv) {
  using namespace iocgate;
  using nlohmann::json;
  if (argc != 2) {
    std::fprintf(stderr, "usage: ctl_harness SOCKET\n");
    return 2;
  }
  rlimit lim{1024, 1024};
  setrlimit(RLIMIT_NOFILE, &lim);
  const FdBudget budget = plan_fd_budget();
  CtlServerOptions o;
  o.socket_path = argv[1];
  o.max_connections = budget.control_connections;
  Result<std::unique_ptr<CtlServer>> ctl = CtlServer::start(o);
  if (!ctl.ok()) {
    std::fprintf(stderr, "ctl_harness: %s\n", ctl.message().c_str());
    return 1;
  }
  MetricsLimits ml;
  ml.max_connections = budget.metrics_connections;
  MetricsServer metrics([] { return std::string("iocgate_up 1\n"); }, {}, ml);
  if (Status s = metrics.start("127.0.0.1:0"); !s.ok()) {
    std::fprintf(stderr, "ctl_harness: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("metrics 127.0.0.1:%u\n", metrics.port());
  std::fflush(stdout);
  std::fprintf(stderr, "ctl_harness: %s\n", describe(budget).c_str());
  std::atomic<bool> stop{false};
  std::thread watcher([&] {
    pollfd p{0, POLLIN, 0};
    char c;
    while (poll(&p, 1, -1) >= 0 && read(0, &c, 1) > 0) {
    }
    stop.store(true);
  });
  const CtlHandler handler = [](CtlCall& call) -> json {
    return {{"ok", true}, {"cmd", ctl_command_name(call.request)}, {"bytes", call.content.size()}};
  };
  while (!stop.load()) (*ctl)->serve_next(handler, std::chrono::milliseconds(200));
  watcher.join();
  metrics.stop();
  (*ctl)->stop();
  return 0;
}
