// control/iocctl_main.cc — `iocctl`, the operator's command for a running appliance: push,
// list, show and remove feeds, read the status and the counters, and produce the advisory
// review report. Talks to `iocgate control` over its unix socket; every command has --json.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/cli_conventions.h"
#include "config/appliance_config.h"
#include "feeds/ioc.h"
#include "control/ctl_client.h"
#include "control/ctl_protocol.h"
#include "control/ctl_request.h"
#include "control/hit_store.h"
#include "control/report_cli.h"
#include "control/hunt_output.h"
#include "control/review_report.h"

namespace {

using nlohmann::json;

std::string age(int64_t seconds) {
  if (seconds < 120) return fmt::format("{} s", seconds);
  if (seconds < 7200) return fmt::format("{} min", seconds / 60);
  if (seconds < 172800) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} days", seconds / 86400);
}

std::string date(int64_t unix_time) {
  if (unix_time == 0) return "never";
  char buf[32];
  const std::time_t t = unix_time;
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
  return buf;
}

void print_feed_line(const json& f) {
  fmt::print("{:<24} {:<6} {:<9} {:>8}  {}{}{}\n", f.value("name", ""), f.value("action", ""),
             f.value("format", ""), f.value("iocs", 0), f.value("by_kind", ""),
             f.value("advisory", "").empty() ? "" : "  [" + f.value("advisory", "") + "]",
             std::string(f.value("expired", false) ? "  EXPIRED" : "") + (f.value("degraded", false) ? "  DEGRADED" : ""));
}

// Exit codes (docs/APPLIANCE.md "Exit codes"): kept stable for scripts.
constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;        // the control process refused the request
constexpr int kExitUsage = 2;          // bad arguments or local input
constexpr int kExitUnreachable = 3;    // no control process answers on the socket
constexpr int kExitDataplaneDown = 4;  // status: the dataplane is not running; push: published, not enforced
constexpr int kExitFailClosed = 5;     // status: no valid table, the dataplane drops everything
constexpr int kExitLagging = 6;        // status: a worker is not alive or not on the published generation
constexpr int kExitDegraded = 7;       // status: a feed's stored copy is damaged (carried from the last table)
constexpr int kExitPending = 8;        // status: the last publish failed (e.g. a full state disk)

int status_exit_code(const std::string& state) {
  if (state == "enforcing") return kExitOk;
  if (state == "dataplane-down") return kExitDataplaneDown;
  if (state == "fail-closed") return kExitFailClosed;
  if (state == "lagging") return kExitLagging;
  if (state == "feeds-degraded") return kExitDegraded;
  if (state == "publish-pending") return kExitPending;
  return kExitRefused;
}

void print_publish(const json& r) {
  if (!r.value("enforced", false)) {
    fmt::print("generation {} published but NOT enforced yet (compiled in {:.1f} ms)\n", r.value("generation", 0),
               r.value("compile_seconds", 0.0) * 1e3);
  } else {
    fmt::print("generation {} enforced by every worker in {:.1f} ms (compiled in {:.1f} ms)\n", r.value("generation", 0),
               r.value("enforce_seconds", 0.0) * 1e3, r.value("compile_seconds", 0.0) * 1e3);
  }
  const json& t = r.at("table");
  fmt::print("table: {} IPv4, {} IPv6, {} domains\n", t.value("ipv4", 0), t.value("ipv6", 0), t.value("domains", 0));
}

void print_explain(const json& r) {
  const json& v = r.at("verdict");
  fmt::print("{} (read as {} {}): {}\n", r.value("value", ""), r.value("kind", ""), r.value("read_as", ""),
             v.value("action", "none"));
  fmt::print("  verdict of table generation {}: {}{}\n", r.value("generation", 0), v.value("why", ""),
             v.value("entry", "").empty() ? "" : " [" + v.value("entry", "") + "]");
  if (r.at("covering").empty()) fmt::print("  no feed lists it or anything covering it\n");
  for (const json& c : r.at("covering")) {
    fmt::print("  {:<28} {} line {}{}: {}{}{}\n", c.value("entry", ""), c.value("feed", ""), c.value("line", 0),
               c.value("decides", false) ? " (decides)" : "", c.value("action", ""),
               c.value("advisory", "").empty() ? "" : ", advisory " + c.value("advisory", ""),
               c.value("group", "").empty() ? "" : ", group " + c.value("group", ""));
    if (c.contains("written")) fmt::print("      as written: {}\n", c.value("written", ""));
    if (c.contains("label")) fmt::print("      label: {}\n", c.value("label", ""));
    if (c.value("expires_unix", int64_t{0}) != 0)
      fmt::print("      expires {}{}\n", date(c.value("expires_unix", int64_t{0})), c.value("expired", false) ? " (expired)" : "");
  }
}

