// The control socket server against hostile and broken clients: malformed and mistyped
// requests, idle, trickling and numerous connections, other users, slow readers, and
// handlers that throw. Bounds are generous: each bad behaviour it guards against costs
// seconds to minutes, the bounds are a second or more.

#include "control/ctl_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <thread>

#include "control/ctl_client.h"
#include "control/utf8_text.h"
#include "tests/control/raw_client.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using testing::read_until;
using testing::send_bytes;
using testing::unix_connect;
using testing::unix_exchange;

json test_handler(CtlCall& call) {
  return std::visit(
      [&](const auto& r) -> json {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, StatusRequest>) {
          return {{"ok", true}, {"uid", call.peer.uid}, {"pid", call.peer.pid}};
        } else if constexpr (std::is_same_v<T, FeedPushRequest>) {
          return {{"ok", true}, {"name", r.name}, {"bytes", call.content.size()},
                  {"sum", std::accumulate(call.content.begin(), call.content.end(), uint64_t{0},
                                          [](uint64_t a, char c) { return a + static_cast<unsigned char>(c); })}};
        } else if constexpr (std::is_same_v<T, FeedListRequest>) {
          throw std::runtime_error("a handler bug");
        } else if constexpr (std::is_same_v<T, StatsRequest>) {
          throw 7;
        } else if constexpr (std::is_same_v<T, FeedShowRequest>) {
          if (r.name == "big") return {{"ok", true}, {"blob", std::string(8 << 20, 'b')}};
          return {{"ok", true}, {"label", std::string("Latin-1 comment: caf\xE9")}};
        } else if constexpr (std::is_same_v<T, ReportRequest>) {
          std::this_thread::sleep_for(milliseconds(r.since_seconds));  // stands for a long push
          return {{"ok", true}};
        } else {
          return {{"ok", false}, {"error", "not in this test"}};
        }
      },
      call.request.body);
}

class CtlServerTest : public ::testing::Test {
 protected:
  void start(CtlServerOptions o = {}) {
    chmod(dir_.path().c_str(), 0755);  // other users' clients reach the socket
    o.socket_path = dir_.path() + "/ctl.sock";
    o.socket_mode = 0666;
    o.log = [](const std::string&) {};
    Result<std::unique_ptr<CtlServer>> s = CtlServer::start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.message();
    server_ = std::move(*s);
    handler_ = std::thread([this] {
      while (!stop_.load()) server_->serve_next(test_handler, milliseconds(100));
    });
  }
  void TearDown() override {
    stop_.store(true);
    if (handler_.joinable()) handler_.join();
    if (server_) server_->stop();
  }
  const std::string& path() const { return server_->socket_path(); }
  json exchange(std::string_view bytes, milliseconds timeout = milliseconds(5000)) {
    const std::string r = unix_exchange(path(), bytes, timeout);
    json j = json::parse(r, nullptr, false);
    return j.is_discarded() ? json{{"raw", to_valid_utf8(r)}} : j;
  }

  testing::TempDir dir_;
  std::unique_ptr<CtlServer> server_;
  std::thread handler_;
  std::atomic<bool> stop_{false};
};

struct Malformed {
  std::string bytes;
  std::string expect;  // in the error
};

