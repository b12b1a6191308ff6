// control/report_cli.h — iocctl's side of `iocctl report` and `iocctl events --follow`: their
// options (CLI11), the request the report sends, the report read straight from a state
// directory, and the output in the operator's language. iocctl_main.cc only calls these.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/ctl_request.h"
#include "control/report_query.h"

namespace iocgate {

struct ReportCliOptions {
  std::string since = "24h";  // a duration, a date or an RFC 3339 time
  std::string until;          // "" for now
  std::vector<std::string> feeds, advisories, groups, hosts;
  std::string format = "text";  // text, csv, json, html
  std::string lang = "en";      // en, vi
  std::string utc_offset;       // "+07:00"; "" for UTC
  std::string output;           // "" or "-" for standard output
  std::string state_dir;        // read the review store of this state directory directly
};

// Declares the options on `report` (the `report` subcommand).
void add_report_options(CLI::App* report, ReportCliOptions* o);

// The request: times resolved to Unix ms at `now_ms` in the given offset, the language
// checked (it is iocctl's, never sent). The error names the option.
Result<ReportRequest> report_request(const ReportCliOptions& o, int64_t now_ms);

// Renders `report` (the control process's, or report_from_state_dir's) as asked and writes
// it. Returns iocctl's exit code: 0, or 2 when the output cannot be written.
int write_report(const nlohmann::json& report, const ReportCliOptions& o);

// The names a report of a state directory may be asked for: its feeds (state_dir/feeds/
// *.json, read for their advisory and group only), the names with hits, and the forget audit.
ReportCatalog catalog_from_state_dir(const std::string& state_dir);

// `iocctl report --state-dir DIR`: the report from the files alone (the control process may
// be down). Prints it, or the error; returns iocctl's exit code (0, 1 refused, 2 usage).
int report_from_state_dir(const ReportCliOptions& o, int64_t now_ms, const std::string& instance);

struct EventsCliOptions {
  bool follow = false;
  bool json = false;
  bool from_start = false;
  std::vector<std::string> feeds;
};

// Declares the options on `events` (the `events` subcommand).
void add_events_options(CLI::App* events, EventsCliOptions* o);

// `iocctl events --follow`: follows `events_path` ([events] path) until SIGINT or SIGTERM,
// looking through `keep` rotated files ([events] keep). Returns iocctl's exit code.
int run_events_follow(const EventsCliOptions& o, const std::string& events_path, uint32_t keep);

}  // namespace iocgate
