// tests/control/raw_client.h — clients that speak bytes, not the protocol: connect to a unix
// or TCP socket, send anything, read what comes back, so tests can be hostile on purpose.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

namespace iocgate::testing {

inline int unix_connect(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

inline int tcp_connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Sends what it can (a server may close early); false when nothing went.
inline bool send_bytes(int fd, std::string_view b) {
  size_t sent = 0;
  while (sent < b.size()) {
    const ssize_t w = send(fd, b.data() + sent, b.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) return sent > 0;
    sent += static_cast<size_t>(w);
  }
  return true;
}

// Reads until `stop` appears (the end of a reply line, of HTTP headers), EOF or timeout.
inline std::string read_until(int fd, std::string_view stop, std::chrono::milliseconds timeout,
                              size_t max_bytes = 64 << 20) {
  std::string got;
  const auto until = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  while (got.find(stop) == std::string::npos && got.size() < max_bytes) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t r = recv(fd, buf, sizeof(buf), 0);
    if (r <= 0) break;
    got.append(buf, static_cast<size_t>(r));
  }
  return got;
}

// One raw exchange on the control socket: the bytes, then the reply line.
inline std::string unix_exchange(const std::string& path, std::string_view bytes,
                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const int fd = unix_connect(path);
  if (fd < 0) return "<connect failed>";
  send_bytes(fd, bytes);
  std::string r = read_until(fd, "\n", timeout);
  close(fd);
  return r;
}

// One HTTP exchange: the request, then everything until the server closes or timeout.
inline std::string http_exchange(uint16_t port, std::string_view request,
                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const int fd = tcp_connect(port);
  if (fd < 0) return "<connect failed>";
  send_bytes(fd, request);
  std::string r = read_until(fd, "\x01never", timeout);
  close(fd);
  return r;
}

// Resident memory of this process, in KiB, from /proc/self/status (key "VmRSS" or "VmHWM").
inline long status_kib(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  return -1;
}

// Resets VmHWM to the current RSS, so a later VmHWM is the peak of what came after.
inline bool reset_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  return static_cast<bool>(out.flush());
}

}  // namespace iocgate::testing