std::vector<Malformed> malformed_requests() {
  const std::string push = R"({"cmd":"feed.push","name":"x",)";
  std::string deep = R"({"cmd":"status","x":)";
  for (int i = 0; i < 5000; ++i) deep += '[';
  for (int i = 0; i < 5000; ++i) deep += ']';
  deep += "}\n";
  std::string many_force = push + R"("force":[)";
  for (int i = 0; i < 5000; ++i) many_force += (i ? ",\"a\"" : "\"a\"");
  many_force += "]}\n";
  return {
      {R"({"cmd":1})" "\n", "\"cmd\": expected a string, got a number"},
      {R"({"cmd":null})" "\n", "\"cmd\": expected a string, got null"},
      {R"({"cmd":["status"]})" "\n", "\"cmd\": expected a string, got an array"},
      {R"({"cmd":{"a":1}})" "\n", "\"cmd\": expected a string, got an object"},
      {R"({"cmd":true})" "\n", "\"cmd\": expected a string, got a boolean"},
      {R"({"cmd":1.5})" "\n", "\"cmd\": expected a string, got a fractional number"},
      {"{}\n", "\"cmd\": missing"},
      {R"({"cmd":"nope"})" "\n", "\"cmd\": unknown command 'nope'"},
      {R"({"cmd":"FEED.PUSH"})" "\n", "\"cmd\": unknown command"},
      {R"({"cmd":"status","cmd":5})" "\n", "\"cmd\": expected a string"},
      {R"({"cmd":"feed.push","name":123})" "\n", "\"name\": expected a string, got a number"},
      {R"({"cmd":"feed.push"})" "\n", "\"name\": missing"},
      {push + R"("action":5})" "\n", "\"action\": expected a string, got a number"},
      {push + R"("advisory":[]})" "\n", "\"advisory\": expected a string, got an array"},
      {push + R"("group":{}})" "\n", "\"group\": expected a string, got an object"},
      {push + R"("expires":20261231})" "\n", "\"expires\": expected a string, got a number"},
      {push + R"("source":false})" "\n", "\"source\": expected a string, got a boolean"},
      {push + R"("format":1.5})" "\n", "\"format\": expected a string, got a fractional number"},
      {push + R"("force":"1.2.3.4"})" "\n", "\"force\": expected a list of strings, got a string"},
      {push + R"("force":[1]})" "\n", "\"force\": entry 0: expected a string, got a number"},
      {push + R"("force":["ok",null]})" "\n", "\"force\": entry 1: expected a string, got null"},
      {push + R"("force":["\u0007"]})" "\n", "\"force\": entry 0: contains a control character (0x07"},
      {many_force, "\"force\": 5000 entries, over the limit of 4096"},
      {push + R"("confirm":"yes"})" "\n", "\"confirm\": expected true or false, got a string"},
      {push + R"("confirm":1})" "\n", "\"confirm\": expected true or false, got a number"},
      {push + R"("content_length":"12"})" "\n", "\"content_length\": expected a whole number of bytes, got a string"},
      {push + R"("content_length":-1})" "\n", "\"content_length\": must not be negative"},
      {push + R"("content_length":1.5})" "\n", "\"content_length\": expected a whole number of bytes, got a fractional"},
      {push + R"("content_length":1e300})" "\n", "\"content_length\": expected a whole number of bytes"},
      {push + R"("content_length":true})" "\n", "\"content_length\": expected a whole number of bytes, got a boolean"},
      {push + R"("content_length":null})" "\n", "\"content_length\": expected a whole number of bytes, got null"},
      {push + R"("content_length":2000000000})" "\n", "\"content_length\": content of 2000000000 bytes is over the 1 GiB"},
      {push + R"("content_length":18446744073709551615})" "\n", "\"content_length\": content of 18446744073709551615"},
      {R"({"cmd":"status","content_length":5})" "\n", "\"content_length\": only feed.push carries content"},
      {push + R"("no_such_flag":true})" "\n", "unknown field \"no_such_flag\" for feed.push"},
      {R"({"cmd":"status","verbose":true})" "\n", "unknown field \"verbose\" for status"},
      {R"({"cmd":"feed.list","name":"x"})" "\n", "unknown field \"name\" for feed.list (it takes none)"},
      {deep, "unknown field \"x\" for status"},
      {push + R"("name2":1})" "\n", "unknown field \"name2\""},
      {R"({"cmd":"feed.show"})" "\n", "\"name\": missing"},
      {R"({"cmd":"feed.show","name":[]})" "\n", "\"name\": expected a string, got an array"},
      {R"({"cmd":"feed.remove","name":{}})" "\n", "\"name\": expected a string, got an object"},
      {R"({"cmd":"feed.remove","name":7})" "\n", "\"name\": expected a string, got a number"},
      {R"({"cmd":"report","since_seconds":"24h"})" "\n", "\"since_seconds\": expected a number, got a string"},
      {R"({"cmd":"report","since_seconds":-5})" "\n", "\"since_seconds\": must not be negative"},
      {R"({"cmd":"report","since_seconds":1.5})" "\n", "\"since_seconds\": expected a whole number"},
      {R"({"cmd":"report","since_seconds":9223372036854775807})" "\n", "\"since_seconds\": 9223372036854775807 is over the limit"},
      {R"({"cmd":"report","since_seconds":18446744073709551615})" "\n", "\"since_seconds\": 18446744073709551615 is over"},
      {R"({"cmd":"report","feed":7})" "\n", "\"feed\": expected a string, got a number"},
      {R"({"cmd":"feed.push","name":")" + std::string(300, 'a') + "\"}\n", "\"name\": 300 bytes, over the limit of 256"},
      {push + R"("expires":")" + std::string(100, '9') + "\"}\n", "\"expires\": 100 bytes, over the limit of 64"},
      {push + R"("advisory":"\u0001"})" "\n", "\"advisory\": contains a control character (0x01"},
      {push + R"("group":"a\nb"})" "\n", "\"group\": contains a control character (0x0A"},
      {R"({"cmd":"feed.show","name":"\u0000"})" "\n", "\"name\": contains a control character (0x00"},
      // Not JSON: no field can be named, the parser's reason is given.
      {push + "\"advisory\":\"\xE9t\xE9\"}\n", "not JSON"},
      {push + "\"advisory\":\"\xC0\xAF\"}\n", "not JSON"},
      {push + "\"advisory\":\"\\ud800\"}\n", "not JSON"},
      {"\xFF\xFE{}\n", "not JSON"},
      {R"({"cmd":"status")" "\n", "not JSON"},
      {"\n", "not JSON"},
      {R"({"cmd":"status"} trailing)" "\n", "not JSON"},
      {"[]\n", "must be a JSON object, got an array"},
      {"\"status\"\n", "must be a JSON object, got a string"},
      {"123\n", "must be a JSON object, got a number"},
      {"null\n", "must be a JSON object, got null"},
      {std::string(kMaxHeaderBytes + 10, ' '), "header line is over 64 KiB"},
  };
}

