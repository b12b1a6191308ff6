// control/ctl_protocol.h — the framing between iocctl and the control process on the unix
// socket: one JSON line, then `content_length` raw bytes (a feed's content). Replies are one
// JSON line with "ok" and either the result or "error".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace iocgate {

// A feed pushed over the socket may be at most this large.
inline constexpr size_t kMaxPushBytes = 1ULL << 30;
// A request's header line: the largest legitimate one (a push with a few hundred --force
// entries) is a few KiB.
inline constexpr size_t kMaxHeaderBytes = 64 * 1024;
// A reply line as iocctl accepts it (a review report of a busy week is some MiB).
inline constexpr size_t kMaxReplyBytes = 256ULL << 20;

using CtlClock = std::chrono::steady_clock;

// Takes one message in whatever pieces the socket delivers, with memory bounded by what
// actually arrived: the header line by max_header_bytes, the content by the bytes received
// (never by what content_length announces). It stops after the header (kHeaderDone) so the
// caller can judge the request before accepting content, and after the content (kDone).
class FrameReader {
 public:
  enum class State { kHeader, kHeaderDone, kContent, kDone, kFailed };

  explicit FrameReader(size_t max_header_bytes = kMaxHeaderBytes, uint64_t max_content_bytes = kMaxPushBytes)
      : max_header_(max_header_bytes), max_content_(max_content_bytes) {}

  // Consumes a prefix of bytes and returns its length: less than all when the header or the
  // message ended inside them, 0 in kHeaderDone, kDone and kFailed.
  size_t consume(std::string_view bytes);
  // From kHeaderDone: go on to the content (kContent, or kDone when content_length is 0).
  void read_content();

  State state() const { return state_; }
  const nlohmann::json& header() const { return header_; }  // an object, from kHeaderDone
  uint64_t content_length() const { return content_length_; }
  uint64_t content_received() const { return content_.size(); }
  std::string& content() { return content_; }
  const std::string& error() const { return error_; }  // why kFailed; short and UTF-8

 private:
  void fail(std::string why);
  void parse_header();

  size_t max_header_;
  uint64_t max_content_;
  State state_ = State::kHeader;
  std::string line_;
  nlohmann::json header_;
  uint64_t content_length_ = 0;
  std::string content_;
  std::string error_;
};

// How an error message names a JSON value's type: "a string", "an array", "a fractional number".
const char* json_type_name(const nlohmann::json& j);

// The header's "content_length": absent is 0; anything but a whole number from 0 to
// max_bytes is an error naming the field.
Result<uint64_t> content_length_field(const nlohmann::json& header, uint64_t max_bytes = kMaxPushBytes);

// The header line as sent: compact JSON, ill-formed UTF-8 replaced (dump never throws for
// it), "content_length" set when there is content, and the newline.
std::string encode_header_line(const nlohmann::json& header, uint64_t content_length);

// Blocking helpers with one deadline for the whole exchange; the fd may be blocking or not.
Status send_all(int fd, std::string_view bytes, CtlClock::time_point deadline);
struct Frame {
  nlohmann::json header;
  std::string content;
};
Result<Frame> receive_frame(int fd, CtlClock::time_point deadline, size_t max_header_bytes = kMaxHeaderBytes,
                            uint64_t max_content_bytes = kMaxPushBytes);

}  // namespace iocgate
