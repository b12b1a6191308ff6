// control/ctl_server.cc — the poll loop of the control socket. Each connection carries one
// request and its reply (the wire format iocctl has always used); the loop never blocks on
// a client, and its only link to the control thread is a queue and an outbox.

#include "control/ctl_server.h"

#include <grp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "control/utf8_text.h"

namespace iocgate {

using nlohmann::json;
using std::chrono::milliseconds;

namespace {

struct Conn {
  enum class Phase { kReading, kHandling, kWriting };
  int fd = -1;
  uint64_t id = 0;
  CtlPeer peer;
  Phase phase = Phase::kReading;
  CtlClock::time_point accepted;
  CtlClock::time_point deadline;
  FrameReader reader;
  std::optional<CtlRequest> request;
  uint64_t reserved = 0;  // content bytes counted in the in-flight budget
  std::string out;
  size_t out_sent = 0;
  bool got_bytes = false;
  bool closed = false;
};

void send_line_now(int fd, const std::string& line) {
  // A fresh socket's buffer takes a short line whole; if not, the client gets nothing.
  [[maybe_unused]] const ssize_t w = send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

std::string seconds_text(milliseconds ms) {
  const auto s = ms.count() / 1000;
  return s > 0 ? std::to_string(s) + " s" : std::to_string(ms.count()) + " ms";
}

}  // namespace

struct CtlServer::State {
  CtlServerOptions opt;
  int listen_fd = -1;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> last_loop_ms{0};

  // The server thread's own.
  std::vector<std::unique_ptr<Conn>> conns;
  std::map<uid_t, size_t> per_uid;
  uint64_t in_flight = 0;
  uint64_t next_id = 1;
  CtlClock::time_point accept_backoff_until{};

  // Shared with the control thread.
  std::mutex mu;
  std::condition_variable cv;
  std::deque<CtlPendingCall> queue;
  std::vector<std::pair<uint64_t, std::string>> outbox;
  bool closed = false;

  std::atomic<uint64_t> accepted{0}, requests{0}, refused_full{0}, refused_uid{0}, refused_busy{0}, malformed{0},
      timed_out{0};

  void log(const std::string& s) const {
    if (opt.log) {
      opt.log(s);
    } else {
      std::fprintf(stderr, "iocgate control: %s\n", s.c_str());
      std::fflush(stderr);
    }
  }

  void wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t w = write(wake_fd, &one, sizeof(one));
  }

  // Answers and closes once the line is sent (or its deadline passes).
  void answer(Conn& c, std::string line, milliseconds within) {
    if (c.phase == Conn::Phase::kHandling) return;
    c.phase = Conn::Phase::kWriting;
    c.out = std::move(line);
    c.out_sent = 0;
    c.deadline = CtlClock::now() + within;
    c.reader = FrameReader();  // frees what was buffered
    write_some(c);
  }

  void fail(Conn& c, std::string_view why) {
    malformed.fetch_add(1);
    answer(c, render_reply(error_reply(why)), milliseconds(2000));
  }

  void close_conn(Conn& c) {
    if (c.closed) return;
    close(c.fd);
    c.closed = true;
    if (auto it = per_uid.find(c.peer.uid); it != per_uid.end() && --it->second == 0) per_uid.erase(it);
    in_flight -= c.reserved;
    c.reserved = 0;
  }

  void write_some(Conn& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t w = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        c.out_sent += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      break;  // the client went away
    }
    close_conn(c);
  }