TEST_F(CtlServerTest, MalformedRequestsGetAnErrorNamingTheFieldAndTheServerCarriesOn) {
  start();
  const auto cases = malformed_requests();
  ASSERT_GE(cases.size(), 50u);
  for (const Malformed& m : cases) {
    const json r = exchange(m.bytes);
    ASSERT_TRUE(r.is_object()) << m.bytes.substr(0, 80);
    EXPECT_EQ(r.value("ok", true), false) << m.bytes.substr(0, 80) << " -> " << r.dump();
    const std::string err = r.value("error", "");
    EXPECT_NE(err.find(m.expect), std::string::npos) << m.bytes.substr(0, 80) << " -> " << err;
    EXPECT_LT(err.size(), 1024u) << "an error never echoes the input whole";
  }
  EXPECT_EQ(exchange(R"({"cmd":"status"})" "\n").value("ok", false), true);
  EXPECT_EQ(server_->stats().malformed, cases.size());
}

TEST_F(CtlServerTest, AHugeHeaderLineIsRefusedWithoutBeingEchoedOrHeld) {
  start();
  const int fd = unix_connect(path());
  ASSERT_GE(fd, 0);
  const std::string chunk(1 << 20, 'A');
  send_bytes(fd, chunk);  // the server answers after 64 KiB and closes; the rest fails
  const std::string r = read_until(fd, "\n", milliseconds(5000));
  close(fd);
  EXPECT_LT(r.size(), 300u);
  EXPECT_NE(r.find("over 64 KiB"), std::string::npos) << r;
}

TEST_F(CtlServerTest, HandlerExceptionsBecomeErrorRepliesAndRepliesAreUtf8) {
  start();
  json r = exchange(R"({"cmd":"feed.list"})" "\n");
  EXPECT_EQ(r.value("ok", true), false);
  EXPECT_NE(r.value("error", "").find("internal error in feed.list: a handler bug"), std::string::npos) << r.dump();
  r = exchange(R"({"cmd":"stats"})" "\n");
  EXPECT_NE(r.value("error", "").find("internal error in stats: an unknown exception"), std::string::npos) << r.dump();
  const std::string raw = unix_exchange(path(), R"({"cmd":"feed.show","name":"x"})" "\n");
  EXPECT_FALSE(utf8_error_offset(raw)) << "a Latin-1 byte from a handler is replaced, not sent";
  EXPECT_EQ(json::parse(raw)["label"], "Latin-1 comment: caf\xEF\xBF\xBD");
  EXPECT_EQ(exchange(R"({"cmd":"status"})" "\n").value("ok", false), true);
}

