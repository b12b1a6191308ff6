// control/ctl_protocol.cc — reading and writing framed messages on a stream socket.

#include "control/ctl_protocol.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace iocgate {

namespace {

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

}  // namespace

bool read_message(int fd, nlohmann::json* header, std::string* payload, std::string* error) {
  std::string line;
  char c;
  // The header line is small; reading it a byte at a time keeps the payload unconsumed.
  for (;;) {
    const ssize_t r = read(fd, &c, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      *error = line.empty() ? "connection closed" : "connection closed mid-message";
      return false;
    }
    if (c == '\n') break;
    line.push_back(c);
    if (line.size() > (1u << 20)) {
      *error = "message header too long";
      return false;
    }
  }
  *header = nlohmann::json::parse(line, nullptr, false);
  if (header->is_discarded() || !header->is_object()) {
    *error = "malformed message header";
    return false;
  }
  const uint64_t len = header->value("content_length", uint64_t{0});
  if (len > kMaxPushBytes) {
    *error = "content of " + std::to_string(len) + " bytes is over the 1 GiB limit";
    return false;
  }
  payload->resize(len);
  size_t got = 0;
  while (got < len) {
    const ssize_t r = read(fd, payload->data() + got, len - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      *error = "connection closed mid-content";
      return false;
    }
    got += static_cast<size_t>(r);
  }
  return true;
}

bool write_message(int fd, const nlohmann::json& header, std::string_view payload) {
  nlohmann::json h = header;
  if (!payload.empty()) h["content_length"] = payload.size();
  const std::string line = h.dump() + "\n";
  return write_all(fd, line.data(), line.size()) && write_all(fd, payload.data(), payload.size());
}

int connect_control_socket(const std::string& path, std::string* error) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    *error = path + ": socket path too long";
    close(fd);
    return -1;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = path + ": " + std::strerror(errno) +
             (errno == ENOENT || errno == ECONNREFUSED ? " (is `iocgate control` running?)"
              : errno == EACCES                         ? " (run as root or as a member of the iocgate group)"
                                                        : "");
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace iocgate
