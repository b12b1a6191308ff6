// control/review_report.cc — grouping by host and the four renderings of the report.

#include "control/review_report.h"

#include <algorithm>
#include <ctime>
#include <fmt/format.h>
#include <map>

#include "control/hunt_output.h"

namespace iocgate {

namespace {

using nlohmann::json;

std::string utc(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "2024-06-24 12:00:01" for people (UTC, said once in the heading).
std::string human(const json& j, const char* key) {
  std::string s = j.value(key, "");
  if (s.size() >= 19) s = s.substr(0, 10) + " " + s.substr(11, 8);
  return s;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) {
    if (c == '"') o += '"';
    o += c;
  }
  return o + "\"";
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string scope_line(const json& r) {
  std::string s = fmt::format("from {} to {} (UTC)", human(r, "since"), human(r, "generated"));
  if (!r.value("feed", "").empty()) s += ", feed " + r.value("feed", "");
  return s;
}

}  // namespace

int64_t parse_duration_seconds(const std::string& text) {
  if (text.empty()) return -1;
  size_t used = 0;
  int64_t n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (...) {
    return -1;
  }
  if (n < 0) return -1;
  const std::string unit = text.substr(used);
  if (unit.empty() || unit == "s") return n;
  if (unit == "m") return n * 60;
  if (unit == "h") return n * 3600;
  if (unit == "d") return n * 86400;
  if (unit == "w") return n * 7 * 86400;
  return -1;
}

json build_review_report(const std::vector<HitRecord>& records, const ReportScope& scope) {
  struct Host {
    bool infected = false;
    int64_t first = 0, last = 0;
    uint64_t flows = 0, packets = 0;
    std::vector<const HitRecord*> rows;
  };
  std::map<std::string, Host> hosts;
  for (const HitRecord& r : records) {
    if (r.direction == "external") continue;
    Host& h = hosts[r.host];
    h.infected = h.infected || (r.ioc_is_host && is_botnet_feed(r.feed, r.group));
    h.first = h.first == 0 ? r.first_ms : std::min(h.first, r.first_ms);
    h.last = std::max(h.last, r.last_ms);
    h.flows += r.flows;
    h.packets += r.packets;
    h.rows.push_back(&r);
  }
  std::vector<std::pair<std::string, Host*>> order;
  for (auto& [name, h] : hosts) order.emplace_back(name, &h);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.second->infected != b.second->infected) return a.second->infected;
    return a.second->flows > b.second->flows;
  });
  json out = {{"instance", scope.instance}, {"generated", utc(scope.generated_ms)}, {"since", utc(scope.since_ms)},
              {"feed", scope.feed}};
  json list = json::array();
  uint64_t flows = 0, packets = 0, infected = 0;
  for (auto& [name, h] : order) {
    std::sort(h->rows.begin(), h->rows.end(), [](const HitRecord* a, const HitRecord* b) {
      return a->first_ms != b->first_ms ? a->first_ms < b->first_ms : a->ioc < b->ioc;
    });
    json contacts = json::array();
    for (const HitRecord* r : h->rows)
      contacts.push_back({{"ioc", r->ioc}, {"matched", r->kind}, {"feed", r->feed}, {"advisory", r->advisory},
                          {"group", r->group}, {"action", r->action}, {"direction", r->direction},
                          {"ioc_is_host", r->ioc_is_host}, {"first_seen", utc(r->first_ms)},
                          {"last_seen", utc(r->last_ms)}, {"first_ms", r->first_ms}, {"last_ms", r->last_ms},
                          {"flows", r->flows}, {"packets", r->packets}});
    list.push_back({{"host", name}, {"infected", h->infected}, {"first_seen", utc(h->first)},
                    {"last_seen", utc(h->last)}, {"flows", h->flows}, {"packets", h->packets},
                    {"contacts", contacts}});
    flows += h->flows;
    packets += h->packets;
    infected += h->infected;
  }
  out["hosts"] = list;
  out["totals"] = {{"hosts", list.size()}, {"infected", infected}, {"flows", flows}, {"packets", packets}};
  return out;
}

