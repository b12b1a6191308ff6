// control/ctl_request.h — the requests iocctl sends, as typed structs: parsed from a request
// header with every field checked, encoded by iocctl, and run through one guarded dispatcher.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace iocgate {

// Unknown fields are refused, not ignored: a newer iocctl's flag (say --skip-refused) that
// this control process does not know must fail loudly instead of being silently dropped.
// To add a field: a member here and one line in its command's table in ctl_request.cc.

// Fields an operator may leave out of a re-push to keep the feed's current value are
// optional: absent is "keep", present (even "") is the new value.
struct FeedPushRequest {
  std::string name;                      // required
  std::optional<std::string> action;     // drop (for a new feed), mirror, alert, allow
  std::optional<std::string> advisory;
  std::optional<std::string> group;
  std::optional<std::string> expires;    // "" (never), YYYY-MM-DD or RFC 3339
  std::string source;                    // the file as the operator named it; the name when absent
  std::string format;                    // "" lets the content decide
  std::vector<std::string> force;
  bool confirm = false;
  bool skip_refused = false;             // take the feed minus what the guards refuse
  bool include_not_for_ids = false;      // also MISP to_ids=false, STIX without detection intent
  std::optional<std::string> role;       // "block" (a new feed's default) or "infected": own hosts to watch
};
struct FeedListRequest {};
struct FeedShowRequest {
  std::string name;    // required
  int64_t offset = 0;  // first entry shown
  int64_t limit = 1000;  // entries shown; 0: every one
};
struct FeedRemoveRequest {
  std::string name;  // required
};
struct StatusRequest {};
struct StatsRequest {};
struct ReportRequest {
  int64_t since_seconds = 86400;  // 0 to 100 years back from now; when since_ms is 0
  std::string feed;               // one more feed to keep (the first iocctl's --feed); "" for none
  int64_t since_ms = 0;           // the period's start, Unix ms (iocctl resolves dates); 0: since_seconds
  int64_t until_ms = 0;           // its end; 0: now
  std::vector<std::string> feeds;       // --feed, repeatable; unknown names are an error
  std::vector<std::string> advisories;  // --advisory
  std::vector<std::string> groups;      // --group
  std::vector<std::string> hosts;       // --host: addresses or CIDRs
  std::string utc_offset;               // "+07:00": the report's times read at this offset
};

// `iocctl explain VALUE`: every feed entry that covers an address, prefix, domain or URL,
// and the verdict of the table in force.
struct ExplainRequest {
  std::string value;  // required
};
// `iocctl ioc add FEED VALUE…` / `ioc remove FEED VALUE…`: single IoCs, each a publish.
struct IocAddRequest {
  std::string feed;                     // required; created (plain, drop) when missing
  std::vector<std::string> values;      // required
  std::optional<std::string> action;    // for a new feed
  std::vector<std::string> force;
};
struct IocRemoveRequest {
  std::string feed;                     // required
  std::vector<std::string> values;      // required
};

// `iocctl hunt (--feed NAME… | FILE…)`: the internal hosts whose past flows touched the IoCs
// of stored feeds, or of files sent as the request's content (each file's bytes in turn,
// `source_bytes` long, read by the feed parsers like a push). Times are what the operator
// wrote: a duration back from now ("30d") or a date/RFC 3339 time; "" until: now.
struct HuntRequest {
  std::vector<std::string> feeds;
  std::vector<std::string> sources;       // the files as the operator named them
  std::vector<std::string> source_bytes;  // their sizes, decimal, in order; sum = content_length
  std::string since = "30d";
  std::string until;
};

// `iocctl hits forget --feed NAME`: removes the review store's hits a feed decided (a mistaken
// feed's), recorded with who asked in the forget audit the report shows.
struct HitsForgetRequest {
  std::string feed;  // required
};

// The alternatives' order is the wire commands' order in ctl_request.cc.
using CtlRequestBody = std::variant<FeedPushRequest, FeedListRequest, FeedShowRequest, FeedRemoveRequest,
                                    StatusRequest, StatsRequest, ReportRequest, ExplainRequest, IocAddRequest,
                                    IocRemoveRequest, HuntRequest, HitsForgetRequest>;

struct CtlRequest {
  CtlRequestBody body;
  uint64_t content_length = 0;  // only feed.push carries content
};

// "feed.push", "status", ...
const char* ctl_command_name(const CtlRequest& request);

// Every field is type-checked; the error names it: "\"name\": expected a string, got a
// number". Strings are length-bounded and must be UTF-8. Never throws.
Result<CtlRequest> parse_ctl_request(const nlohmann::json& header) noexcept;

// The header iocctl sends. Refuses what the control process would refuse, naming iocctl's
// option: "--advisory: not valid UTF-8 (byte 0xE9 at offset 3); give it in UTF-8".
Result<nlohmann::json> encode_ctl_request(const CtlRequest& request) noexcept;

// Who is at the other end of the unix socket (SO_PEERCRED at accept).
struct CtlPeer {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
};

// A complete request as the server hands it over.
struct CtlCall {
  CtlRequest request;
  std::string content;  // content_length bytes
  CtlPeer peer;
};

// A handler returns a reply object with "ok" (and the results, or "error").
using CtlHandler = std::function<nlohmann::json(CtlCall&)>;

// Runs the handler and returns its reply, or an error reply for anything it throws
// (std::exception or not) or for a reply without a boolean "ok": no bug in a handler
// can end the process.
nlohmann::json dispatch_guarded(const CtlHandler& handler, CtlCall& call) noexcept;

// {"ok": false, "error": message}.
nlohmann::json error_reply(std::string_view message) noexcept;

// Longest "error" or "warning" a reply carries; longer ones are cut with their length noted.
inline constexpr size_t kMaxReplyMessageBytes = 16 * 1024;

// The reply line as sent: always valid UTF-8 (ill-formed bytes become U+FFFD), "error" and
// "warning" cut to kMaxReplyMessageBytes, newline-terminated. Never throws.
std::string render_reply(const nlohmann::json& reply) noexcept;

}  // namespace iocgate