  // Drives the frame reader over freshly received bytes.
  void take(Conn& c, std::string_view bytes) {
    while (c.phase == Conn::Phase::kReading) {
      const size_t used = c.reader.consume(bytes);
      bytes.remove_prefix(used);
      switch (c.reader.state()) {
        case FrameReader::State::kFailed:
          fail(c, c.reader.error());
          return;
        case FrameReader::State::kHeaderDone: {
          Result<CtlRequest> req = parse_ctl_request(c.reader.header());
          if (!req.ok()) {
            fail(c, req.message());
            return;
          }
          const uint64_t len = req->content_length;
          if (len > 0 && in_flight + len > opt.max_content_in_flight) {
            refused_busy.fetch_add(1);
            answer(c, render_reply(error_reply(
                          "the control process is receiving or holding " + std::to_string(in_flight >> 20) +
                          " MiB of other pushes, its limit; push again once they are done")),
                   milliseconds(2000));
            return;
          }
          in_flight += len;
          c.reserved = len;
          c.request = std::move(*req);
          const uint64_t content_ms = opt.min_content_rate ? len * 1000 / opt.min_content_rate : 0;
          c.deadline = c.accepted + opt.header_deadline + milliseconds(content_ms);
          c.reader.read_content();
          break;
        }
        case FrameReader::State::kDone: {
          c.phase = Conn::Phase::kHandling;
          CtlPendingCall p{c.id, CtlCall{std::move(*c.request), std::move(c.reader.content()), c.peer}};
          c.reader = FrameReader();
          requests.fetch_add(1);
          {
            std::lock_guard<std::mutex> l(mu);
            queue.push_back(std::move(p));
          }
          cv.notify_one();
          return;
        }
        default:
          if (used == 0 || bytes.empty()) return;
      }
    }
  }

  void read_some(Conn& c, std::string& scratch) {
    const ssize_t r = recv(c.fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
    if (r > 0) {
      c.got_bytes = true;
      take(c, std::string_view(scratch.data(), static_cast<size_t>(r)));
      return;
    }
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r == 0 && c.got_bytes) {
      // A client that shut down its side mid-request may still read why it failed.
      fail(c, c.request ? "the connection ended after " + std::to_string(c.reader.content_received()) + " of " +
                              std::to_string(c.request->content_length) + " content bytes"
                        : std::string("the connection ended before the request header's newline"));
      return;
    }
    close_conn(c);
  }

