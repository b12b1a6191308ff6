// control/metrics_server.cc — a small HTTP/1.1 server for GET and HEAD only. It never reads
// a request body (any body is answered 413 and the connection closed), holds at most
// max_request_bytes of a request, and makes room for a new connection by closing the
// longest-idle one, so a flood of idle connections cannot lock Prometheus out.

#include "control/metrics_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

namespace iocgate {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

struct Conn {
  enum class Phase { kReading, kWriting, kDraining };
  int fd = -1;
  Phase phase = Phase::kReading;
  std::string in;
  std::string out;
  size_t out_sent = 0;
  bool close_after = false;
  Clock::time_point deadline;
  Clock::time_point last_active;
  size_t drained = 0;
  bool closed = false;
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string response(int status, std::string_view type, std::string_view body, bool head, bool keep_alive,
                     std::string_view extra = {}) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\nContent-Type: ";
  r += type;
  r += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nX-Content-Type-Options: nosniff\r\n";
  r += extra;
  r += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head) r += body;
  return r;
}

struct Parsed {
  int status = 0;  // 0: a request to route
  std::string why;
  bool head = false;
  bool keep_alive = true;
  std::string path;
};

// The request line and headers of one request (without the blank line).
Parsed parse_request(std::string_view text) {
  Parsed p;
  auto bad = [&](int status, std::string why) {
    p.status = status;
    p.why = std::move(why);
    p.keep_alive = false;
    return p;
  };
  size_t eol = text.find('\n');
  std::string_view line = trim(text.substr(0, eol));
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return bad(400, "malformed request line\n");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return bad(400, "only HTTP/1.0 and HTTP/1.1\n");
  p.keep_alive = version == "HTTP/1.1";
  bool has_body = false;
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 1);
    eol = text.find('\n');
    std::string_view h = text.substr(0, eol);
    if (!h.empty() && h.back() == '\r') h.remove_suffix(1);
    if (h.empty()) break;
    if (h.front() == ' ' || h.front() == '\t') return bad(400, "folded header lines are not accepted\n");
    const size_t colon = h.find(':');
    if (colon == std::string_view::npos || colon == 0) return bad(400, "malformed header line\n");
    const std::string_view name = h.substr(0, colon), value = trim(h.substr(colon + 1));
    if (iequals(name, "Content-Length")) has_body = has_body || value != "0";
    else if (iequals(name, "Transfer-Encoding")) has_body = true;
    else if (iequals(name, "Connection")) {
      if (iequals(value, "close")) p.keep_alive = false;
      else if (iequals(value, "keep-alive")) p.keep_alive = true;
    }
  }
  if (has_body) return bad(413, "this endpoint takes no request body\n");
  if (method == "HEAD") p.head = true;
  else if (method != "GET") return bad(405, "GET or HEAD only\n");
  if (target.empty() || target.front() != '/') return bad(400, "the target must be a path\n");
  p.path = std::string(target.substr(0, target.find('?')));
  return p;
}

}  // namespace

struct MetricsServer::State {
  std::function<std::string()> render;
  std::function<Status()> health;
  MetricsLimits limits;
  int listen_fd = -1;
  int wake_fd = -1;
  uint16_t port = 0;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::vector<std::unique_ptr<Conn>> conns;
  Clock::time_point accept_backoff_until{};
  std::string rendered;
  Clock::time_point rendered_at{};
  bool rendered_once = false;
  std::atomic<uint64_t> accepted{0}, responses{0}, refused{0}, evicted{0}, timed_out{0};

  void close_conn(Conn& c) {
    if (c.closed) return;
    close(c.fd);
    c.closed = true;
  }

  std::string route(const Parsed& p) {
    const bool ka = p.keep_alive;
    if (p.path == "/metrics") {
      try {
        const auto now = Clock::now();
        if (!rendered_once || now - rendered_at >= limits.min_render_interval) {
          rendered = render();
          rendered_at = now;
          rendered_once = true;
        }
        return response(200, "text/plain; version=0.0.4; charset=utf-8", rendered, p.head, ka);
      } catch (const std::exception& e) {
        return response(500, "text/plain; charset=utf-8", std::string("cannot render the metrics: ") + e.what() + "\n",
                        p.head, ka);
      } catch (...) {
        return response(500, "text/plain; charset=utf-8", "cannot render the metrics\n", p.head, ka);
      }
    }
    if (p.path == "/healthz") {
      Status h;
      try {
        if (health) h = health();
      } catch (...) {
        h = Status::error("the health check failed");
      }
      return h.ok() ? response(200, "text/plain; charset=utf-8", "ok\n", p.head, ka)
                    : response(503, "text/plain; charset=utf-8", h.message() + "\n", p.head, ka);
    }
    if (p.path == "/")
      return response(200, "text/plain; charset=utf-8", "iocgate: metrics at /metrics, health at /healthz\n", p.head, ka);
    return response(404, "text/plain; charset=utf-8", "not found: use /metrics or /healthz\n", p.head, ka);
  }