TEST_F(CtlServerTest, PushContentArrivesWholeWithThePeer) {
  start();
  std::string content(3 << 20, '\0');
  uint64_t sum = 0;
  for (size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>(i * 131 + 7);
    sum += static_cast<unsigned char>(content[i]);
  }
  FeedPushRequest p;
  p.name = "big";
  Result<json> r = call_control(path(), CtlRequest{p}, content, milliseconds(20000));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->value("bytes", 0u), content.size());
  EXPECT_EQ(r->value("sum", uint64_t{0}), sum);
  Result<json> s = call_control(path(), CtlRequest{StatusRequest{}}, "", milliseconds(5000));
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(s->value("uid", -1), static_cast<int>(getuid()));
  EXPECT_EQ(s->value("pid", 0), getpid());
}

// 8 idle clients and one that trickles a byte every 5 s: with one request at a time and a
// 30 s read timeout this delayed a push by minutes. Now it is answered at once.
TEST_F(CtlServerTest, IdleAndTricklingClientsDoNotDelayOthers) {
  start();
  std::vector<int> idle;
  for (int i = 0; i < 8; ++i) idle.push_back(unix_connect(path()));
  for (int fd : idle) ASSERT_GE(fd, 0);
  const int trickle = unix_connect(path());
  ASSERT_GE(trickle, 0);
  std::atomic<bool> done{false};
  std::thread t([&] {
    const std::string req = R"({"cmd":"status"})";
    for (size_t i = 0; i < req.size() && !done.load(); ++i) {
      send_bytes(trickle, req.substr(i, 1));
      for (int k = 0; k < 50 && !done.load(); ++k) std::this_thread::sleep_for(milliseconds(100));
    }
  });
  std::this_thread::sleep_for(milliseconds(200));  // the trickler has sent its first byte
  const auto t0 = std::chrono::steady_clock::now();
  FeedPushRequest p;
  p.name = "tenth";
  Result<json> r = call_control(path(), CtlRequest{p}, "1.2.3.4\n", milliseconds(10000));
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  done.store(true);
  t.join();
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->value("ok", false), true);
  EXPECT_LE(ms, 1000) << "the 10th client waited " << ms << " ms";
  std::printf("10th client answered in %lld ms beside 8 idle and 1 trickling client\n", static_cast<long long>(ms));
  for (int fd : idle) close(fd);
  close(trickle);
}

TEST_F(CtlServerTest, RequestsMustArriveWholeBeforeTheirDeadline) {
  CtlServerOptions o;
  o.header_deadline = milliseconds(500);
  o.min_content_rate = 1 << 20;
  start(o);
  const auto t0 = std::chrono::steady_clock::now();
  const int idle = unix_connect(path());
  const int trickle = unix_connect(path());
  const int slow_content = unix_connect(path());
  send_bytes(trickle, "{\"cm");
  send_bytes(slow_content, R"({"cmd":"feed.push","name":"x","content_length":1000})" "\n0123456789");
  std::thread t([&] {
    for (int i = 0; i < 20; ++i) {
      if (!send_bytes(trickle, " ")) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  const std::string r1 = read_until(idle, "\n", milliseconds(5000));
  const std::string r2 = read_until(trickle, "\n", milliseconds(5000));
  const std::string r3 = read_until(slow_content, "\n", milliseconds(5000));
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  t.join();
  EXPECT_NE(r1.find("no complete request header within 500 ms"), std::string::npos) << r1;
  EXPECT_NE(r2.find("no complete request header within 500 ms"), std::string::npos) << r2;
  EXPECT_NE(r3.find("the content arrived too slowly: 10 of 1000 bytes"), std::string::npos) << r3;
  EXPECT_LT(ms, 4000);
  EXPECT_GE(server_->stats().timed_out, 3u);
  for (int fd : {idle, trickle, slow_content}) close(fd);
}

// An announced 1 GiB costs nothing until it arrives.
TEST_F(CtlServerTest, AnnouncedContentIsNotAllocated) {
  start();
  const long before = testing::status_kib("VmRSS");
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) {
    const int fd = unix_connect(path());
    send_bytes(fd, R"({"cmd":"feed.push","name":"x","content_length":1073741824})" "\nabc");
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(milliseconds(300));
  const long after = testing::status_kib("VmRSS");
  EXPECT_LT(after - before, 16 * 1024) << "RSS grew by " << (after - before) << " KiB";
  // Two of the four were refused: 2 GiB announced is the in-flight limit.
  int busy = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) > 0 && read_until(fd, "\n", milliseconds(500)).find("push again once") != std::string::npos)
      ++busy;
    close(fd);
  }
  EXPECT_EQ(busy, 2);
  EXPECT_EQ(server_->stats().refused_busy, 2u);
}

