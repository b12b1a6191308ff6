// control/ctl_client.cc — the blocking client calls of iocctl, each bounded by a deadline.

#include "control/ctl_client.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "control/ctl_protocol.h"
#include "control/utf8_text.h"

namespace iocgate {

using nlohmann::json;

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    const int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

const char* file_kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::chrono::milliseconds default_deadline(const CtlRequest& request) {
  // A push also looks back through the flow history; a hunt reads all of it.
  return std::holds_alternative<FeedPushRequest>(request.body) || std::holds_alternative<FeedRemoveRequest>(request.body) ||
                 std::holds_alternative<HuntRequest>(request.body)
             ? kCtlPushDeadline
             : kCtlReplyDeadline;
}

Result<int> connect_control_socket(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return Status::error(path + ": socket path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const auto deadline = CtlClock::now() + timeout;
  for (;;) {
    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd.get() < 0) return Status::error(std::string("socket: ") + std::strerror(errno));
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd.release();
    const int err = errno;
    // A unix socket's non-blocking connect fails with EAGAIN while the backlog is full.
    if ((err == EAGAIN || err == EINTR) && CtlClock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (err == EAGAIN)
      return Status::error(path + ": the control process accepts no connection (its backlog stayed full for " +
                           std::to_string(timeout.count() / 1000) + " s)");
    return Status::error(path + ": " + std::strerror(err) +
                         (err == ENOENT || err == ECONNREFUSED ? " (is `iocgate control` running?)"
                          : err == EACCES                       ? " (run as root or as a member of the iocgate group)"
                                                                : ""));
  }
}

Result<json> call_control(const std::string& socket_path, const CtlRequest& request, std::string_view content,
                          std::chrono::milliseconds deadline) {
  Result<json> header = encode_ctl_request(request);
  if (!header.ok()) return header.status();
  if (content.size() > kMaxPushBytes)
    return Status::error("the content is " + std::to_string(content.size()) + " bytes, over the 1 GiB push limit");
  const auto until = CtlClock::now() + deadline;
  Result<int> fd_or = connect_control_socket(socket_path, std::min(deadline, kCtlConnectTimeout));
  if (!fd_or.ok()) return fd_or.status();
  Fd fd(*fd_or);
  const std::string line = encode_header_line(*header, content.size());
  Status sent = send_all(fd.get(), line, until);
  if (sent.ok()) sent = send_all(fd.get(), content, until);
  // Even when sending failed the server may have answered (a refusal before the content):
  // its reply says more than "broken pipe".
  Result<Frame> reply = receive_frame(fd.get(), sent.ok() ? until : std::min(until, CtlClock::now() + std::chrono::seconds(2)),
                                      kMaxReplyBytes, 0);
  if (!reply.ok()) {
    const std::string what = sent.ok() ? reply.message() : sent.message();
    const bool late = what.find("deadline") != std::string::npos || what.find("timed out") != std::string::npos;
    return Status::error(socket_path + ": " + what +
                         (late ? " (no reply within " + std::to_string(deadline.count() / 1000) +
                                     " s; the control process may be busy with a push)"
                               : ""));
  }
  const auto ok = reply->header.find("ok");
  if (ok == reply->header.end() || !ok->is_boolean())
    return Status::error(socket_path + ": the reply has no \"ok\" (is this an iocgate control socket?)");
  return std::move(reply->header);
}

Result<PushFile> read_push_file(const std::string& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  const std::string label = excerpt(path, 4000);
  if (fd.get() < 0) return Status::error(label + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Status::error(label + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::error(label + ": " + file_kind(st.st_mode) + "; push a regular file");
  if (static_cast<uint64_t>(st.st_size) > kMaxPushBytes)
    return Status::error(label + ": " + std::to_string(st.st_size) + " bytes, over the 1 GiB push limit");
  PushFile out;
  out.source = label;
  out.content.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.content.size()) {
      // The file may have grown since fstat: read on, within the limit.
      if (out.content.size() >= kMaxPushBytes + 1) break;
      out.content.resize(std::min<size_t>(kMaxPushBytes + 1, out.content.size() + 64 * 1024));
    }
    const ssize_t r = read(fd.get(), out.content.data() + got, out.content.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::error(label + ": " + std::strerror(errno));
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  out.content.resize(got);
  if (got > kMaxPushBytes) return Status::error(label + ": grew over the 1 GiB push limit while being read");
  return out;
}

}  // namespace iocgate