std::string render_report_text(const json& r) {
  std::string o = fmt::format("iocgate review report{}\n{}\n", r.value("instance", "").empty() ? "" : " — " + r.value("instance", ""),
                              scope_line(r));
  const json& t = r["totals"];
  o += fmt::format("{} internal host(s) contacted IoCs, {} flagged infected; {} flows, {} packets\n",
                   t.value("hosts", 0), t.value("infected", 0), t.value("flows", 0), t.value("packets", 0));
  for (const json& h : r["hosts"]) {
    o += fmt::format("\n{}{}  flows {}  packets {}  first {}  last {}\n", h.value("host", ""),
                     h.value("infected", false) ? "  INFECTED (listed on a botnet feed)" : "", h.value("flows", 0),
                     h.value("packets", 0), human(h, "first_seen"), human(h, "last_seen"));
    o += fmt::format("  {:<32} {:<4} {:<20} {:<20} {:<9} {:<19} {:<19} {:>6} {:>8}\n", "IOC", "HOW", "FEED",
                     "ADVISORY", "DIRECTION", "FIRST SEEN", "LAST SEEN", "FLOWS", "PACKETS");
    for (const json& c : h["contacts"])
      o += fmt::format("  {:<32} {:<4} {:<20} {:<20} {:<9} {:<19} {:<19} {:>6} {:>8}\n", c.value("ioc", ""),
                       c.value("matched", ""), c.value("feed", ""), c.value("advisory", ""), c.value("direction", ""),
                       human(c, "first_seen"), human(c, "last_seen"), c.value("flows", 0), c.value("packets", 0));
  }
  // From the flow history (control/flow_history.h before_advisory): who contacted each feed's
  // IoCs in the days before it was pushed, when nothing enforced them yet.
  for (const json& s : r.value("before_advisory", json::array())) {
    o += fmt::format("\nBefore the advisory: feed {}{}, the {} days before its push\n", s.value("feed", ""),
                     s.value("advisory", "").empty() ? "" : " [" + s.value("advisory", "") + "]", s.value("days", 0));
    if (s.contains("hunt")) o += render_hunt(s["hunt"], HuntFormat::kText);
    else o += "  the flow history could not be read: " + s.value("error", "") + "\n";
  }
  return o;
}

std::string render_report_csv(const json& r) {
  std::string o = "host,infected,ioc,matched,feed,advisory,group,action,direction,first_seen,last_seen,flows,packets\r\n";
  for (const json& h : r["hosts"])
    for (const json& c : h["contacts"])
      o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n", csv_field(h.value("host", "")),
                       h.value("infected", false) ? "yes" : "no", csv_field(c.value("ioc", "")),
                       c.value("matched", ""), csv_field(c.value("feed", "")), csv_field(c.value("advisory", "")),
                       csv_field(c.value("group", "")), c.value("action", ""), c.value("direction", ""),
                       c.value("first_seen", ""), c.value("last_seen", ""), c.value("flows", 0), c.value("packets", 0));
  return o;
}

std::string render_report_html(const json& r) {
  const json& t = r["totals"];
  std::string o = R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>iocgate review report</title>
<style>
@page { size: A4 portrait; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9pt; color: #000; margin: 0 auto; max-width: 186mm; }
h1 { font-size: 15pt; margin: 0 0 2mm; }
p.scope { margin: 0 0 4mm; }
section.host { margin: 0 0 5mm; break-inside: avoid; page-break-inside: avoid; }
h2 { font-size: 11pt; margin: 0 0 1.5mm; border-bottom: 0.4mm solid #000; }
h2 .infected { color: #b00; font-weight: bold; margin-left: 3mm; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 0.2mm solid #888; padding: 0.8mm 1.2mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.n { text-align: right; }
col.ioc { width: 27%; } col.how { width: 6%; } col.feed { width: 19%; } col.dir { width: 9%; }
col.time { width: 13%; } col.num { width: 6.5%; }
@media print { body { max-width: none; } a { color: #000; text-decoration: none; } }
</style></head><body>
)";
  o += fmt::format("<h1>iocgate review report{}</h1>\n", html_escape(r.value("instance", "").empty() ? "" : " — " + r.value("instance", "")));
  o += fmt::format("<p class=\"scope\">{}. <strong>{}</strong> internal host(s) contacted IoCs, <strong>{}</strong> flagged "
                   "infected (own address on a botnet list); {} flows, {} packets.</p>\n",
                   html_escape(scope_line(r)), t.value("hosts", 0), t.value("infected", 0), t.value("flows", 0),
                   t.value("packets", 0));
  for (const json& h : r["hosts"]) {
    o += fmt::format("<section class=\"host\" data-host=\"{0}\"><h2>{0}{1}</h2>\n", html_escape(h.value("host", "")),
                     h.value("infected", false) ? "<span class=\"infected\">INFECTED</span>" : "");
    o += "<table><colgroup><col class=\"ioc\"><col class=\"how\"><col class=\"feed\"><col class=\"dir\">"
         "<col class=\"time\"><col class=\"time\"><col class=\"num\"><col class=\"num\"></colgroup>\n"
         "<thead><tr><th>IoC</th><th>How</th><th>Feed / advisory</th><th>Direction</th><th>First seen</th>"
         "<th>Last seen</th><th>Flows</th><th>Packets</th></tr></thead><tbody>\n";
    for (const json& c : h["contacts"]) {
      std::string feed = html_escape(c.value("feed", ""));
      if (!c.value("advisory", "").empty()) feed += "<br>" + html_escape(c.value("advisory", ""));
      if (!c.value("group", "").empty()) feed += "<br><em>" + html_escape(c.value("group", "")) + "</em>";
      o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td>"
                       "<td class=\"n\">{}</td></tr>\n",
                       html_escape(c.value("ioc", "")), html_escape(c.value("matched", "")), feed,
                       html_escape(c.value("direction", "")), html_escape(human(c, "first_seen")),
                       html_escape(human(c, "last_seen")), c.value("flows", 0), c.value("packets", 0));
    }
    o += "</tbody></table></section>\n";
  }
  if (r["hosts"].empty()) o += "<p>No internal host contacted a listed IoC in this period.</p>\n";
  o += "</body></html>\n";
  return o;
}

}  // namespace iocgate