  void accept_some() {
    for (int i = 0; i < 32; ++i) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          accept_backoff_until = CtlClock::now() + milliseconds(100);
        return;
      }
      accepted.fetch_add(1);
      CtlPeer peer;
      ucred cred{};
      socklen_t len = sizeof(cred);
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        peer.uid = cred.uid;
        peer.gid = cred.gid;
        peer.pid = cred.pid;
      }
      if (conns.size() >= opt.max_connections) {
        refused_full.fetch_add(1);
        send_line_now(fd, render_reply(error_reply("the control process has " + std::to_string(conns.size()) +
                                                   " connections open, its limit; try again shortly")));
        close(fd);
        continue;
      }
      size_t& mine = per_uid[peer.uid];
      if (mine >= opt.max_connections_per_uid) {
        refused_uid.fetch_add(1);
        send_line_now(fd, render_reply(error_reply("uid " + std::to_string(peer.uid) + " has " + std::to_string(mine) +
                                                   " connections open to the control process, the limit per user; "
                                                   "close some and try again")));
        close(fd);
        continue;
      }
      ++mine;
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->id = next_id++;
      c->peer = peer;
      c->accepted = CtlClock::now();
      c->deadline = c->accepted + opt.header_deadline;
      conns.push_back(std::move(c));
    }
  }

  void take_outbox() {
    std::vector<std::pair<uint64_t, std::string>> ready;
    {
      std::lock_guard<std::mutex> l(mu);
      ready.swap(outbox);
    }
    for (auto& [id, line] : ready) {
      for (auto& c : conns) {
        if (c->id != id || c->closed || c->phase != Conn::Phase::kHandling) continue;
        in_flight -= c->reserved;
        c->reserved = 0;
        c->phase = Conn::Phase::kReading;  // so answer() takes it
        answer(*c, std::move(line), opt.reply_deadline);
        break;
      }
    }
  }

  void expire(Conn& c, CtlClock::time_point now) {
    if (c.closed || c.phase == Conn::Phase::kHandling || now < c.deadline) return;
    timed_out.fetch_add(1);
    if (c.phase == Conn::Phase::kWriting) {
      close_conn(c);
      return;
    }
    const auto took = std::chrono::duration_cast<milliseconds>(now - c.accepted);
    std::string why;
    if (c.request) {
      why = "the content arrived too slowly: " + std::to_string(c.reader.content_received()) + " of " +
            std::to_string(c.request->content_length) + " bytes in " + seconds_text(took) + "; connection closed";
    } else {
      why = "no complete request header within " + seconds_text(opt.header_deadline) + "; connection closed";
    }
    // Counted as timed out, not malformed.
    answer(c, render_reply(error_reply(why)), milliseconds(1000));
  }

  void run() {
    std::string scratch(64 * 1024, '\0');
    std::vector<pollfd> pfds;
    while (!stopping.load()) {
      const auto now = CtlClock::now();
      last_loop_ms.store(std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count());
      pfds.clear();
      const bool accepting = now >= accept_backoff_until;
      pfds.push_back({wake_fd, POLLIN, 0});
      pfds.push_back({accepting ? listen_fd : -1, POLLIN, 0});
      auto next = now + milliseconds(1000);
      for (auto& c : conns) {
        short ev = 0;
        if (c->phase == Conn::Phase::kReading) ev = POLLIN;
        else if (c->phase == Conn::Phase::kWriting) ev = POLLOUT;
        // A handled connection is not polled: a client gone meanwhile would report POLLHUP
        // on every turn and spin the loop until its reply is ready.
        pfds.push_back({c->phase == Conn::Phase::kHandling ? -1 : c->fd, ev, 0});
        if (c->phase != Conn::Phase::kHandling && c->deadline < next) next = c->deadline;
      }
      if (!accepting && accept_backoff_until < next) next = accept_backoff_until;
      const auto wait_ms = std::chrono::duration_cast<milliseconds>(next - now).count();
      const int rc = poll(pfds.data(), pfds.size(), static_cast<int>(std::max<int64_t>(wait_ms, 0) + 1));
      if (rc < 0 && errno != EINTR) {
        log(std::string("control socket: poll: ") + std::strerror(errno));
        std::this_thread::sleep_for(milliseconds(100));
        continue;
      }
      try {
        if (pfds[0].revents & POLLIN) {
          uint64_t n;
          [[maybe_unused]] const ssize_t r = read(wake_fd, &n, sizeof(n));
        }
        take_outbox();
        // conns may only grow below (accept), so pfds[i + 2] still matches conns[i].
        const size_t n_polled = pfds.size() - 2;
        for (size_t i = 0; i < n_polled; ++i) {
          Conn& c = *conns[i];
          const short re = pfds[i + 2].revents;
          if (c.closed || re == 0) continue;
          if (c.phase == Conn::Phase::kReading && (re & (POLLIN | POLLHUP | POLLERR))) read_some(c, scratch);
          else if (c.phase == Conn::Phase::kWriting && (re & (POLLOUT | POLLHUP | POLLERR))) write_some(c);
        }
        if (pfds[1].revents & POLLIN) accept_some();
        const auto after = CtlClock::now();
        for (auto& c : conns) expire(*c, after);
      } catch (const std::exception& e) {
        // Only allocation failures get here; the loop carries on.
        log(std::string("control socket: ") + e.what());
      }
      std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->closed; });
    }
    for (auto& c : conns) close_conn(*c);
    conns.clear();
  }
};