void print_stats(const json& r) {
  const json& c = r.at("counters");
  fmt::print("dataplane:  {}; table generation {} published, {} active\n",
             r.value("dataplane_running", false) ? "running" : "NOT RUNNING", r.at("generation").value("published", 0),
             r.at("generation").value("active", 0));
  fmt::print("packets:    {} received, {} forwarded, {} dropped, {} mirrored, {} alerted, {} allowed\n",
             c.value("rx_packets", 0), c.value("tx_packets", 0), c.value("dropped_packets", 0),
             c.value("mirrored_packets", 0), c.value("alerted_packets", 0), c.value("allowed_packets", 0));
  fmt::print("matched:    ip {}, dns {}, sni {}, host {} (packets)\n", c.value("match_ip", 0), c.value("match_dns", 0),
             c.value("match_sni", 0), c.value("match_host", 0));
  for (const json& p : r.at("ports"))
    fmt::print("port {:<24} {:<4} rx {} tx {} missed {} errors {}/{}\n", p.value("name", ""),
               p.value("up", false) ? "up" : "DOWN", p.value("rx_packets", 0), p.value("tx_packets", 0),
               p.value("missed", 0), p.value("rx_errors", 0), p.value("tx_errors", 0));
  for (const json& w : r.at("workers"))
    fmt::print("worker {}: {}, generation {}, {} packets\n", w.value("worker", 0),
               w.value("alive", false) ? "alive" : "NOT RESPONDING", w.value("generation", 0),
               w.at("counters").value("rx_packets", 0));
  const json& e = r.at("events");
  fmt::print("events:     {} matched flows, {} flow summaries, {} logged, {} suppressed by the rate limit, "
             "{} unresolved, {} lost in the dataplane\n",
             e.value("flows", 0), e.value("summaries", 0), e.value("logged", 0), e.value("suppressed", 0),
             e.value("unresolved", 0), e.value("lost_in_dataplane", 0));
  fmt::print("\n{:<28} {:<24} {:>8} {:>10}\n", "FEED", "ADVISORY", "FLOWS", "PACKETS");
  for (const json& f : r.at("feeds"))
    fmt::print("{:<28} {:<24} {:>8} {:>10}\n", f.value("feed", ""), f.value("advisory", ""), f.value("flows", 0),
               f.value("packets", 0));
  fmt::print("\n{:<40} {:<5} {:<24} {:>8} {:>10}   (top {} of {})\n", "IOC", "HOW", "FEED", "FLOWS", "PACKETS",
             r.at("iocs").size(), r.value("iocs_seen", 0));
  for (const json& i : r.at("iocs"))
    fmt::print("{:<40} {:<5} {:<24} {:>8} {:>10}\n", i.value("ioc", ""), i.value("matched", ""), i.value("feed", ""),
               i.value("flows", 0), i.value("packets", 0));
  fmt::print("\n{:<40} {:>8} {:>10}   (top {} of {})\n", "HOST", "FLOWS", "PACKETS", r.at("hosts").size(),
             r.value("hosts_seen", 0));
  for (const json& h : r.at("hosts"))
    fmt::print("{:<40} {:>8} {:>10}\n", h.value("host", ""), h.value("flows", 0), h.value("packets", 0));
}

enum class Command { kPush, kList, kShow, kRemove, kStatus, kStats, kReport, kExplain, kIocAdd, kIocRemove, kHunt,
                     kHitsForget };

