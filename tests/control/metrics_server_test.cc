// The metrics endpoint against what anyone reaching its port can send: other methods,
// bodies (1 GiB), oversized or malformed requests, slow and idle connections.

#include "control/metrics_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/control/raw_client.h"

namespace iocgate {
namespace {

using std::chrono::milliseconds;
using testing::http_exchange;
using testing::read_until;
using testing::send_bytes;
using testing::tcp_connect;

class MetricsServerTest : public ::testing::Test {
 protected:
  void start(MetricsLimits limits = {}) {
    server_ = std::make_unique<MetricsServer>([this] { return "iocgate_up 1\n# render " + std::to_string(++renders_) + "\n"; },
                                              [this]() -> Status {
                                                return healthy_.load() ? ok_status() : Status::error("dataplane down");
                                              },
                                              limits);
    Status s = server_->start("127.0.0.1:0");
    ASSERT_TRUE(s.ok()) << s.message();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::string get(const std::string& path) {
    return http_exchange(port_, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  }

  std::unique_ptr<MetricsServer> server_;
  uint16_t port_ = 0;
  std::atomic<int> renders_{0};
  std::atomic<bool> healthy_{true};
};

TEST_F(MetricsServerTest, ServesMetricsHealthAndTheIndex) {
  start();
  std::string r = get("/metrics");
  EXPECT_EQ(r.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4; charset=utf-8"), std::string::npos);
  EXPECT_NE(r.find("\r\n\r\niocgate_up 1\n"), std::string::npos) << r;
  r = get("/metrics?x=1");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  r = get("/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_NE(r.find("\r\n\r\nok\n"), std::string::npos);
  healthy_.store(false);
  r = get("/healthz");
  EXPECT_EQ(r.rfind("HTTP/1.1 503", 0), 0u) << r;
  EXPECT_NE(r.find("dataplane down"), std::string::npos);
  EXPECT_EQ(get("/").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(get("/etc/passwd").rfind("HTTP/1.1 404", 0), 0u);
}

TEST_F(MetricsServerTest, HeadSendsHeadersOnly) {
  start();
  const std::string r = http_exchange(port_, "HEAD /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_EQ(r.substr(r.find("\r\n\r\n") + 4), "");
  EXPECT_NE(r.find("Content-Length: "), std::string::npos);
}

TEST_F(MetricsServerTest, KeepAliveAndPipelining) {
  start();
  const int fd = tcp_connect(port_);
  send_bytes(fd, "GET /metrics HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
  std::string r = read_until(fd, "ok\n", milliseconds(5000));
  EXPECT_NE(r.find("iocgate_up"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\n\r\nok\n"), std::string::npos) << r;
  send_bytes(fd, "GET /metrics HTTP/1.1\r\n\r\n");
  r = read_until(fd, "render", milliseconds(5000));
  EXPECT_NE(r.find("HTTP/1.1 200"), std::string::npos) << r;
  close(fd);
}

TEST_F(MetricsServerTest, RefusesWhatIsNotAPlainGet) {
  start();
  struct Case {
    std::string request;
    const char* status;
  };
  const std::vector<Case> cases = {
      {"POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "413"},
      {"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "413"},
      {"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "413"},
      {"POST /metrics HTTP/1.1\r\n\r\n", "405"},
      {"PUT /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405"},
      {"DELETE / HTTP/1.1\r\n\r\n", "405"},
      {"OPTIONS * HTTP/1.1\r\n\r\n", "405"},
      {"GET /metrics HTTP/2.0\r\n\r\n", "400"},
      {"GET /metrics\r\n\r\n", "400"},
      {"GET  /metrics HTTP/1.1\r\n\r\n", "400"},
      {"GET metrics HTTP/1.1\r\n\r\n", "400"},
      {"GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n", "400"},
      {"GET /metrics HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", "400"},
      {"\x16\x03\x01\x02\x05\x01\x07\x01\xfc\x03\x03\r\n\r\n", "400"},  // TLS to a plain port
      {"GET /" + std::string(10000, 'a') + " HTTP/1.1\r\n\r\n", "431"},
      {"GET / HTTP/1.1\r\nX: " + std::string(9000, 'a'), "431"},
  };
  for (const Case& c : cases) {
    const std::string r = http_exchange(port_, c.request);
    EXPECT_EQ(r.rfind(std::string("HTTP/1.1 ") + c.status, 0), 0u) << c.request.substr(0, 60) << " -> " << r.substr(0, 80);
    if (std::string(c.status) == "405") {
      EXPECT_NE(r.find("Allow: GET, HEAD"), std::string::npos);
    }
  }
  EXPECT_EQ(get("/metrics").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(renders_.load(), 1) << "no refused request rendered the metrics";
}

// cpp-httplib buffered this body whole (+1 GB RSS). Now no body is read at all.
TEST_F(MetricsServerTest, AOneGibPostDoesNotRaiseMemory) {
  start();
  ASSERT_TRUE(testing::reset_peak_rss()) << "cannot reset VmHWM";
  const long before = testing::status_kib("VmRSS");
  const int fd = tcp_connect(port_);
  ASSERT_GE(fd, 0);
  send_bytes(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n\r\n");
  const std::string chunk(1 << 20, 'p');
  uint64_t sent = 0;
  const auto t0 = std::chrono::steady_clock::now();
  while (sent < (1ULL << 30) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30)) {
    const ssize_t w = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (w <= 0) break;  // the server closed after its 413
    sent += static_cast<uint64_t>(w);
  }
  close(fd);
  std::this_thread::sleep_for(milliseconds(100));
  const long peak = testing::status_kib("VmHWM");
  std::printf("1 GiB POST: %llu MiB went out before the server closed; peak RSS %+ld KiB\n",
              static_cast<unsigned long long>(sent >> 20), peak - before);
  EXPECT_LT(peak - before, 64 * 1024);
  EXPECT_EQ(get("/metrics").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_GE(server_->stats().refused, 1u);
}

// 16 clients sending a request a byte at a time made /metrics unavailable under
// cpp-httplib's fixed thread pool.
TEST_F(MetricsServerTest, SlowClientsLeaveMetricsAnswering) {
  start();
  std::vector<int> slow;
  for (int i = 0; i < 16; ++i) slow.push_back(tcp_connect(port_));
  std::atomic<bool> done{false};
  std::thread t([&] {
    const std::string req = "GET /metrics HTTP/1.1\r\nHost: slow\r\n";
    for (size_t i = 0; i < req.size() && !done.load(); ++i) {
      for (int fd : slow) send_bytes(fd, req.substr(i, 1));
      std::this_thread::sleep_for(milliseconds(200));
    }
  });
  std::this_thread::sleep_for(milliseconds(500));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string r = get("/metrics");
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  done.store(true);
  t.join();
  EXPECT_EQ(r.rfind("HTTP/1.1 200", 0), 0u) << r;
  EXPECT_LE(ms, 5000);
  std::printf("/metrics answered in %lld ms beside 16 slow clients\n", static_cast<long long>(ms));
  for (int fd : slow) close(fd);
}

TEST_F(MetricsServerTest, AScrapeLoopSharesRenderings) {
  start();
  const int fd = tcp_connect(port_);
  for (int i = 0; i < 50; ++i) {
    send_bytes(fd, "GET /metrics HTTP/1.1\r\n\r\n");
    ASSERT_NE(read_until(fd, "render", milliseconds(5000)).find("200 OK"), std::string::npos);
  }
  close(fd);
  EXPECT_LE(renders_.load(), 10) << "50 scrapes in well under a second each rendered";
  std::this_thread::sleep_for(milliseconds(300));
  const int before = renders_.load();
  get("/metrics");
  EXPECT_EQ(renders_.load(), before + 1) << "a scrape after the interval renders afresh";
}

TEST_F(MetricsServerTest, SlowRequestsAreCutAtTheirDeadline) {
  MetricsLimits l;
  l.request_deadline = milliseconds(500);
  start(l);
  const int fd = tcp_connect(port_);
  send_bytes(fd, "GET /met");
  const std::string r = read_until(fd, "\r\n\r\n", milliseconds(5000));
  close(fd);
  EXPECT_EQ(r.rfind("HTTP/1.1 408", 0), 0u) << r;
  EXPECT_GE(server_->stats().timed_out, 1u);
}

TEST_F(MetricsServerTest, IdleConnectionsAreEvictedForNewOnes) {
  MetricsLimits l;
  l.max_connections = 8;
  start(l);
  std::vector<int> idle;
  for (int i = 0; i < 40; ++i) idle.push_back(tcp_connect(port_));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(get("/metrics").rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_GE(server_->stats().evicted, 32u);
  for (int fd : idle) close(fd);
}

TEST(MetricsServerListen, BadAddressesAreRefused) {
  MetricsServer s([] { return std::string(); });
  EXPECT_NE(s.start("9108").message().find("use HOST:PORT"), std::string::npos);
  EXPECT_NE(s.start("127.0.0.1:99999").message().find("bad port"), std::string::npos);
  EXPECT_NE(s.start("127.0.0.1:x").message().find("bad port"), std::string::npos);
  EXPECT_FALSE(s.start("no.such.host.invalid:9108").ok());
  Status ok6 = s.start("[::1]:0");
  if (ok6.ok()) {
    EXPECT_NE(s.port(), 0);
    s.stop();
  }
}

}  // namespace
}  // namespace iocgate
