// control/review_report.h — the advisory review report: which internal hosts contacted which
// IoCs. Per advisory, group and feed a summary (hosts, flows, blocked or alert-only,
// infected); hosts ranked by what to clean first (infected, beaconing, one-off; see
// beacon_detector.h); a timeline; and per host the contacts (IoC, the name seen, peer,
// action, direction, first and last seen, flows, packets, every listing). Built by the
// control process (or iocctl --state-dir) from the review store as JSON, rendered by iocctl
// as text, CSV, or printable HTML (A4), in English or Vietnamese (report_i18n.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/hit_store.h"
#include "control/report_i18n.h"
#include "control/report_query.h"
#include "control/report_time.h"

namespace iocgate {

// The report of `q` over the store's lines; an error (nothing built) when the query names
// an unknown feed, advisory or group, a malformed host, or a reversed period.
Result<nlohmann::json> build_review_report(const HitStore& store, const ReportQuery& q, const ReportCatalog& c);
// The same from the day files alone (iocctl --state-dir).
Result<nlohmann::json> build_review_report_from_files(const std::string& hits_dir, const ReportQuery& q,
                                                      const ReportCatalog& c);
// The same from lines in hand (tests; the lines as the store keeps them, in time order).
Result<nlohmann::json> build_review_report(const std::vector<HitRecord>& lines, const ReportQuery& q,
                                           const ReportCatalog& c);

struct RenderOptions {
  Lang lang = Lang::kEn;
};

std::string render_report_text(const nlohmann::json& report, const RenderOptions& o = {});
// One row per contact with its host's rank and class; machine-readable: English column
// names, RFC 3339 UTC times, whatever the language.
std::string render_report_csv(const nlohmann::json& report, const RenderOptions& o = {});
// A self-contained page (inline CSS and SVG) that prints on A4 landscape: numbers,
// addresses and IoCs never break across lines, words never split.
std::string render_report_html(const nlohmann::json& report, const RenderOptions& o = {});

// The first report's interface, kept until iocctl and the control process call the one
// above: every record of `records` as one line, every feed current.
struct ReportScope {
  int64_t since_ms = 0;
  int64_t generated_ms = 0;
  std::string feed;  // empty: every feed
  std::string instance;
};
nlohmann::json build_review_report(const std::vector<HitRecord>& records, const ReportScope& scope);

}  // namespace iocgate