struct PrintOptions {
  bool json = false;
  std::string name;
  std::string report_format, report_out;
  iocgate::ReportCliOptions report;
  iocgate::HuntFormat hunt_format = iocgate::HuntFormat::kText;
};

int print_reply(const json& reply, Command cmd, const PrintOptions& o);

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"iocctl: operate a running iocgate appliance"};
  app.require_subcommand(1);
  std::string socket_path, config_path;
  bool as_json = false;
  app.add_option("--socket", socket_path, "Control socket (default: from --config, else /run/iocgate/iocgate.sock)")
      ->envname("IOCGATE_SOCKET");
  app.add_option("--config", config_path, "Appliance config file to take the socket path from")
      ->envname("IOCGATE_CONFIG");
  app.add_flag("--json", as_json, "Print the reply as JSON");

  CLI::App* feed = app.add_subcommand("feed", "Manage IoC feeds");
  feed->require_subcommand(1);
  std::string push_file, name, action = "drop", advisory, group, expires, format;
  CLI::App* push = feed->add_subcommand("push", "Add or replace a feed; returns once every worker enforces it");
  push->add_option("file", push_file, "Feed file: any format `iocgate feed check` reads (lists, CSV/TSV tables, MISP, STIX, PDF, XLSX, DOCX, text, ...)")->required()->check(CLI::ExistingFile);
  push->add_option("--name", name, "Feed name (letters, digits, _ . -)")->required();
  CLI::Option* action_opt = push->add_option("--action", action, "drop (default), reject (drop and answer: a TCP reset, a DNS NXDOMAIN), mirror, alert or allow; a re-push keeps the feed's")
      ->check(CLI::IsMember({"drop", "reject", "mirror", "alert", "allow"}));
  CLI::Option* advisory_opt = push->add_option("--advisory", advisory, "Advisory id, e.g. 941/CATTT-NCSC; a re-push keeps the feed's");
  CLI::Option* group_opt = push->add_option("--group", group, "Threat group or campaign, e.g. 'Mustang Panda'; a re-push keeps the feed's");
  CLI::Option* expires_opt = push->add_option("--expires", expires,
      "Stop enforcing at this date (YYYY-MM-DD, UTC) or RFC 3339 time; \"\" for never; a re-push keeps the feed's");
  std::string format_help = "Feed format when detection should not decide (the names `iocgate feed check` takes):";
  for (const iocgate::FeedFormatInfo* f = iocgate::feed_formats(); f->name; ++f)
    format_help += std::string("\n  ") + f->name + ": " + f->description;
  push->add_option("--format", format, format_help);
  bool skip_refused = false, include_not_for_ids = false;
  std::string role;
  CLI::Option* role_opt = push->add_option("--role", role,
      "block (default): IoCs to act on; infected: the operator's own hosts seen infected (the monthly botnet "
      "list): never blocked (alert or mirror), exempt from the own-network guard, flagged and listed first in the "
      "review report; a re-push keeps the feed's")->check(CLI::IsMember({"block", "infected"}));
  push->add_flag("--skip-refused", skip_refused,
                 "Enforce the feed without the entries a guard refuses (each listed with its reason); "
                 "by default one refusal refuses the whole feed");
  push->add_flag("--include-not-for-ids", include_not_for_ids,
                 "Also enforce entries the publisher marked not for detection (MISP to_ids=false)");
  std::vector<std::string> force;
  bool confirm = false;
  push->add_option("--force", force, "Enforce this entry despite a guard's refusal, as the refusal quotes it (repeatable)");
  push->add_flag("--confirm", confirm, "Apply an update that removes more IoCs than the shrink guard allows");
  CLI::App* list = feed->add_subcommand("list", "List the feeds");
  CLI::App* show = feed->add_subcommand("show", "Show one feed and its IoCs (1000 at a time; --all for every one)");
  show->add_option("name", name, "Feed name")->required();
  int64_t show_offset = 0, show_limit = 1000;
  bool show_all = false;
  show->add_option("--offset", show_offset, "First entry to show (0-based)")->check(CLI::NonNegativeNumber);
  show->add_option("--limit", show_limit, "Entries to show")->check(CLI::PositiveNumber)->capture_default_str();
  show->add_flag("--all", show_all, "Every entry, page by page");
  CLI::App* remove = feed->add_subcommand("remove", "Remove a feed; returns once every worker stopped enforcing it");
  remove->add_option("name", name, "Feed name")->required();
  std::string explain_value;
  CLI::App* explain = app.add_subcommand(
      "explain", "Which feed entries cover an address, prefix, domain or URL, and what the table in force does with it");
  explain->add_option("value", explain_value, "e.g. 198.51.100.7, 203.0.113.0/24, www.evil.example, hxxps://evil[.]example/x")
      ->required();
  CLI::App* ioc = app.add_subcommand("ioc", "Add or remove single IoCs of a feed (each a publish)");
  ioc->require_subcommand(1);
  std::string ioc_feed, ioc_action;
  std::vector<std::string> ioc_values, ioc_force;
  CLI::App* ioc_add = ioc->add_subcommand("add", "Add IoCs to a feed (created, plain list, when it does not exist)");
  ioc_add->add_option("feed", ioc_feed, "Feed name")->required();
  ioc_add->add_option("values", ioc_values, "Addresses, prefixes, domains or URLs (defanged forms accepted)")->required();
  CLI::Option* ioc_action_opt = ioc_add->add_option("--action", ioc_action, "For a new feed: drop (default), mirror, alert or allow")
      ->check(CLI::IsMember({"drop", "reject", "mirror", "alert", "allow"}));
  ioc_add->add_option("--force", ioc_force, "Enforce this entry despite a guard's refusal (repeatable)");
  CLI::App* ioc_remove = ioc->add_subcommand("remove", "Remove IoCs from a feed");
  ioc_remove->add_option("feed", ioc_feed, "Feed name")->required();
  ioc_remove->add_option("values", ioc_values, "The IoCs, as listed or defanged")->required();
  CLI::App* status = app.add_subcommand("status", "Table generation, entries, workers and ports");
  CLI::App* stats = app.add_subcommand("stats", "Counters: ports, actions, match kinds, feeds, top IoCs and hosts");
  iocgate::ReportCliOptions report_opts;
  CLI::App* report = app.add_subcommand("report", "Review report: internal hosts that contacted IoCs");
  iocgate::add_report_options(report, &report_opts);
  const std::string& report_format = report_opts.format;
  const std::string& report_out = report_opts.output;
  CLI::App* hunt = app.add_subcommand(
      "hunt", "Internal hosts whose past flows touched the IoCs of stored feeds or of files (the flow history)");
  std::vector<std::string> hunt_feeds, hunt_files;
  std::string hunt_since = "30d", hunt_until, hunt_format = "text", hunt_out;
  hunt->add_option("--feed", hunt_feeds, "A stored feed's IoCs (repeatable)");
  hunt->add_option("files", hunt_files, "Or IoC files: any format `iocgate feed check` reads")->check(CLI::ExistingFile);
  hunt->add_option("--since", hunt_since, "From: back from now (30d, 36h, 90m) or a date / RFC 3339 time")->capture_default_str();
  hunt->add_option("--until", hunt_until, "Until (default now): back from now, or a date / RFC 3339 time");
  hunt->add_option("--format", hunt_format, "text, csv, json or html (prints on A4)")
      ->check(CLI::IsMember({"text", "csv", "json", "html"}))
      ->capture_default_str();
  hunt->add_option("-o,--output", hunt_out, "Write to this file instead of standard output");
  iocgate::EventsCliOptions events_opts;
  CLI::App* events = app.add_subcommand(
      "events", "Matched flows as they are logged (--follow), read from the event log of --config's appliance");
  iocgate::add_events_options(events, &events_opts);
  CLI::App* hits = app.add_subcommand("hits", "The review store's hits");
  hits->require_subcommand(1);
  std::string forget_feed;
  CLI::App* hits_forget = hits->add_subcommand(
      "forget", "Remove the hits a mistaken feed decided; the report records who did it and when");
  hits_forget->add_option("--feed", forget_feed, "The feed whose hits to forget")->required();
  for (CLI::App* sub : {push, list, show, remove, status, stats, explain, ioc_add, ioc_remove, hits_forget})
    sub->add_flag("--json", as_json, "Print the reply as JSON");

  if (std::optional<int> rc = iocgate::cli::parse(app, "iocctl", argc, argv)) return *rc;

  iocgate::ReportRequest report_req;
  if (report->parsed()) {
    const int64_t now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
    if (!report_opts.state_dir.empty()) return iocgate::report_from_state_dir(report_opts, now_ms, "");
    iocgate::Result<iocgate::ReportRequest> r = iocgate::report_request(report_opts, now_ms);
    if (!r.ok()) {
      fmt::print(stderr, "iocctl: {}\n", r.message());
      return 2;
    }
    report_req = std::move(*r);
  }

  if (events->parsed()) {
    // The event log is a file the iocgate group reads: no control process is needed.
    const std::string path = config_path.empty() ? "/etc/iocgate/iocgate.toml" : config_path;
    auto cfg = iocgate::load_config(path);
    if (!cfg.ok()) {
      fmt::print(stderr, "iocctl events: {} (give the appliance's config with --config)\n", cfg.message());
      return kExitUsage;
    }
    return iocgate::run_events_follow(events_opts, cfg->events_path, cfg->events_keep);
  }

  if (socket_path.empty()) {
    socket_path = "/run/iocgate/iocgate.sock";
    if (!config_path.empty()) {
      auto cfg = iocgate::load_config(config_path);
      if (!cfg.ok()) {
        fmt::print(stderr, "iocctl: {}\n", cfg.message());
        return kExitUsage;
      }
      socket_path = cfg->socket_path;
    }
  }

  iocgate::CtlRequest req{iocgate::StatusRequest{}};
  std::string payload;
  if (push->parsed()) {
    iocgate::Result<iocgate::PushFile> file = iocgate::read_push_file(push_file);
    if (!file.ok()) {
      fmt::print(stderr, "iocctl: {}\n", file.message());
      return kExitUsage;
    }
    payload = std::move(file->content);
    // Only what the operator said: a re-push keeps the rest of the feed's metadata.
    iocgate::FeedPushRequest p;
    p.name = name;
    p.source = file->source;
    if (action_opt->count() != 0) p.action = action;
    if (advisory_opt->count() != 0) p.advisory = advisory;
    if (group_opt->count() != 0) p.group = group;
    if (expires_opt->count() != 0) p.expires = expires;
    p.format = format;
    p.force = force;
    p.confirm = confirm;
    p.skip_refused = skip_refused;
    p.include_not_for_ids = include_not_for_ids;
    if (role_opt->count() != 0) p.role = role;
    req = iocgate::CtlRequest{std::move(p), payload.size()};
  } else if (hits_forget->parsed()) {
    req = iocgate::CtlRequest{iocgate::HitsForgetRequest{forget_feed}};
  } else if (list->parsed()) {
    req = iocgate::CtlRequest{iocgate::FeedListRequest{}};
  } else if (show->parsed()) {
    req = iocgate::CtlRequest{iocgate::FeedShowRequest{name, show_offset, show_limit}};
  } else if (remove->parsed()) {
    req = iocgate::CtlRequest{iocgate::FeedRemoveRequest{name}};
  } else if (stats->parsed()) {
    req = iocgate::CtlRequest{iocgate::StatsRequest{}};
  } else if (report->parsed()) {
    req = iocgate::CtlRequest{report_req};
  } else if (explain->parsed()) {
    req = iocgate::CtlRequest{iocgate::ExplainRequest{explain_value}};
  } else if (ioc_add->parsed()) {
    iocgate::IocAddRequest r{ioc_feed, ioc_values, std::nullopt, ioc_force};
    if (ioc_action_opt->count() != 0) r.action = ioc_action;
    req = iocgate::CtlRequest{std::move(r)};
  } else if (ioc_remove->parsed()) {
    req = iocgate::CtlRequest{iocgate::IocRemoveRequest{ioc_feed, ioc_values}};
  } else if (hunt->parsed()) {
    if (hunt_feeds.empty() == hunt_files.empty()) {
      fmt::print(stderr, "iocctl hunt: give --feed NAME (repeatable) or IoC files, not both\n");
      return kExitUsage;
    }
    iocgate::HuntRequest h;
    h.feeds = hunt_feeds;
    h.since = hunt_since;
    h.until = hunt_until;
    for (const std::string& f : hunt_files) {
      iocgate::Result<iocgate::PushFile> file = iocgate::read_push_file(f);
      if (!file.ok()) {
        fmt::print(stderr, "iocctl: {}\n", file.message());
        return kExitUsage;
      }
      h.sources.push_back(file->source);
      h.source_bytes.push_back(std::to_string(file->content.size()));
      payload += file->content;
    }
    req = iocgate::CtlRequest{std::move(h), payload.size()};
  }
  const Command cmd = push->parsed()         ? Command::kPush
                      : list->parsed()       ? Command::kList
                      : show->parsed()       ? Command::kShow
                      : remove->parsed()     ? Command::kRemove
                      : stats->parsed()      ? Command::kStats
                      : report->parsed()     ? Command::kReport
                      : explain->parsed()    ? Command::kExplain
                      : ioc_add->parsed()    ? Command::kIocAdd
                      : ioc_remove->parsed() ? Command::kIocRemove
                      : hunt->parsed()       ? Command::kHunt
                      : hits_forget->parsed() ? Command::kHitsForget
                                             : Command::kStatus;
  PrintOptions print{as_json, name, report_format, hunt->parsed() ? hunt_out : report_out, report_opts};
  iocgate::hunt_format_from_name(hunt_format, &print.hunt_format);

  // An option's text the control process would refuse is refused here, naming the option.
  if (iocgate::Result<json> encoded = iocgate::encode_ctl_request(req); !encoded.ok()) {
    fmt::print(stderr, "iocctl: {}\n", encoded.message());
    return kExitUsage;
  }
  iocgate::Result<json> answer = iocgate::call_control(socket_path, req, payload, iocgate::default_deadline(req));
  if (!answer.ok()) {
    fmt::print(stderr, "iocctl: {}\n", answer.message());
    return kExitUnreachable;
  }
  json reply = std::move(*answer);
  // --all: the rest of a feed's entries, page after page.
  if (cmd == Command::kShow && show_all && reply.value("ok", false)) {
    while (reply.contains("next_offset") && reply.at("next_offset").is_number()) {
      const int64_t next = reply.at("next_offset").get<int64_t>();
      iocgate::CtlRequest more{iocgate::FeedShowRequest{name, next, 100000}};
      iocgate::Result<json> page = iocgate::call_control(socket_path, more, {}, iocgate::default_deadline(more));
      if (!page.ok() || !page->value("ok", false)) {
        fmt::print(stderr, "iocctl: {}\n", page.ok() ? page->value("error", "failed") : page.message());
        return page.ok() ? kExitRefused : kExitUnreachable;
      }
      for (json& i : page->at("iocs")) reply.at("iocs").push_back(std::move(i));
      reply["next_offset"] = page->at("next_offset");
    }
  }
  try {
    return print_reply(reply, cmd, print);
  } catch (const std::exception& e) {
    fmt::print(stderr, "iocctl: the control process's reply is not what this iocctl expects ({}); is it another "
                       "version? The reply: {}\n",
               e.what(), reply.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 2000));
    return kExitRefused;
  }
}

