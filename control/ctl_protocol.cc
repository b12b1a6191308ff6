// control/ctl_protocol.cc — reading and writing framed messages on a stream socket.

#include "control/ctl_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/ctl_client.h"
#include "control/utf8_text.h"

namespace iocgate {

using nlohmann::json;

namespace {

// nlohmann's parse_error text without its "[json.exception.parse_error.101] " tag, cut to
// a readable length (its "last read" part quotes the input).
std::string parse_error_text(const std::exception& e) {
  std::string_view w = e.what();
  if (!w.empty() && w.front() == '[') {
    const size_t close = w.find("] ");
    if (close != std::string_view::npos) w.remove_prefix(close + 2);
  }
  return excerpt(w, 240);
}

int remaining_ms(CtlClock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - CtlClock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

// Waits for `events` on fd until the deadline; false when it passed.
bool wait_for(int fd, short events, CtlClock::time_point deadline) {
  for (;;) {
    const int ms = remaining_ms(deadline);
    if (ms == 0) return false;
    pollfd p{fd, events, 0};
    const int rc = poll(&p, 1, ms);
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return true;  // let the read or write report it
  }
}

}  // namespace

const char* json_type_name(const json& j) {
  if (j.is_number_float()) return "a fractional number";
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::binary: return "binary data";
    case json::value_t::discarded: return "nothing";
    default: return "a number";
  }
}


void FrameReader::fail(std::string why) {
  state_ = State::kFailed;
  error_ = std::move(why);
  line_.clear();
  line_.shrink_to_fit();
  content_.clear();
  content_.shrink_to_fit();
}

void FrameReader::parse_header() {
  try {
    header_ = json::parse(line_);
  } catch (const std::exception& e) {
    fail("the request header is not JSON: " + parse_error_text(e));
    return;
  }
  line_.clear();
  line_.shrink_to_fit();
  if (!header_.is_object()) {
    fail(std::string("the request header must be a JSON object, got ") + json_type_name(header_));
    return;
  }
  Result<uint64_t> len = content_length_field(header_, max_content_);
  if (!len.ok()) {
    fail(len.message());
    return;
  }
  content_length_ = *len;
  state_ = State::kHeaderDone;
}

size_t FrameReader::consume(std::string_view bytes) {
  if (state_ == State::kHeader) {
    const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
    const size_t take = nl ? static_cast<size_t>(static_cast<const char*>(nl) - bytes.data()) : bytes.size();
    if (line_.size() + take > max_header_) {
      fail("the request header line is over " + std::to_string(max_header_ / 1024) +
           " KiB (a header is one JSON line, then the content)");
      return take;
    }
    line_.append(bytes.data(), take);
    if (nl == nullptr) return take;
    parse_header();
    return take + 1;
  }
  if (state_ != State::kContent) return 0;
  const uint64_t want = content_length_ - content_.size();
  const size_t take = static_cast<size_t>(std::min<uint64_t>(want, bytes.size()));
  const size_t need = content_.size() + take;
  if (need > content_.capacity()) {
    // Grow with what arrived, at most to the announced length: a client that announces
    // 1 GiB and sends ten bytes holds ten bytes' worth.
    const size_t grown = std::max<size_t>({need, content_.capacity() * 2, size_t{64} * 1024});
    content_.reserve(static_cast<size_t>(std::min<uint64_t>(grown, content_length_)));
  }
  content_.append(bytes.data(), take);
  if (content_.size() == content_length_) state_ = State::kDone;
  return take;
}

void FrameReader::read_content() {
  if (state_ != State::kHeaderDone) return;
  state_ = content_length_ == 0 ? State::kDone : State::kContent;
}

Result<uint64_t> content_length_field(const json& header, uint64_t max_bytes) {
  const auto it = header.find("content_length");
  if (it == header.end()) return uint64_t{0};
  if (it->is_number_unsigned() || (it->is_number_integer() && it->get<int64_t>() >= 0)) {
    const uint64_t n = it->get<uint64_t>();
    if (n > max_bytes)
      return Status::error("\"content_length\": content of " + std::to_string(n) + " bytes is over the " +
                           (max_bytes == kMaxPushBytes ? std::string("1 GiB") : std::to_string(max_bytes) + " bytes") +
                           " limit");
    return n;
  }
  if (it->is_number_integer()) return Status::error("\"content_length\": must not be negative");
  return Status::error(std::string("\"content_length\": expected a whole number of bytes, got ") + json_type_name(*it));
}

std::string encode_header_line(const json& header, uint64_t content_length) {
  try {
    std::string line;
    if (content_length > 0 && header.is_object()) {
      json h = header;
      h["content_length"] = content_length;
      line = h.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      line = header.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    line += '\n';
    return line;
  } catch (...) {
    // Only an allocation failure gets here.
    return "{\"ok\":false,\"error\":\"out of memory while writing the message\"}\n";
  }
}

Status send_all(int fd, std::string_view bytes, CtlClock::time_point deadline) {
  while (!bytes.empty()) {
    const ssize_t w = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      bytes.remove_prefix(static_cast<size_t>(w));
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) return Status::error("the other side stopped reading (timed out sending)");
      continue;
    }
    return Status::error(std::string("sending: ") + (w < 0 ? std::strerror(errno) : "connection closed"));
  }
  return ok_status();
}

Result<Frame> receive_frame(int fd, CtlClock::time_point deadline, size_t max_header_bytes,
                            uint64_t max_content_bytes) {
  FrameReader reader(max_header_bytes, max_content_bytes);
  std::string buf(64 * 1024, '\0');
  std::string_view pending;
  for (;;) {
    while (!pending.empty()) {
      const size_t used = reader.consume(pending);
      pending.remove_prefix(used);
      if (reader.state() == FrameReader::State::kHeaderDone) reader.read_content();
      if (reader.state() == FrameReader::State::kFailed) return Status::error(reader.error());
      if (reader.state() == FrameReader::State::kDone) return Frame{reader.header(), std::move(reader.content())};
      if (used == 0) break;
    }
    if (reader.state() == FrameReader::State::kDone) return Frame{reader.header(), std::move(reader.content())};
    const ssize_t r = recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (r > 0) {
      pending = std::string_view(buf.data(), static_cast<size_t>(r));
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLIN, deadline)) return Status::error("no complete message before the deadline");
      continue;
    }
    if (r == 0)
      return Status::error(reader.state() == FrameReader::State::kHeader && reader.content_received() == 0
                               ? "connection closed before a message"
                               : "connection closed mid-message");
    return Status::error(std::string("receiving: ") + std::strerror(errno));
  }
}

}  // namespace iocgate