  void start_write(Conn& c, std::string out, bool close_after) {
    responses.fetch_add(1);
    c.phase = Conn::Phase::kWriting;
    c.out = std::move(out);
    c.out_sent = 0;
    c.close_after = close_after;
    c.deadline = Clock::now() + limits.write_deadline;
    write_some(c);
  }

  void refuse(Conn& c, int status, const std::string& why) {
    refused.fetch_add(1);
    c.in.clear();
    c.in.shrink_to_fit();
    start_write(c, response(status, "text/plain; charset=utf-8", why, false, false,
                            status == 405 ? "Allow: GET, HEAD\r\n" : ""),
                true);
  }

  // Answers the request at the front of c.in, if it is whole.
  void process(Conn& c) {
    if (c.phase != Conn::Phase::kReading || c.in.empty()) return;
    size_t end = c.in.find("\r\n\r\n");
    size_t skip = 4;
    if (const size_t lf = c.in.find("\n\n"); lf != std::string::npos && (end == std::string::npos || lf < end)) {
      end = lf;
      skip = 2;
    }
    if (end == std::string::npos) {
      if (c.in.size() > limits.max_request_bytes)
        refuse(c, 431, "the request is over " + std::to_string(limits.max_request_bytes) + " bytes\n");
      return;
    }
    if (end > limits.max_request_bytes) {
      refuse(c, 431, "the request is over " + std::to_string(limits.max_request_bytes) + " bytes\n");
      return;
    }
    const Parsed p = parse_request(std::string_view(c.in).substr(0, end));
    c.in.erase(0, end + skip);
    if (p.status != 0) {
      refuse(c, p.status, p.why);
      return;
    }
    start_write(c, route(p), !p.keep_alive);
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
      close_conn(c);
      return;
    }
    std::string().swap(c.out);
    const auto now = Clock::now();
    c.last_active = now;
    if (c.close_after) {
      // Let the client read the answer before the close: stop sending, discard what it
      // still sends (a refused body) for a moment, then close.
      shutdown(c.fd, SHUT_WR);
      c.phase = Conn::Phase::kDraining;
      c.drained = 0;
      c.deadline = now + milliseconds(1000);
      return;
    }
    c.phase = Conn::Phase::kReading;
    c.deadline = c.in.empty() ? now + limits.idle_timeout : now + limits.request_deadline;
    process(c);  // a pipelined request
  }

  void read_some(Conn& c, std::string& scratch) {
    const ssize_t r = recv(c.fd, scratch.data(), scratch.size(), MSG_DONTWAIT);
    if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r <= 0) {
      close_conn(c);
      return;
    }
    const auto now = Clock::now();
    c.last_active = now;
    if (c.phase == Conn::Phase::kDraining) {
      c.drained += static_cast<size_t>(r);
      if (c.drained > (1u << 20)) close_conn(c);
      return;
    }
    // The first byte of a request starts its deadline.
    if (c.in.empty()) c.deadline = std::min(c.deadline, now + limits.request_deadline);
    c.in.append(scratch.data(), static_cast<size_t>(r));
    process(c);
  }

  // Closes the connection that waits for a request and was quiet the longest; false when
  // every connection is busy with a request or a response.
  bool evict_one() {
    Conn* victim = nullptr;
    for (auto& c : conns)
      if (!c->closed && c->phase == Conn::Phase::kReading && c->in.empty() &&
          (victim == nullptr || c->last_active < victim->last_active))
        victim = c.get();
    if (victim == nullptr) return false;
    evicted.fetch_add(1);
    close_conn(*victim);
    return true;
  }

  size_t open_count() const {
    return static_cast<size_t>(std::count_if(conns.begin(), conns.end(), [](const auto& c) { return !c->closed; }));
  }

  void accept_some() {
    for (int i = 0; i < 32; ++i) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
          accept_backoff_until = Clock::now() + milliseconds(100);
        return;
      }
      accepted.fetch_add(1);
      if (open_count() >= limits.max_connections && !evict_one()) {
        refused.fetch_add(1);
        const std::string r = response(503, "text/plain; charset=utf-8", "too many connections\n", false, false);
        [[maybe_unused]] const ssize_t w = send(fd, r.data(), r.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
        continue;
      }
      auto c = std::make_unique<Conn>();
      c->fd = fd;
      c->last_active = Clock::now();
      c->deadline = c->last_active + limits.request_deadline;
      conns.push_back(std::move(c));
    }
  }

  void expire(Conn& c, Clock::time_point now) {
    if (c.closed || now < c.deadline) return;
    if (c.phase == Conn::Phase::kReading && !c.in.empty()) {
      timed_out.fetch_add(1);
      refuse(c, 408, "the request did not arrive whole in time\n");
      refused.fetch_sub(1);
      return;
    }
    if (c.phase != Conn::Phase::kDraining) timed_out.fetch_add(1);
    close_conn(c);
  }

  void run() {
    std::string scratch(16 * 1024, '\0');
    std::vector<pollfd> pfds;
    while (!stopping.load()) {
      const auto now = Clock::now();
      const bool accepting = now >= accept_backoff_until;
      pfds.clear();
      pfds.push_back({wake_fd, POLLIN, 0});
      pfds.push_back({accepting ? listen_fd : -1, POLLIN, 0});
      auto next = now + milliseconds(1000);
      if (!accepting) next = std::min(next, accept_backoff_until);
      for (auto& c : conns) {
        pfds.push_back({c->fd, static_cast<short>(c->phase == Conn::Phase::kWriting ? POLLOUT : POLLIN), 0});
        next = std::min(next, c->deadline);
      }
      const auto wait_ms = std::chrono::duration_cast<milliseconds>(next - now).count();
      const int rc = poll(pfds.data(), pfds.size(), static_cast<int>(std::max<int64_t>(wait_ms, 0) + 1));
      if (rc < 0 && errno != EINTR) {
        std::this_thread::sleep_for(milliseconds(100));
        continue;
      }
      try {
        const size_t n_polled = pfds.size() - 2;
        for (size_t i = 0; i < n_polled; ++i) {
          Conn& c = *conns[i];
          const short re = pfds[i + 2].revents;
          if (c.closed || re == 0) continue;
          if (c.phase == Conn::Phase::kWriting) write_some(c);
          else read_some(c, scratch);
        }
        if (pfds[1].revents & POLLIN) accept_some();
        const auto after = Clock::now();
        for (auto& c : conns) expire(*c, after);
      } catch (const std::exception&) {
        // Allocation failure: the connections in hand carry on or time out.
      }
      std::erase_if(conns, [](const std::unique_ptr<Conn>& c) { return c->closed; });
    }
    for (auto& c : conns) close_conn(*c);
    conns.clear();
  }
};