Result<std::unique_ptr<CtlServer>> CtlServer::start(CtlServerOptions options) {
  auto s = std::make_unique<State>();
  s->opt = std::move(options);
  const std::string& path = s->opt.socket_path;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) return Status::error(path + ": socket path empty or too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  unlink(path.c_str());
  s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (s->listen_fd < 0) return Status::error(std::string("socket: ") + std::strerror(errno));
  bool bound = false;
  auto fail = [&](const std::string& what) {
    const std::string msg = path + ": " + what + ": " + std::strerror(errno);
    close(s->listen_fd);
    s->listen_fd = -1;
    if (bound) unlink(path.c_str());
    return Status::error(msg);
  };
  if (bind(s->listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return fail("bind");
  bound = true;
  // Mode and group before listen(): until then a connect() is refused, so no one gets in
  // through the moment the file has the umask's mode.
  if (chmod(path.c_str(), s->opt.socket_mode) != 0) return fail("chmod");
  if (!s->opt.socket_group.empty()) {
    if (group* g = getgrnam(s->opt.socket_group.c_str())) {
      if (chown(path.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
        s->log(path + ": cannot give it to group " + s->opt.socket_group + ": " + std::strerror(errno));
    } else {
      s->log("group '" + s->opt.socket_group + "' does not exist: only root may use iocctl");
    }
  }
  // The backlog holds connections the loop has not accepted yet; it accepts 32 per turn.
  const int backlog = static_cast<int>(std::clamp<size_t>(s->opt.max_connections, 16, 4096));
  if (listen(s->listen_fd, backlog) != 0) return fail("listen");
  s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd < 0) return fail("eventfd");
  s->last_loop_ms.store(
      std::chrono::duration_cast<milliseconds>(CtlClock::now().time_since_epoch()).count());
  State* raw = s.get();
  try {
    s->thread = std::thread([raw] { raw->run(); });
  } catch (const std::exception& e) {
    close(s->wake_fd);
    close(s->listen_fd);
    unlink(path.c_str());
    return Status::error(std::string("control socket thread: ") + e.what());
  }
  return std::unique_ptr<CtlServer>(new CtlServer(std::move(s)));
}

CtlServer::CtlServer(std::unique_ptr<State> s) : s_(std::move(s)) {}

CtlServer::~CtlServer() { stop(); }

void CtlServer::stop() {
  if (!s_ || s_->listen_fd < 0) return;
  s_->stopping.store(true);
  s_->wake();
  if (s_->thread.joinable()) s_->thread.join();
  close(s_->listen_fd);
  close(s_->wake_fd);
  s_->listen_fd = -1;
  unlink(s_->opt.socket_path.c_str());
  {
    std::lock_guard<std::mutex> l(s_->mu);
    s_->closed = true;
    s_->queue.clear();
  }
  s_->cv.notify_all();
}

std::optional<CtlPendingCall> CtlServer::next_call(milliseconds timeout) {
  std::unique_lock<std::mutex> l(s_->mu);
  if (!s_->cv.wait_for(l, timeout, [&] { return s_->closed || !s_->queue.empty(); })) return std::nullopt;
  if (s_->closed || s_->queue.empty()) return std::nullopt;
  CtlPendingCall p = std::move(s_->queue.front());
  s_->queue.pop_front();
  return p;
}

void CtlServer::reply(uint64_t id, const json& reply) {
  std::string line = render_reply(reply);
  {
    std::lock_guard<std::mutex> l(s_->mu);
    if (s_->closed) return;
    s_->outbox.emplace_back(id, std::move(line));
  }
  s_->wake();
}

bool CtlServer::serve_next(const CtlHandler& handler, milliseconds timeout) {
  std::optional<CtlPendingCall> p = next_call(timeout);
  if (!p) return false;
  json r = dispatch_guarded(handler, p->call);
  // The content may be 1 GiB: free it before the reply travels.
  std::string().swap(p->call.content);
  reply(p->id, r);
  return true;
}

CtlServerStats CtlServer::stats() const {
  CtlServerStats st;
  st.accepted = s_->accepted.load();
  st.requests = s_->requests.load();
  st.refused_full = s_->refused_full.load();
  st.refused_uid = s_->refused_uid.load();
  st.refused_busy = s_->refused_busy.load();
  st.malformed = s_->malformed.load();
  st.timed_out = s_->timed_out.load();
  return st;
}

bool CtlServer::responsive() const {
  const int64_t now = std::chrono::duration_cast<milliseconds>(CtlClock::now().time_since_epoch()).count();
  return now - s_->last_loop_ms.load() < 3000;
}

const std::string& CtlServer::socket_path() const { return s_->opt.socket_path; }

}  // namespace iocgate
