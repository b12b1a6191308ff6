// control/ctl_request.cc — one table of fields per command drives both the parser (control
// process) and the encoder (iocctl), so the two cannot disagree on a type or a limit.

#include "control/ctl_request.h"

#include <array>
#include <span>

#include "control/ctl_protocol.h"
#include "control/utf8_text.h"

namespace iocgate {

using nlohmann::json;

namespace {

constexpr std::array<const char*, std::variant_size_v<CtlRequestBody>> kCommandNames = {
    "feed.push", "feed.list", "feed.show", "feed.remove", "status", "stats", "report", "explain", "ioc.add",
    "ioc.remove", "hunt", "hits.forget"};

template <class T>
using Member = std::variant<std::string T::*, std::optional<std::string> T::*, bool T::*, int64_t T::*,
                            std::vector<std::string> T::*>;

template <class T>
struct Field {
  const char* key;     // on the wire
  const char* option;  // as iocctl spells it, for the encoder's errors
  Member<T> member;
  bool required = false;
  size_t max_bytes = 0;   // a string, or each element of a list
  size_t max_items = 0;   // a list
  int64_t max_value = 0;  // an integer, from 0
};

constexpr int64_t kHundredYears = int64_t{100} * 366 * 86400;
constexpr int64_t kYear9999Ms = int64_t{253402300799999};  // 9999-12-31T23:59:59.999Z

template <class T>
std::span<const Field<T>> fields_of() {
  return {};
}
template <>
std::span<const Field<FeedPushRequest>> fields_of() {
  using R = FeedPushRequest;
  static const Field<R> f[] = {
      {"name", "--name", &R::name, true, 256},
      {"action", "--action", &R::action, false, 16},
      {"advisory", "--advisory", &R::advisory, false, 1024},
      {"group", "--group", &R::group, false, 1024},
      {"expires", "--expires", &R::expires, false, 64},
      {"source", "FILE", &R::source, false, 4096},
      {"format", "--format", &R::format, false, 64},
      {"force", "--force", &R::force, false, 1024, 4096},
      {"confirm", "--confirm", &R::confirm},
      {"skip_refused", "--skip-refused", &R::skip_refused},
      {"include_not_for_ids", "--include-not-for-ids", &R::include_not_for_ids},
      {"role", "--role", &R::role, false, 16},
  };
  return f;
}
template <>
std::span<const Field<FeedShowRequest>> fields_of() {
  using R = FeedShowRequest;
  static const Field<R> f[] = {{"name", "NAME", &R::name, true, 256},
                               {"offset", "--offset", &R::offset, false, 0, 0, int64_t{1} << 32},
                               {"limit", "--limit", &R::limit, false, 0, 0, int64_t{1} << 32}};
  return f;
}
template <>
std::span<const Field<FeedRemoveRequest>> fields_of() {
  static const Field<FeedRemoveRequest> f[] = {{"name", "NAME", &FeedRemoveRequest::name, true, 256}};
  return f;
}
template <>
std::span<const Field<ReportRequest>> fields_of() {
  using R = ReportRequest;
  static const Field<R> f[] = {
      {"since_seconds", "--since", &R::since_seconds, false, 0, 0, kHundredYears},
      {"feed", "--feed", &R::feed, false, 256},
      {"since_ms", "--since", &R::since_ms, false, 0, 0, kYear9999Ms},
      {"until_ms", "--until", &R::until_ms, false, 0, 0, kYear9999Ms},
      {"feeds", "--feed", &R::feeds, false, 256, 256},
      {"advisories", "--advisory", &R::advisories, false, 1024, 256},
      {"groups", "--group", &R::groups, false, 1024, 256},
      {"hosts", "--host", &R::hosts, false, 64, 1024},
      {"utc_offset", "--utc-offset", &R::utc_offset, false, 8},
  };
  return f;
}

template <>
std::span<const Field<ExplainRequest>> fields_of() {
  static const Field<ExplainRequest> f[] = {{"value", "VALUE", &ExplainRequest::value, true, 4096}};
  return f;
}
template <>
std::span<const Field<IocAddRequest>> fields_of() {
  using R = IocAddRequest;
  static const Field<R> f[] = {
      {"feed", "FEED", &R::feed, true, 256},
      {"values", "VALUE", &R::values, true, 4096, 10000},
      {"action", "--action", &R::action, false, 16},
      {"force", "--force", &R::force, false, 1024, 4096},
  };
  return f;
}
template <>
std::span<const Field<IocRemoveRequest>> fields_of() {
  using R = IocRemoveRequest;
  static const Field<R> f[] = {
      {"feed", "FEED", &R::feed, true, 256},
      {"values", "VALUE", &R::values, true, 4096, 10000},
  };
  return f;
}

template <>
std::span<const Field<HitsForgetRequest>> fields_of() {
  static const Field<HitsForgetRequest> f[] = {{"feed", "--feed", &HitsForgetRequest::feed, true, 256}};
  return f;
}

template <>
std::span<const Field<HuntRequest>> fields_of() {
  using R = HuntRequest;
  static const Field<R> f[] = {
      {"feeds", "--feed", &R::feeds, false, 256, 1024},
      {"sources", "FILE", &R::sources, false, 4096, 1024},
      {"source_bytes", "FILE", &R::source_bytes, false, 20, 1024},
      {"since", "--since", &R::since, false, 64},
      {"until", "--until", &R::until, false, 64},
  };
  return f;
}

// Why a string may not be a field's value, or "" when it may.
std::string text_problem(std::string_view s, size_t max_bytes) {
  if (s.size() > max_bytes)
    return std::to_string(s.size()) + " bytes, over the limit of " + std::to_string(max_bytes);
  std::string bad = utf8_problem(s);
  if (!bad.empty()) return bad;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      static const char kHex[] = "0123456789ABCDEF";
      return std::string("contains a control character (0x") + kHex[c >> 4] + kHex[c & 15] + " at offset " +
             std::to_string(i) + ")";
    }
  }
  return {};
}

