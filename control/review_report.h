// control/review_report.h — the advisory review report: which internal hosts contacted which
// IoCs (feed, advisory, direction, first and last seen, flows, packets), with hosts whose own
// address is on a botnet list flagged infected. Built by the control process from the review
// store (hit_store.h), rendered by iocctl as text, CSV, JSON or printable HTML (A4).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/hit_store.h"

namespace iocgate {

struct ReportScope {
  int64_t since_ms = 0;
  int64_t generated_ms = 0;
  std::string feed;      // empty: every feed
  std::string instance;
};

// Hosts sorted infected first, then by flows; each host's contacts by first seen. Records of
// flows where neither end is internal (direction "external") are left out.
nlohmann::json build_review_report(const std::vector<HitRecord>& records, const ReportScope& scope);

std::string render_report_text(const nlohmann::json& report);
std::string render_report_csv(const nlohmann::json& report);
std::string render_report_html(const nlohmann::json& report);

// "24h", "7d", "90m", "3600s" or a plain number of seconds -> seconds; -1 when malformed.
int64_t parse_duration_seconds(const std::string& text);

}  // namespace iocgate