TEST_F(CtlServerTest, TheTotalConnectionCapRefusesWithAMessage) {
  CtlServerOptions o;
  o.max_connections = 3;
  start(o);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) held.push_back(unix_connect(path()));
  std::this_thread::sleep_for(milliseconds(200));
  const std::string r = unix_exchange(path(), R"({"cmd":"status"})" "\n");
  EXPECT_NE(r.find("3 connections open, its limit"), std::string::npos) << r;
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_NE(unix_exchange(path(), R"({"cmd":"status"})" "\n").find("\"ok\":true"), std::string::npos);
}

// uid A holding its cap refuses A's next connection, while uid B is still served.
TEST_F(CtlServerTest, PerUidCapLeavesOtherUsersServed) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to connect as another uid";
  CtlServerOptions o;
  o.max_connections_per_uid = 4;
  start(o);
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(unix_connect(path()));
  std::this_thread::sleep_for(milliseconds(200));
  const std::string mine = unix_exchange(path(), R"({"cmd":"status"})" "\n");
  EXPECT_NE(mine.find("uid 0 has 4 connections open"), std::string::npos) << mine;

  // Another user: a child that drops to nobody, with only async-signal-safe calls.
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  const std::string sock = path();
  const pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    const int fd = unix_connect(sock);
    if (fd < 0) _exit(3);
    const char req[] = "{\"cmd\":\"status\"}\n";
    if (write(fd, req, sizeof(req) - 1) != static_cast<ssize_t>(sizeof(req) - 1)) _exit(4);
    char buf[512];
    size_t n = 0;
    for (;;) {
      const ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);
      if (r <= 0) break;
      n += static_cast<size_t>(r);
      if (memchr(buf, '\n', n) != nullptr || n == sizeof(buf) - 1) break;
    }
    [[maybe_unused]] const ssize_t w = write(pipefd[1], buf, n);
    _exit(0);
  }
  close(pipefd[1]);
  std::string child_reply;
  char buf[512];
  for (ssize_t r; (r = read(pipefd[0], buf, sizeof(buf))) > 0;) child_reply.append(buf, static_cast<size_t>(r));
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  const json j = json::parse(child_reply, nullptr, false);
  ASSERT_TRUE(j.is_object()) << child_reply;
  EXPECT_EQ(j.value("ok", false), true) << child_reply;
  EXPECT_EQ(j.value("uid", 0), 65534);
  EXPECT_EQ(server_->stats().refused_uid, 1u);
  for (int fd : held) close(fd);
}

// A long request in the handler does not stop the server from reading other clients; they
// are answered in turn, right after it.
TEST_F(CtlServerTest, ALongRequestQueuesOthersWithoutStallingTheirReads) {
  start();
  std::thread slow([&] {
    ReportRequest rr;
    rr.since_seconds = 1500;  // milliseconds of "work" in the test handler
    Result<json> r = call_control(path(), CtlRequest{rr}, "", milliseconds(10000));
    EXPECT_TRUE(r.ok()) << r.message();
  });
  std::this_thread::sleep_for(milliseconds(200));
  const std::string content(8 << 20, 'x');
  const auto t0 = std::chrono::steady_clock::now();
  FeedPushRequest p;
  p.name = "queued";
  // The 8 MiB upload completes while the handler is busy (a blocked reader would stall it).
  const int fd = unix_connect(path());
  Result<json> header = encode_ctl_request(CtlRequest{p});
  ASSERT_TRUE(header.ok());
  ASSERT_TRUE(send_all(fd, encode_header_line(*header, content.size()) + content,
                       CtlClock::now() + std::chrono::seconds(1))
                  .ok())
      << "the server stopped reading while another request was handled";
  const auto sent_ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  const std::string r = read_until(fd, "\n", milliseconds(10000));
  close(fd);
  slow.join();
  EXPECT_NE(r.find("\"bytes\":8388608"), std::string::npos) << r;
  EXPECT_LT(sent_ms, 1000);
}