std::string quoted(std::string_view key) { return "\"" + std::string(key) + "\""; }

template <class T>
std::string known_fields() {
  std::string s;
  for (const Field<T>& f : fields_of<T>()) s += (s.empty() ? "" : ", ") + std::string(f.key);
  return s.empty() ? "it takes none" : "it takes " + s;
}

// Checks one present field and stores it; "" or the reason (without the field's name).
template <class T>
std::string read_field(const Field<T>& f, const json& v, T* out) {
  struct Visitor {
    const Field<T>& f;
    const json& v;
    T* out;
    std::string operator()(std::string T::*m) const {
      if (!v.is_string()) return std::string("expected a string, got ") + json_type_name(v);
      const auto& s = v.get_ref<const std::string&>();
      std::string bad = text_problem(s, f.max_bytes);
      if (!bad.empty()) return bad;
      out->*m = s;
      return {};
    }
    std::string operator()(std::optional<std::string> T::*m) const {
      if (!v.is_string()) return std::string("expected a string, got ") + json_type_name(v);
      const auto& s = v.get_ref<const std::string&>();
      std::string bad = text_problem(s, f.max_bytes);
      if (!bad.empty()) return bad;
      out->*m = s;
      return {};
    }
    std::string operator()(bool T::*m) const {
      if (!v.is_boolean()) return std::string("expected true or false, got ") + json_type_name(v);
      out->*m = v.get<bool>();
      return {};
    }
    std::string operator()(int64_t T::*m) const {
      if (v.is_number_float()) return "expected a whole number, got a fractional number";
      if (!v.is_number()) return std::string("expected a number, got ") + json_type_name(v);
      if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0) return "must not be negative";
      const uint64_t n = v.get<uint64_t>();
      if (n > static_cast<uint64_t>(f.max_value))
        return std::to_string(n) + " is over the limit of " + std::to_string(f.max_value);
      out->*m = static_cast<int64_t>(n);
      return {};
    }
    std::string operator()(std::vector<std::string> T::*m) const {
      if (!v.is_array()) return std::string("expected a list of strings, got ") + json_type_name(v);
      if (v.size() > f.max_items)
        return std::to_string(v.size()) + " entries, over the limit of " + std::to_string(f.max_items);
      std::vector<std::string> items;
      items.reserve(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        const json& e = v[i];
        if (!e.is_string()) return "entry " + std::to_string(i) + ": expected a string, got " + json_type_name(e);
        std::string bad = text_problem(e.get_ref<const std::string&>(), f.max_bytes);
        if (!bad.empty()) return "entry " + std::to_string(i) + ": " + bad;
        items.push_back(e.get<std::string>());
      }
      out->*m = std::move(items);
      return {};
    }
  };
  return std::visit(Visitor{f, v, out}, f.member);
}

