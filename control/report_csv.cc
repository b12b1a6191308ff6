// control/report_csv.cc — the review report as CSV (RFC 4180): one row per contact, with its
// host's rank and class, every listing and the removed-feed mark. Column names and times
// stay machine-readable (English, RFC 3339 UTC) in every language.

#include <fmt/format.h>

#include "control/review_report.h"

namespace iocgate {

namespace {

using nlohmann::json;

std::string field(const std::string& s) {
  // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
  std::string v = s;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n'") == std::string::npos) return v;
  std::string o = "\"";
  for (char c : v) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string reasons_of(const json& h) {
  std::string s;
  for (const json& r : h["reasons"]) s += (s.empty() ? "" : "; ") + reason_text(r, Lang::kEn, plain_markup());
  return s;
}

}  // namespace

std::string render_report_csv(const json& r, const RenderOptions&) {
  std::string o =
      "rank,host,class,infected,beaconing,why,ioc,matched,seen,peer,port,proto,action,outcome,direction,feed,advisory,"
      "group,line,removed_feed,other_listings,first_seen,last_seen,flows,packets\r\n";
  for (const json& h : r["hosts"]) {
    const std::string why = reasons_of(h);
    for (const json& c : h["contacts"]) {
      std::string others;
      for (const json& l : c["listings"]) {
        if (l.value("decided", false)) continue;
        others += (others.empty() ? "" : "; ") + l.value("feed", "");
        if (!l.value("advisory", "").empty()) others += " / " + l.value("advisory", "");
        if (!l.value("group", "").empty()) others += " / " + l.value("group", "");
        if (l.value("removed", false)) others += " (removed feed)";
      }
      o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
                       h.value("rank", 0), field(h.value("host", "")), h.value("class", ""),
                       h.value("infected", false) ? "yes" : "no", h.value("beaconing", false) ? "yes" : "no",
                       field(why), field(c.value("folded", false) ? "(other contacts)" : c.value("ioc", "")),
                       c.value("matched", ""), field(c.value("seen", "")),
                       field(c.value("peer", "")), c.value("port", 0), field(c.value("proto", "")),
                       field(c.value("action", "")), c.value("outcome", ""), field(c.value("direction", "")),
                       field(c.value("feed", "")), field(c.value("advisory", "")), field(c.value("group", "")),
                       c.value("line", 0), c.value("removed_feed", false) ? "yes" : "no", field(others),
                       c.value("first_seen", ""), c.value("last_seen", ""), c.value("flows", 0), c.value("packets", 0));
    }
  }
  return o;
}

}  // namespace iocgate