TEST_F(CtlServerTest, AClientThatEndsMidRequestIsToldWhy) {
  start();
  int fd = unix_connect(path());
  send_bytes(fd, R"({"cmd":"status")");
  shutdown(fd, SHUT_WR);
  std::string r = read_until(fd, "\n", milliseconds(5000));
  close(fd);
  EXPECT_NE(r.find("ended before the request header's newline"), std::string::npos) << r;
  fd = unix_connect(path());
  send_bytes(fd, R"({"cmd":"feed.push","name":"x","content_length":100})" "\n12345");
  shutdown(fd, SHUT_WR);
  r = read_until(fd, "\n", milliseconds(5000));
  close(fd);
  EXPECT_NE(r.find("ended after 5 of 100 content bytes"), std::string::npos) << r;
}

TEST_F(CtlServerTest, AClientThatDoesNotReadItsReplyIsDropped) {
  CtlServerOptions o;
  o.reply_deadline = milliseconds(500);
  start(o);
  const int fd = unix_connect(path());
  send_bytes(fd, R"({"cmd":"feed.show","name":"big"})" "\n");  // an 8 MiB reply, never read
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_GE(server_->stats().timed_out, 1u);
  EXPECT_NE(unix_exchange(path(), R"({"cmd":"status"})" "\n").find("\"ok\":true"), std::string::npos);
  close(fd);
}

TEST_F(CtlServerTest, SocketModeIsSetAndStopRemovesIt) {
  start();
  struct stat st;
  ASSERT_EQ(stat(path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
  EXPECT_TRUE(server_->responsive());
  const std::string p = path();
  stop_.store(true);
  handler_.join();
  server_->stop();
  EXPECT_NE(stat(p.c_str(), &st), 0);
}

TEST(CtlClient, ErrorsWithoutAServer) {
  testing::TempDir d;
  Result<json> r = call_control(d.path() + "/none.sock", CtlRequest{StatusRequest{}}, "", milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("is `iocgate control` running?"), std::string::npos) << r.message();
  FeedPushRequest p;
  p.name = "x";
  p.advisory = "\xE9";
  r = call_control(d.path() + "/none.sock", CtlRequest{p}, "", milliseconds(1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("--advisory: not valid UTF-8"), std::string::npos) << r.message();
}

TEST(CtlClient, TheDeadlineBoundsTheWholeCall) {
  testing::TempDir d;
  CtlServerOptions o;
  o.socket_path = d.path() + "/ctl.sock";
  o.log = [](const std::string&) {};
  Result<std::unique_ptr<CtlServer>> s = CtlServer::start(o);  // no one handles requests
  ASSERT_TRUE(s.ok()) << s.message();
  const auto t0 = std::chrono::steady_clock::now();
  Result<json> r = call_control(o.socket_path, CtlRequest{StatusRequest{}}, "", milliseconds(500));
  const auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("no reply within"), std::string::npos) << r.message();
  EXPECT_LT(ms, 3000);
}

TEST(CtlClient, ARefusalBeforeTheContentReachesTheClient) {
  testing::TempDir d;
  CtlServerOptions o;
  o.socket_path = d.path() + "/ctl.sock";
  o.max_content_in_flight = 1024;
  o.log = [](const std::string&) {};
  Result<std::unique_ptr<CtlServer>> s = CtlServer::start(o);
  ASSERT_TRUE(s.ok()) << s.message();
  FeedPushRequest p;
  p.name = "x";
  Result<json> r = call_control(o.socket_path, CtlRequest{p}, std::string(32 << 20, 'x'), milliseconds(10000));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->value("ok", true), false);
  EXPECT_NE(r->value("error", "").find("push again once they are done"), std::string::npos) << r->dump();
}

}  // namespace
}  // namespace iocgate