template <class T>
Result<CtlRequestBody> parse_body(const json& h, const char* cmd) {
  T out;
  const auto fields = fields_of<T>();
  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& key = it.key();
    if (key == "cmd" || key == "content_length") continue;
    bool known = false;
    for (const Field<T>& f : fields) known = known || key == f.key;
    if (!known)
      return Status::error("unknown field \"" + excerpt(key, 64) + "\" for " + cmd + " (" + known_fields<T>() +
                           "); is iocctl newer than the control process?");
  }
  for (const Field<T>& f : fields) {
    const auto it = h.find(f.key);
    if (it == h.end()) {
      if (f.required) return Status::error(quoted(f.key) + ": missing (" + cmd + " needs it)");
      continue;
    }
    std::string bad = read_field(f, *it, &out);
    if (bad.empty() && f.required && it->is_string() && it->template get_ref<const std::string&>().empty())
      bad = "must not be empty";
    if (bad.empty() && f.required && it->is_array() && it->empty()) bad = "must not be empty";
    if (!bad.empty()) return Status::error(quoted(f.key) + ": " + bad);
  }
  if constexpr (std::is_same_v<T, FeedPushRequest>) {
    if (out.source.empty()) out.source = out.name;
  }
  if constexpr (std::is_same_v<T, HuntRequest>) {
    if (out.feeds.empty() == out.sources.empty())
      return Status::error("\"feeds\", \"sources\": give feed names or files to hunt for, not both and not neither");
    if (out.sources.size() != out.source_bytes.size())
      return Status::error("\"source_bytes\": one size per entry of \"sources\"");
    for (const std::string& b : out.source_bytes)
      if (b.empty() || b.size() > 12 || b.find_first_not_of("0123456789") != std::string::npos)
        return Status::error("\"source_bytes\": '" + excerpt(b, 24) + "' is not a size in bytes");
  }
  return CtlRequestBody(std::move(out));
}

// The wire index of a request type (its place in CtlRequestBody).
template <class T, size_t I = 0>
constexpr size_t alternative_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, CtlRequestBody>, T>) return I;
  else return alternative_index<T, I + 1>();
}

template <size_t I = 0>
Result<CtlRequestBody> parse_command(size_t index, const json& h) {
  if constexpr (I < std::variant_size_v<CtlRequestBody>) {
    if (index == I) return parse_body<std::variant_alternative_t<I, CtlRequestBody>>(h, kCommandNames[I]);
    return parse_command<I + 1>(index, h);
  } else {
    return Status::error("no such command (a bug)");
  }
}

std::string command_list() {
  std::string s;
  for (const char* c : kCommandNames) s += (s.empty() ? "" : ", ") + std::string(c);
  return s;
}

template <class T>
Result<json> encode_body(const T& body, const char* cmd) {
  json h = {{"cmd", cmd}};
  for (const Field<T>& f : fields_of<T>()) {
    std::string bad;
    std::visit(
        [&](auto m) {
          using M = std::decay_t<decltype(body.*m)>;
          const M& v = body.*m;
          if constexpr (std::is_same_v<M, std::string>) {
            bad = text_problem(v, f.max_bytes);
            if (f.required && v.empty()) bad = "must not be empty";
            if (bad.empty() && (f.required || !v.empty())) h[f.key] = v;
          } else if constexpr (std::is_same_v<M, std::optional<std::string>>) {
            if (v.has_value()) {
              bad = text_problem(*v, f.max_bytes);
              if (bad.empty()) h[f.key] = *v;
            }
          } else if constexpr (std::is_same_v<M, bool>) {
            if (v) h[f.key] = true;
          } else if constexpr (std::is_same_v<M, int64_t>) {
            if (v < 0) bad = "must not be negative";
            else if (v > f.max_value) bad = "over the limit of " + std::to_string(f.max_value);
            else h[f.key] = v;
          } else {
            if (v.size() > f.max_items)
              bad = std::to_string(v.size()) + " given, over the limit of " + std::to_string(f.max_items);
            if (f.required && v.empty()) bad = "give at least one";
            for (size_t i = 0; bad.empty() && i < v.size(); ++i) {
              bad = text_problem(v[i], f.max_bytes);
              if (!bad.empty()) bad = "'" + excerpt(v[i], 60) + "': " + bad;
            }
            if (bad.empty() && !v.empty()) h[f.key] = v;
          }
        },
        f.member);
    if (!bad.empty()) {
      if (bad.find("UTF-8") != std::string::npos) bad += "; give it in UTF-8";
      return Status::error(std::string(f.option) + ": " + bad);
    }
  }
  return h;
}

}  // namespace

const char* ctl_command_name(const CtlRequest& request) { return kCommandNames[request.body.index()]; }