namespace {

int print_reply(const json& reply, Command cmd, const PrintOptions& o) {
  const bool push = cmd == Command::kPush, remove = cmd == Command::kRemove, list = cmd == Command::kList,
             stats = cmd == Command::kStats, show = cmd == Command::kShow, status = cmd == Command::kStatus,
             report = cmd == Command::kReport;
  const bool as_json = o.json;
  const std::string& name = o.name;
  if (report) {
    if (!reply.value("ok", false)) {
      fmt::print(stderr, "iocctl: {}\n", reply.value("error", "failed"));
      return kExitRefused;
    }
    return iocgate::write_report(reply.at("report"), o.report);
  }
  if (cmd == Command::kHitsForget && !o.json) {
    if (!reply.value("ok", false)) {
      fmt::print(stderr, "iocctl: {}\n", reply.value("error", "failed"));
      return kExitRefused;
    }
    const json& f = reply.at("forgotten");
    fmt::print("forgot the hits of feed {}: {} records ({} flows, {} packets) removed, {} listings taken out of other "
               "records, {} day files rewritten; recorded as done by {}\n",
               f.value("feed", ""), f.value("records", 0), f.value("flows", 0), f.value("packets", 0),
               f.value("listings", 0), f.value("files", 0), f.value("by", ""));
    return kExitOk;
  }
  if (cmd == Command::kHunt) {
    if (!reply.value("ok", false)) {
      fmt::print(stderr, "iocctl: {}\n", reply.value("error", "failed"));
      return kExitRefused;
    }
    return iocgate::print_hunt(reply.at("hunt"), o.hunt_format, o.report_out) == 0 ? kExitOk : kExitRefused;
  }
  // The exit code says what an operator's script needs to know (see kExit* above).
  int rc = reply.value("ok", false) ? kExitOk : kExitRefused;
  if (rc == kExitOk && status) rc = status_exit_code(reply.value("state", ""));
  if (rc == kExitOk && (push || remove || cmd == Command::kIocAdd || cmd == Command::kIocRemove) &&
      !reply.value("enforced", false))
    rc = kExitDataplaneDown;
  if (as_json) {
    fmt::print("{}\n", reply.dump(2, ' ', false, json::error_handler_t::replace));
    return rc;
  }
  if (!reply.value("ok", false)) {
    fmt::print(stderr, "iocctl: {}\n", reply.value("error", "failed"));
    return rc;
  }
  if (reply.contains("warning")) fmt::print("warning: {}\n", reply.at("warning").get<std::string>());
  if (push) {
    const json& f = reply.at("feed");
    fmt::print("feed {} ({}, {}): {} IoCs: {}\n", f.value("name", ""), f.value("format", ""), f.value("action", ""),
               f.value("iocs", 0), f.value("by_kind", ""));
    for (const auto& [why, n] : f.at("skipped").items()) fmt::print("  not enforced: {} {}\n", why, n.get<uint64_t>());
    if (reply.contains("notes"))
      for (const json& n : reply.at("notes")) fmt::print("  {}\n", n.get<std::string>());
    if (reply.contains("diff")) {
      const json& d = reply.at("diff");
      fmt::print("  diff: +{} -{}\n", d.value("added", 0), d.value("removed", 0));
      for (const json& v : d.at("added_first")) fmt::print("    + {}\n", v.get<std::string>());
      for (const json& v : d.at("removed_first")) fmt::print("    - {}\n", v.get<std::string>());
      if (static_cast<size_t>(d.value("added", 0) + d.value("removed", 0)) > d.at("added_first").size() + d.at("removed_first").size())
        fmt::print("    ... (first 50 of each)\n");
    }
    print_publish(reply);
    if (reply.contains("hunt")) fmt::print("{}\n", reply.at("hunt").value("line", ""));
  } else if (remove) {
    fmt::print("feed {} removed\n", name);
    print_publish(reply);
  } else if (list) {
    fmt::print("{:<24} {:<6} {:<9} {:>8}  {}\n", "NAME", "ACTION", "FORMAT", "IOCS", "KINDS");
    for (const json& f : reply.at("feeds")) print_feed_line(f);
    for (const json& f : reply.at("feeds"))
      if (f.value("degraded", false))
        fmt::print("\nDEGRADED {}: {}\n  still enforced from the last good table; to repair, {}\n", f.value("name", ""),
                   f.value("problem", ""), f.value("repair", ""));
  } else if (stats) {
    print_stats(reply);
  } else if (show) {
    const json& f = reply.at("feed");
    fmt::print("name:      {}\naction:    {}\nformat:    {}\nsource:    {}\nadvisory:  {}\ngroup:     {}\n"
               "pushed:    {} by {}\nexpires:   {}{}\niocs:      {} ({}); shrink baseline {}\n",
               f.value("name", ""), f.value("action", ""), f.value("format", ""), f.value("source", ""),
               f.value("advisory", ""), f.value("group", ""), date(f.value("pushed_unix", int64_t{0})),
               f.value("pushed_by", "?"), date(f.value("expires_unix", int64_t{0})),
               f.value("expired", false) ? " (expired)" : "", f.value("iocs", 0), f.value("by_kind", ""),
               f.value("baseline_iocs", 0));
    if (f.value("degraded", false))
      fmt::print("DEGRADED:  {}\n           still enforced from the last good table; to repair, {}\n",
                 f.value("problem", ""), f.value("repair", ""));
    for (const auto& [why, n] : f.at("skipped").items()) fmt::print("not enforced: {} {}\n", why, n.get<uint64_t>());
    for (const json& e : reply.at("edits").at("added")) fmt::print("added with iocctl ioc add: {}\n", e.get<std::string>());
    for (const json& e : reply.at("edits").at("removed")) fmt::print("removed with iocctl ioc remove: {}\n", e.get<std::string>());
    for (const json& i : reply.at("iocs"))
      fmt::print("  {:<40} line {:<6} {}\n", i.value("ioc", ""), i.value("line", 0), i.value("label", ""));
    const size_t shown = reply.at("iocs").size(), total = reply.value("total", size_t{0});
    if (shown < total)
      fmt::print("  ... {} of {} shown from entry {}; --offset {} for more, --all for every one\n", shown, total,
                 reply.value("offset", size_t{0}), reply.value("offset", size_t{0}) + shown);
  } else if (cmd == Command::kExplain) {
    print_explain(reply);
  } else if (cmd == Command::kIocAdd || cmd == Command::kIocRemove) {
    const json& d = reply.at("diff");
    for (const char* k : {"added", "already_listed", "removed", "not_listed"})
      if (d.contains(k))
        for (const json& v : d.at(k)) fmt::print("  {:<15} {}\n", std::string(k) + ":", v.get<std::string>());
    print_publish(reply);
  } else {
    const json& g = reply.at("generation");
    const json& t = reply.at("table");
    const json& d = reply.at("dataplane");
    fmt::print("instance:   {}\n", reply.value("instance", ""));
    fmt::print("state:      {}\n", reply.value("state", "?"));
    for (const json& p : reply.at("problems")) fmt::print("  problem:  {}\n", p.get<std::string>());
    fmt::print("table:      generation {} published, {} enforced (checksum {}, from {}); {} IPv4, {} IPv6, {} domains; "
               "compiled {} ago\n",
               g.value("published", 0), g.value("active", 0), g.value("active_checksum", ""), g.value("source", ""),
               t.value("ipv4", 0), t.value("ipv6", 0), t.value("domains", 0), age(t.value("age_seconds", int64_t{0})));
    fmt::print("feeds:      {} ({} expired, {} degraded)\n", reply.at("feeds").value("count", 0),
               reply.at("feeds").value("expired", 0), reply.at("feeds").at("degraded").size());
    for (const json& f : reply.at("feeds").at("degraded"))
      fmt::print("  DEGRADED {}: {}\n    {}\n", f.value("name", ""), f.value("problem", ""), f.value("repair", ""));
    if (d.value("running", false)) {
      fmt::print("dataplane:  running, pid {}, up {}\n", d.value("pid", 0), age(d.value("uptime_seconds", int64_t{0})));
    } else {
      fmt::print("dataplane:  NOT RUNNING\n");
    }
    for (const json& w : reply.at("workers"))
      fmt::print("  worker {} (lcore {}): {}, generation {}, {} packets, {} dropped\n", w.value("worker", 0),
                 w.value("lcore", 0), w.value("alive", false) ? "alive" : "NOT RESPONDING", w.value("generation", 0),
                 w.value("rx_packets", 0), w.value("dropped_packets", 0));
    for (const json& p : reply.at("ports"))
      fmt::print("  port {:<24} {:<4} rx {} tx {} missed {} errors {}/{}\n", p.value("name", ""),
                 p.value("up", false) ? "up" : "DOWN", p.value("rx_packets", 0), p.value("tx_packets", 0),
                 p.value("missed", 0), p.value("rx_errors", 0), p.value("tx_errors", 0));
  }
  return rc;
}

}  // namespace