MetricsServer::MetricsServer(std::function<std::string()> render, std::function<Status()> health,
                             MetricsLimits limits)
    : s_(std::make_unique<State>()) {
  s_->render = std::move(render);
  s_->health = std::move(health);
  s_->limits = limits;
}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::set_limits(const MetricsLimits& limits) { s_->limits = limits; }

Status MetricsServer::start(const std::string& listen) {
  if (s_->listen_fd >= 0) return Status::error("metrics server already started");
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::error("metrics listen '" + listen + "': use HOST:PORT");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) > 65535)
    return Status::error("metrics listen '" + listen + "': bad port");
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return Status::error("metrics listen '" + listen + "': " + gai_strerror(rc));
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const int backlog = static_cast<int>(std::clamp<size_t>(s_->limits.max_connections, 16, 4096));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
      last_error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) return Status::error("metrics listen '" + listen + "': cannot bind: " + last_error);
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0)
    s_->port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  s_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s_->wake_fd < 0) {
    close(fd);
    return Status::error(std::string("metrics server: eventfd: ") + std::strerror(errno));
  }
  s_->listen_fd = fd;
  s_->stopping.store(false);
  State* raw = s_.get();
  try {
    s_->thread = std::thread([raw] { raw->run(); });
  } catch (const std::exception& e) {
    close(s_->wake_fd);
    close(s_->listen_fd);
    s_->listen_fd = -1;
    return Status::error(std::string("metrics server thread: ") + e.what());
  }
  return ok_status();
}


void MetricsServer::stop() {
  if (s_->listen_fd < 0) return;
  s_->stopping.store(true);
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t w = write(s_->wake_fd, &one, sizeof(one));
  if (s_->thread.joinable()) s_->thread.join();
  close(s_->listen_fd);
  close(s_->wake_fd);
  s_->listen_fd = -1;
  s_->wake_fd = -1;
}

uint16_t MetricsServer::port() const { return s_->port; }

MetricsServerStats MetricsServer::stats() const {
  MetricsServerStats st;
  st.accepted = s_->accepted.load();
  st.responses = s_->responses.load();
  st.refused = s_->refused.load();
  st.evicted = s_->evicted.load();
  st.timed_out = s_->timed_out.load();
  return st;
}

}  // namespace iocgate
