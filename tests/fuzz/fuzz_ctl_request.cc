// Fuzz target: the control socket's request path as the server runs it — framing in pieces
// of any size, the typed request parser, the guarded dispatcher and the reply writer.
// Checks: nothing throws or crashes; every reply line is valid UTF-8 JSON with a boolean
// "ok"; what the parser accepts the encoder re-encodes to the same request.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "control/ctl_protocol.h"
#include "control/ctl_request.h"
#include "control/utf8_text.h"

namespace {

using nlohmann::json;
using iocgate::FrameReader;

void check_reply_line(const std::string& line) {
  if (line.empty() || line.back() != '\n') std::abort();
  if (iocgate::utf8_error_offset(line)) std::abort();
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean()) std::abort();
}

json handler(iocgate::CtlCall& call) {
  // Echoes content bytes into the reply (invalid UTF-8 on purpose) and throws for some.
  if (!call.content.empty() && call.content[0] == '!') throw std::runtime_error(call.content);
  if (!call.content.empty() && call.content[0] == '?') throw 1;
  return {{"ok", true}, {"cmd", iocgate::ctl_command_name(call.request)}, {"echo", call.content}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte sets the size of the pieces the bytes arrive in.
  const size_t piece = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  FrameReader reader(1024, 4096);
  std::optional<iocgate::CtlRequest> request;
  while (!input.empty()) {
    std::string_view p = input.substr(0, piece);
    const size_t used = reader.consume(p);
    input.remove_prefix(used);
    if (reader.state() == FrameReader::State::kHeaderDone) {
      iocgate::Result<iocgate::CtlRequest> r = iocgate::parse_ctl_request(reader.header());
      if (!r.ok()) {
        check_reply_line(iocgate::render_reply(iocgate::error_reply(r.message())));
        return 0;
      }
      iocgate::Result<json> again = iocgate::encode_ctl_request(*r);
      if (!again.ok()) std::abort();  // the encoder refuses what the parser took
      iocgate::Result<iocgate::CtlRequest> back = iocgate::parse_ctl_request(*again);
      if (!back.ok() || back->body.index() != r->body.index()) std::abort();
      if (*again != *iocgate::encode_ctl_request(*back)) std::abort();
      request = std::move(*r);
      reader.read_content();
    }
    if (reader.state() == FrameReader::State::kFailed) {
      if (iocgate::utf8_error_offset(reader.error())) std::abort();
      check_reply_line(iocgate::render_reply(iocgate::error_reply(reader.error())));
      return 0;
    }
    if (reader.state() == FrameReader::State::kDone) break;
    if (used == 0) std::abort();  // a reader that neither takes bytes nor ends would hang the server
  }
  if (reader.state() != FrameReader::State::kDone || !request) return 0;
  if (reader.content().size() != reader.content_length()) std::abort();
  iocgate::CtlCall call{std::move(*request), std::move(reader.content()), {}};
  check_reply_line(iocgate::render_reply(iocgate::dispatch_guarded(handler, call)));
  return 0;
}
