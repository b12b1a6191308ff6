// control/report_cli.cc — options, times and output of `iocctl report` and `iocctl events`.

#include "control/report_cli.h"

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>

#include "control/event_follow.h"
#include "control/hit_store.h"
#include "control/review_report.h"

namespace iocgate {

namespace {

constexpr int kExitOk = 0, kExitRefused = 1, kExitUsage = 2;  // as iocctl_main.cc's kExit*

std::atomic<bool> g_follow_stop{false};
void on_follow_signal(int) { g_follow_stop.store(true); }

}  // namespace

void add_report_options(CLI::App* r, ReportCliOptions* o) {
  r->add_option("--since", o->since,
                "Start of the period: back from now (90m, 24h, 7d, 4w), a date (2024-06-24), a date and time "
                "(2024-06-24 13:00) or RFC 3339 (2024-06-24T13:00:00+07:00)")
      ->capture_default_str();
  r->add_option("--until", o->until, "End of the period, in the same forms (a date: the end of that day); default now");
  r->add_option("--feed", o->feeds, "Only hits of this feed (repeatable); an unknown name is an error");
  r->add_option("--advisory", o->advisories, "Only hits listed under this advisory, e.g. 941/CATTT-NCSC (repeatable)");
  r->add_option("--group", o->groups, "Only hits of this threat group, e.g. 'Mustang Panda' (repeatable)");
  r->add_option("--host", o->hosts, "Only this internal host: an address or a CIDR (repeatable)");
  r->add_option("--format", o->format, "text, csv, json or html (prints on A4 landscape)")
      ->check(CLI::IsMember({"text", "csv", "json", "html"}))
      ->capture_default_str();
  r->add_option("--lang", o->lang, "Language of the text and HTML report: en or vi (Vietnamese)")
      ->check(CLI::IsMember({"en", "vi"}))
      ->capture_default_str();
  r->add_option("--utc-offset", o->utc_offset,
                "Show times at this UTC offset, e.g. +07:00; dates given without an offset are read at it too");
  r->add_option("-o,--output", o->output, "Write to this file instead of standard output");
  r->add_option("--state-dir", o->state_dir,
                "Read the review store of this state directory directly (the control process may be down)");
}

Result<ReportRequest> report_request(const ReportCliOptions& o, int64_t now_ms) {
  Result<Lang> lang = parse_lang(o.lang);
  if (!lang.ok()) return Status::error("--lang " + lang.message());
  Result<int> off = parse_utc_offset(o.utc_offset);
  if (!off.ok()) return Status::error("--utc-offset " + off.message());
  ReportRequest req;
  Result<int64_t> since = parse_report_time(o.since, now_ms, *off, false);
  if (!since.ok()) return Status::error("--since " + since.message());
  req.since_ms = std::max<int64_t>(1, *since);  // 0 on the wire means "since_seconds"
  if (!o.until.empty()) {
    Result<int64_t> until = parse_report_time(o.until, now_ms, *off, true);
    if (!until.ok()) return Status::error("--until " + until.message());
    req.until_ms = std::max<int64_t>(1, *until);
    if (req.until_ms < req.since_ms) return Status::error("--until is before --since: the period is empty");
  }
  req.feeds = o.feeds;
  req.advisories = o.advisories;
  req.groups = o.groups;
  req.hosts = o.hosts;
  req.utc_offset = o.utc_offset;
  return req;
}

int write_report(const nlohmann::json& report, const ReportCliOptions& o) {
  const Result<Lang> lang = parse_lang(o.lang);
  const RenderOptions r{lang.ok() ? *lang : Lang::kEn};
  std::string text;
  if (o.format == "json") text = report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  else if (o.format == "csv") text = render_report_csv(report, r);
  else if (o.format == "html") text = render_report_html(report, r);
  else text = render_report_text(report, r);
  if (o.output.empty() || o.output == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitUsage;
  }
  std::ofstream out(o.output, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) {
    fmt::print(stderr, "iocctl: {}: cannot write the report\n", o.output);
    return kExitUsage;
  }
  return kExitOk;
}

ReportCatalog catalog_from_state_dir(const std::string& state_dir) {
  ReportCatalog c;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state_dir + "/feeds", ec)) {
    if (e.path().extension() != ".json" || e.path().filename().string().front() == '.') continue;
    ReportCatalog::Feed f;
    f.name = e.path().stem().string();
    // Only the names matter here: a damaged file still names its feed.
    std::ifstream in(e.path(), std::ios::binary);
    const nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
    if (m.is_object()) {
      if (m.contains("advisory") && m["advisory"].is_string()) f.advisory = m["advisory"].get<std::string>();
      if (m.contains("group") && m["group"].is_string()) f.group = m["group"].get<std::string>();
    }
    c.current.push_back(std::move(f));
  }
  c.seen = read_hit_names(state_dir + "/events");
  c.forgotten = read_forget_audit(state_dir + "/events");
  return c;
}

int report_from_state_dir(const ReportCliOptions& o, int64_t now_ms, const std::string& instance) {
  Result<ReportRequest> req = report_request(o, now_ms);
  if (!req.ok()) {
    fmt::print(stderr, "iocctl: {}\n", req.message());
    return kExitUsage;
  }
  Result<ReportQuery> q = report_query_of(*req, now_ms, instance);
  if (!q.ok()) {
    fmt::print(stderr, "iocctl: {}\n", q.message());
    return kExitUsage;
  }
  Result<nlohmann::json> rep = build_review_report_from_files(o.state_dir + "/events", *q, catalog_from_state_dir(o.state_dir));
  if (!rep.ok()) {
    fmt::print(stderr, "iocctl: {}\n", rep.message());
    return kExitRefused;
  }
  return write_report(*rep, o);
}

void add_events_options(CLI::App* ev, EventsCliOptions* o) {
  ev->add_flag("--follow,-f", o->follow, "Print events as they are logged, across log rotations (as tail -F)")
      ->required();
  ev->add_option("--feed", o->feeds, "Only events of this feed (repeatable)");
  ev->add_flag("--json", o->json, "Print the log's JSON lines as they are");
  ev->add_flag("--from-start", o->from_start, "Begin with the lines already in the current log file");
}

int run_events_follow(const EventsCliOptions& o, const std::string& events_path, uint32_t keep) {
  if (events_path.empty()) {
    fmt::print(stderr, "iocctl: the appliance writes no event log ([events] path is empty)\n");
    return kExitUsage;
  }
  FollowOptions f;
  f.path = events_path;
  f.feeds = o.feeds;
  f.json = o.json;
  f.from_start = o.from_start;
  f.keep = keep;
  std::signal(SIGINT, on_follow_signal);
  std::signal(SIGTERM, on_follow_signal);
  return follow_events(f, stdout, g_follow_stop) == 0 ? kExitOk : kExitRefused;
}

}  // namespace iocgate