Result<CtlRequest> parse_ctl_request(const json& header) noexcept {
  try {
    if (!header.is_object()) return Status::error(std::string("the request must be a JSON object, got ") + json_type_name(header));
    const auto cmd = header.find("cmd");
    if (cmd == header.end()) return Status::error("\"cmd\": missing (one of " + command_list() + ")");
    if (!cmd->is_string()) return Status::error(std::string("\"cmd\": expected a string, got ") + json_type_name(*cmd));
    const std::string& name = cmd->get_ref<const std::string&>();
    size_t index = kCommandNames.size();
    for (size_t i = 0; i < kCommandNames.size(); ++i)
      if (name == kCommandNames[i]) index = i;
    if (index == kCommandNames.size())
      return Status::error("\"cmd\": unknown command '" + excerpt(name, 64) + "' (one of " + command_list() + ")");
    Result<uint64_t> len = content_length_field(header);
    if (!len.ok()) return len.status();
    constexpr size_t kHunt = alternative_index<HuntRequest>();
    if (*len > 0 && index != 0 && index != kHunt)
      return Status::error(std::string("\"content_length\": only feed.push carries content (and hunt its files), not ") +
                           kCommandNames[index]);
    Result<CtlRequestBody> body = parse_command(index, header);
    if (!body.ok()) return body.status();
    if (const auto* h = std::get_if<HuntRequest>(&*body)) {
      uint64_t sum = 0;
      for (const std::string& b : h->source_bytes) sum += std::stoull(b);  // digits, checked in parse_body
      if (sum != *len)
        return Status::error("\"source_bytes\": the files' sizes add up to " + std::to_string(sum) +
                             ", not the content_length " + std::to_string(*len));
    }
    return CtlRequest{std::move(*body), *len};
  } catch (const std::exception& e) {
    // Only allocation failures are expected here; the message says what happened anyway.
    return Status::error(std::string("cannot read the request: ") + excerpt(e.what(), 200));
  }
}

Result<json> encode_ctl_request(const CtlRequest& request) noexcept {
  try {
    return std::visit(
        [&](const auto& body) { return encode_body(body, kCommandNames[request.body.index()]); }, request.body);
  } catch (const std::exception& e) {
    return Status::error(std::string("cannot build the request: ") + excerpt(e.what(), 200));
  }
}

json error_reply(std::string_view message) noexcept {
  try {
    return {{"ok", false}, {"error", std::string(message)}};
  } catch (...) {
    return json();  // render_reply turns a non-object into its fixed error line
  }
}

json dispatch_guarded(const CtlHandler& handler, CtlCall& call) noexcept {
  const char* cmd = ctl_command_name(call.request);
  const std::string tail = " (a bug in the control process, which carries on; check `iocctl status`)";
  try {
    try {
      json reply = handler(call);
      if (!reply.is_object()) return error_reply(std::string("internal error: ") + cmd + " returned no reply" + tail);
      const auto ok = reply.find("ok");
      if (ok == reply.end() || !ok->is_boolean())
        return error_reply(std::string("internal error: ") + cmd + "'s reply has no \"ok\"" + tail);
      return reply;
    } catch (const std::exception& e) {
      return error_reply(std::string("internal error in ") + cmd + ": " + excerpt(e.what(), 400) + tail);
    } catch (...) {
      return error_reply(std::string("internal error in ") + cmd + ": an unknown exception" + tail);
    }
  } catch (...) {
    return json();  // building the message itself failed (out of memory)
  }
}

std::string render_reply(const json& reply) noexcept {
  static const char kFallback[] = "{\"ok\":false,\"error\":\"internal error: the reply could not be written\"}\n";
  try {
    const auto ok = reply.is_object() ? reply.find("ok") : reply.end();
    if (!reply.is_object() || ok == reply.end() || !ok->is_boolean()) return kFallback;
    bool too_long = false;
    for (const char* key : {"error", "warning"}) {
      const auto it = reply.find(key);
      too_long = too_long || (it != reply.end() && it->is_string() && it->get_ref<const std::string&>().size() > kMaxReplyMessageBytes);
    }
    std::string line;
    if (too_long) {
      json cut = reply;
      for (const char* key : {"error", "warning"}) {
        const auto it = cut.find(key);
        if (it != cut.end() && it->is_string()) *it = truncate_text(it->get_ref<const std::string&>(), kMaxReplyMessageBytes);
      }
      line = cut.dump(-1, ' ', false, json::error_handler_t::replace);
    } else {
      line = reply.dump(-1, ' ', false, json::error_handler_t::replace);
    }
    line += '\n';
    return line;
  } catch (...) {
    return kFallback;
  }
}

}  // namespace iocgate
