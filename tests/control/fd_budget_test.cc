// The fd budget under RLIMIT_NOFILE 1024: 1,100 idle connections to the metrics port used
// to take every descriptor, so `feed push` failed and `status` lost the control block. With
// both servers capped from the budget, the control socket still answers and files open.
// Its own executable: it lowers the limit of the whole process.

#include "control/fd_budget.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "control/ctl_client.h"
#include "control/ctl_server.h"
#include "control/metrics_server.h"
#include "tests/control/raw_client.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

TEST(FdBudget, SplitsTheLimitAndKeepsTheReserve) {
  const FdBudget b = plan_fd_budget();
  EXPECT_GT(b.limit, 0u);
  EXPECT_GE(b.control_connections, 4u);
  EXPECT_GE(b.metrics_connections, 4u);
  EXPECT_LE(b.control_connections, kMaxControlConnections);
  EXPECT_LE(b.metrics_connections, kMaxMetricsConnections);
  if (b.limit >= 1024) {
    EXPECT_LE(b.in_use + kFdReserve + b.control_connections + b.metrics_connections + 6, b.limit);
  }
  EXPECT_NE(describe(b).find("for /metrics"), std::string::npos);
}

// Opens n TCP connections to 127.0.0.1:port without waiting on any one; returns how many
// completed within the timeout. Runs in a child process with its own, higher, limit.
int open_idle_connections(uint16_t port, int n, std::vector<int>* fds) {
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    fds->push_back(fd);
  }
  int connected = 0;
  std::vector<pollfd> p;
  for (int fd : *fds) p.push_back({fd, POLLOUT, 0});
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    poll(p.data(), p.size(), 100);
    connected = 0;
    for (auto& x : p) connected += (x.revents & POLLOUT) != 0;
    if (connected == n) break;
  }
  return connected;
}

TEST(FdBudget, IdleMetricsConnectionsDoNotStarveTheControlSocket) {
  int to_child[2], from_child[2];
  ASSERT_EQ(pipe(to_child), 0);
  ASSERT_EQ(pipe(from_child), 0);
  // The clients live in a child forked before any thread starts here, with a limit of its own.
  const pid_t pid = fork();
  if (pid == 0) {
    close(to_child[1]);
    close(from_child[0]);
    rlimit big{4096, 4096};
    setrlimit(RLIMIT_NOFILE, &big);
    uint16_t port = 0;
    if (read(to_child[0], &port, sizeof(port)) != sizeof(port)) _exit(2);
    std::vector<int> fds;
    const int connected = open_idle_connections(port, 1100, &fds);
    if (write(from_child[1], &connected, sizeof(connected)) != sizeof(connected)) _exit(3);
    char c;
    [[maybe_unused]] const ssize_t r = read(to_child[0], &c, 1);  // until the parent is done
    _exit(0);
  }
  close(to_child[0]);
  close(from_child[1]);

  rlimit lim{1024, 1024};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
  const FdBudget budget = plan_fd_budget();
  std::printf("%s\n", describe(budget).c_str());

  testing::TempDir dir;
  CtlServerOptions o;
  o.socket_path = dir.path() + "/ctl.sock";
  o.max_connections = budget.control_connections;
  o.log = [](const std::string&) {};
  Result<std::unique_ptr<CtlServer>> ctl = CtlServer::start(o);
  ASSERT_TRUE(ctl.ok()) << ctl.message();
  std::atomic<bool> stop{false};
  std::thread handler([&] {
    while (!stop.load())
      (*ctl)->serve_next([](CtlCall&) -> json { return {{"ok", true}, {"dataplane", "running"}}; }, milliseconds(100));
  });
  MetricsLimits ml;
  ml.max_connections = budget.metrics_connections;
  MetricsServer metrics([] { return std::string("iocgate_up 1\n"); }, {}, ml);
  ASSERT_TRUE(metrics.start("127.0.0.1:0").ok());
  const uint16_t port = metrics.port();
  ASSERT_EQ(write(to_child[1], &port, sizeof(port)), static_cast<ssize_t>(sizeof(port)));
  int connected = 0;
  ASSERT_EQ(read(from_child[0], &connected, sizeof(connected)), static_cast<ssize_t>(sizeof(connected)));
  std::this_thread::sleep_for(milliseconds(500));  // the server accepts and evicts them all

  size_t open_now = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) (void)e, ++open_now;
  const auto t0 = std::chrono::steady_clock::now();
  Result<json> r = call_control(o.socket_path, CtlRequest{StatusRequest{}}, "", milliseconds(5000));
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  // What `feed push` and `status` need: state files and the control block still open.
  std::vector<int> files;
  for (size_t i = 0; i < kFdReserve / 2; ++i) files.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const bool files_ok = std::all_of(files.begin(), files.end(), [](int fd) { return fd >= 0; });
  for (int fd : files)
    if (fd >= 0) close(fd);
  const std::string scrape =
      testing::http_exchange(port, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", milliseconds(5000));
  std::printf("%d idle metrics connections held by a client; %zu fds open here; status answered in %lld ms; "
              "%llu evicted\n",
              connected, open_now, static_cast<long long>(ms),
              static_cast<unsigned long long>(metrics.stats().evicted));

  close(to_child[1]);
  int status = 0;
  waitpid(pid, &status, 0);
  stop.store(true);
  handler.join();
  metrics.stop();
  (*ctl)->stop();

  EXPECT_GE(connected, 1000) << "the client could not make the flood";
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->value("ok", false), true);
  EXPECT_LE(ms, 1000);
  EXPECT_TRUE(files_ok) << "the reserve was eaten";
  EXPECT_LE(open_now + kFdReserve, 1024u);
  EXPECT_EQ(scrape.rfind("HTTP/1.1 200", 0), 0u) << "eviction keeps /metrics reachable too";
}

}  // namespace
}  // namespace iocgate
