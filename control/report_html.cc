// control/report_html.cc — the review report as one self-contained HTML page for A4
// landscape: inline CSS and SVG, no script. Numbers, addresses, times and IoCs sit in
// nowrap spans, words never hyphenate or split, tables take their columns' content widths
// (table-layout: auto) and a table too wide for the page is set in a smaller type.

#include <fmt/format.h>

#include <algorithm>

#include "control/report_chart.h"
#include "control/review_report.h"

namespace iocgate {

namespace {

using nlohmann::json;

constexpr size_t kLongValue = 48;  // longer values may break, at dots and colons only

size_t chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A value that must read whole: one nowrap span. One longer than a line can hold (a long
// domain) breaks only between its labels, each label kept whole.
std::string value_html(std::string_view s, const char* cls = "v") {
  if (chars(s) <= kLongValue) return fmt::format("<span class=\"{}\">{}</span>", cls, xml_escape(std::string(s)));
  std::string o = "<span class=\"long\">";
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] == '.' || s[i] == ':' || s[i] == '/') {
      o += "<span class=\"v\">" + xml_escape(std::string(s.substr(start, i + 1 - start))) + "</span><wbr>";
      start = i + 1;
    }
  if (start < s.size()) o += "<span class=\"v\">" + xml_escape(std::string(s.substr(start))) + "</span>";
  return o + "</span>";
}

// Free text (labels, advisory and group names): breaks only at spaces; a word with a
// hyphen, slash or digit (where a browser may otherwise break) is kept in a nowrap span.
std::string text_html(std::string_view s) {
  std::string o;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(' ', start);
    if (end == std::string_view::npos) end = s.size();
    const std::string_view w = s.substr(start, end - start);
    const bool risky = std::any_of(w.begin(), w.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u < 0x80 && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    });
    if (!w.empty()) o += risky ? "<span class=\"v\">" + xml_escape(std::string(w)) + "</span>" : xml_escape(std::string(w));
    if (end < s.size()) o += ' ';
    start = end + 1;
  }
  return o;
}

Markup html_markup() {
  return {[](std::string_view s) { return text_html(s); }, [](std::string_view s) { return value_html(s); }};
}

std::string num(uint64_t n, Lang l) { return value_html(format_count(n, l)); }
std::string ucount(const json& j, const char* k, Lang l) { return num(j.value(k, uint64_t{0}), l); }

// How wide a table's content must be, in characters of its type, from its cells' longest
// unbreakable pieces: decides the type size, so the page never has to cut a column.
class WidthEstimate {
 public:
  explicit WidthEstimate(size_t columns) : max_(columns, 0) {}
  void cell(size_t col, std::initializer_list<std::string_view> pieces) {
    for (std::string_view p : pieces) max_[col] = std::max(max_[col], std::min(chars(p), kLongValue));
  }
  // The class for the table: "" (8 pt), "dense" (7 pt) or "denser" (6 pt).
  const char* size_class() const {
    double total = 0;
    for (size_t m : max_) total += static_cast<double>(m) + 2.2;  // padding and borders, in characters
    // 277 mm of A4 landscape hold about 160 characters of 8 pt DejaVu Sans (0.6 em each).
    if (total <= 160) return "";
    if (total <= 180) return "dense";
    return "denser";
  }

 private:
  std::vector<size_t> max_;
};

const char* kStyle = R"(<style>
@page { size: A4 landscape; margin: 10mm 10mm 11mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 8pt; line-height: 1.3;
  color: #000; margin: 0 auto; max-width: 277mm;
  hyphens: none; -webkit-hyphens: none; word-break: keep-all; overflow-wrap: normal; word-wrap: normal; }
.v { white-space: nowrap; }
.long { white-space: normal; }
.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
h1 { font-size: 15pt; margin: 0 0 1.5mm; }
h2 { font-size: 11pt; margin: 5mm 0 1.5mm; border-bottom: 0.4mm solid #000; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 9.5pt; margin: 4mm 0 0.5mm; break-after: avoid; page-break-after: avoid; }
p { margin: 0.5mm 0 1.5mm; }
p.note { color: #333; font-size: 7.5pt; }
table { border-collapse: collapse; table-layout: auto; width: 100%; margin: 0 0 2mm; }
th, td { border: 0.2mm solid #999; padding: 0.5mm 1.1mm; text-align: left; vertical-align: top; }
th { background: #e8e8e8; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
table.dense { font-size: 7pt; }
table.denser { font-size: 6pt; }
.sub { display: block; color: #444; }
.cls { font-weight: bold; padding: 0 1mm; border-radius: 0.8mm; white-space: nowrap; }
.cls-infected { background: #b71c1c; color: #fff; }
.cls-beaconing { background: #e65100; color: #fff; }
.cls-one-off { background: #e0e0e0; }
.cls-allowed { background: #c8e6c9; }
.out-blocked { color: #b71c1c; }
.out-alerted { color: #e65100; font-weight: bold; }
.removed { color: #b71c1c; font-style: italic; }
table.cards td { text-align: center; }
table.cards .big { display: block; font-size: 13pt; font-weight: bold; }
svg.chart { display: block; margin: 1mm 0 2mm; }
.hostline { margin: 0 0 1mm; }
h3 .why { font-weight: normal; }
.hosthead { break-inside: avoid; page-break-inside: avoid; break-after: avoid; page-break-after: avoid; }
section.keep { break-inside: avoid; page-break-inside: avoid; }
td.act { white-space: nowrap; }
a { color: inherit; text-decoration: none; }
@media screen { body { padding: 8mm; } }
</style>
)";

const char* kBlockedColor = "#b71c1c";
const char* kAlertedColor = "#ef8c00";
const char* kAllowedColor = "#9e9e9e";

std::string class_badge(const std::string& cls, Lang l) {
  return fmt::format("<span class=\"cls cls-{}\">{}</span>", xml_escape(cls), text_html(tr(l, "class." + cls)));
}

std::string listing_html(const json& x, Lang l) {
  std::string s = value_html(x.value("feed", ""));
  if (!x.value("advisory", "").empty()) s += " · " + text_html(x.value("advisory", ""));
  if (!x.value("group", "").empty()) s += " · <em>" + text_html(x.value("group", "")) + "</em>";
  if (x.value("line", 0) != 0) s += " · " + fill(l, "line", {std::to_string(x.value("line", 0))}, html_markup());
  if (x.value("removed", false)) s += " <span class=\"removed\">" + text_html("(" + tr(l, "removed_feed") + ")") + "</span>";
  return "<div>" + s + "</div>";
}

void summary_table(std::string& o, const json& list, const char* title, const char* key, Lang l) {
  if (list.empty()) return;
  o += "<h2>" + text_html(tr(l, title)) + "</h2>\n";
  // The chart: hosts per entry by what they need, the twelve first (infected first).
  BarChart bc;
  bc.title = tr(l, title);
  std::vector<ChartSeries> classes = {{tr(l, "class.infected"), "#b71c1c", {}},
                                      {tr(l, "class.beaconing"), "#e65100", {}},
                                      {tr(l, "class.one-off"), "#9e9e9e", {}},
                                      {tr(l, "class.allowed"), "#a5d6a7", {}}};
  const char* kClassKeys[] = {"infected", "beaconing", "one-off", "allowed"};
  for (const json& s : list) {
    if (bc.labels.size() == 12) break;
    std::string name = s.value(key, "");
    if (name.empty()) name = tr(l, std::string(key) == "advisory" ? "no_advisory" : "no_group");
    bc.labels.push_back(name);
    const json& by = s.value("hosts_by_class", json::object());
    for (size_t k = 0; k < 4; ++k) classes[k].values.push_back(by.value(kClassKeys[k], uint64_t{0}));
    bc.value_labels.push_back(fill(l, "chart.value",
                                   {format_count(s.value("hosts", uint64_t{0}), l),
                                    format_count(s.value("flows", uint64_t{0}), l)},
                                   plain_markup()));
  }
  bc.stacked = classes;
  o += svg_bar_chart(bc) + "\n";
  const bool cross = std::string(key) != "feed";
  o += "<table class=\"sum\"><thead><tr><th>" + text_html(tr(l, key)) + "</th>";
  if (std::string(key) != "advisory") o += "<th>" + text_html(tr(l, "advisories")) + "</th>";
  if (std::string(key) != "group") o += "<th>" + text_html(tr(l, "groups")) + "</th>";
  if (cross) o += "<th>" + text_html(tr(l, "feeds")) + "</th>";
  for (const char* h : {"hosts", "infected", "hosts_alerted", "flows", "blocked", "alerted", "allowed", "iocs"})
    o += "<th class=\"n\">" + text_html(tr(l, h)) + "</th>";
  o += "</tr></thead><tbody>\n";
  auto names = [&](const json& s, const char* k) {
    std::string x;
    for (const json& e : s.value(k, json::array())) x += (x.empty() ? "" : ", ") + text_html(e.get<std::string>());
    return x;
  };
  for (const json& s : list) {
    std::string name = s.value(key, "");
    o += "<tr><td>";
    if (name.empty()) o += text_html(tr(l, std::string(key) == "advisory" ? "no_advisory" : "no_group"));
    else o += std::string(key) == "feed" ? value_html(name) : text_html(name);
    if (s.value("removed", false)) o += " <span class=\"removed\">" + text_html("(" + tr(l, "removed_feed") + ")") + "</span>";
    o += "</td>";
    if (std::string(key) != "advisory") o += "<td>" + names(s, "advisories") + "</td>";
    if (std::string(key) != "group") o += "<td>" + names(s, "groups") + "</td>";
    if (cross) {
      std::string f;
      for (const json& e : s.value("feeds", json::array())) f += (f.empty() ? "" : " ") + value_html(e.get<std::string>());
      o += "<td>" + f + "</td>";
    }
    for (const char* k : {"hosts", "infected_hosts", "hosts_alerted", "flows", "blocked_flows", "alerted_flows",
                          "allowed_flows", "iocs"})
      o += "<td class=\"n\">" + ucount(s, k, l) + "</td>";
    o += "</tr>\n";
  }
  o += "</tbody></table>\n";
}

std::string peer_html(const json& c, Lang l) {
  const std::string peer = c.value("peer", "");
  if (peer.empty()) return "-";
  if (peer == "*") return text_html(tr(l, "other_peers"));
  std::string s = value_html(peer);
  const std::string proto = c.value("proto", "");
  const int port = c.value("port", 0);
  if (port != 0) s += "<span class=\"sub\">" + value_html((proto.empty() ? "" : proto + "/") + std::to_string(port)) + "</span>";
  else if (!proto.empty()) s += "<span class=\"sub\">" + value_html(proto) + "</span>";
  return s;
}

std::string host_section(const json& h, size_t bins, const std::vector<std::string>& bin_labels, Lang l, int off) {
  const std::string host = h.value("host", "");
  const std::string cls = h.value("class", "");
  // A host of a few contacts is kept on one page; a longer one at least keeps its heading,
  // summary line and timeline with its first rows.
  const bool keep = h["contacts"].size() <= 12;
  std::string o = fmt::format("<section class=\"host{}\" id=\"host-{}\" data-host=\"{}\">\n<div class=\"hosthead\">",
                              keep ? " keep" : "", h.value("rank", 0), xml_escape(host));
  std::string why;
  for (const json& x : h["reasons"]) why += (why.empty() ? "" : "; ") + reason_text(x, l, html_markup());
  o += fmt::format("<h3>{}. {} {} <span class=\"why\">{}</span></h3>\n", h.value("rank", 0), value_html(host),
                   class_badge(cls, l), why);
  o += "<p class=\"hostline\">" + text_html(tr(l, "flows")) + " " + ucount(h, "flows", l) + " · " +
       text_html(tr(l, "blocked")) + " " + ucount(h, "blocked_flows", l) + " · " + text_html(tr(l, "alerted")) + " " +
       ucount(h, "alerted_flows", l) + " · " + text_html(tr(l, "packets")) + " " + ucount(h, "packets", l) + " · " +
       text_html(tr(l, "first_last")) + " " + value_html(format_time(h.value("first_ms", int64_t{0}), l, off)) +
       " / " + value_html(format_time(h.value("last_ms", int64_t{0}), l, off)) + "</p>\n";
  TimeChart tc;
  tc.height = 36;
  tc.legend = false;
  tc.edge_labels = true;
  tc.title = tr(l, "timeline") + " " + host;
  ChartSeries blocked{"", kBlockedColor, std::vector<uint64_t>(bins, 0)}, alerted{"", kAlertedColor, std::vector<uint64_t>(bins, 0)},
      other{"", kAllowedColor, std::vector<uint64_t>(bins, 0)};
  for (const json& b : h["timeline"]) {
    const size_t i = b[0].get<size_t>();
    if (i >= bins) continue;
    const uint64_t f = b[1].get<uint64_t>(), bl = b[2].get<uint64_t>(), al = b[3].get<uint64_t>();
    blocked.values[i] = bl;
    alerted.values[i] = al;
    other.values[i] = f - std::min(f, bl + al);
  }
  tc.stacked = {blocked, alerted, other};
  tc.bin_labels = bin_labels;
  o += svg_time_chart(tc) + "</div>\n";

  // Columns: IoC (how, name seen), peer (port), action (outcome), direction, first/last,
  // flows, packets, listed by.
  WidthEstimate est(8);
  std::string rows;
  for (const json& c : h["contacts"]) {
    const std::string seen = c.value("seen", "");
    const std::string how = tr(l, "how." + c.value("matched", std::string()));
    const std::string first = format_time(c.value("first_ms", int64_t{0}), l, off);
    const std::string last = format_time(c.value("last_ms", int64_t{0}), l, off);
    const std::string outcome = c.value("outcome", "");
    const std::string action = tr(l, "act." + c.value("action", std::string()));
    const std::string flows = format_count(c.value("flows", uint64_t{0}), l);
    const std::string packets = format_count(c.value("packets", uint64_t{0}), l);
    est.cell(0, {c.value("ioc", ""), seen, how});
    est.cell(1, {c.value("peer", ""), std::to_string(c.value("port", 0)) + "/" + c.value("proto", "")});
    est.cell(2, {action, outcome.empty() ? "" : tr(l, "outcome." + outcome)});
    est.cell(3, {tr(l, "dir." + c.value("direction", std::string()))});
    est.cell(4, {first});
    est.cell(5, {flows});
    est.cell(6, {packets});
    for (const json& x : c["listings"]) est.cell(7, {x.value("feed", "")});
    std::string ioc = c.value("folded", false) ? text_html(tr(l, "other_contacts")) : value_html(c.value("ioc", ""));
    ioc += "<span class=\"sub\">" + (c.value("folded", false) ? std::string() : text_html(how));
    if (!seen.empty() && seen != c.value("ioc", "")) ioc += " · " + text_html(tr(l, "seen")) + " " + value_html(seen);
    ioc += "</span>";
    std::string listed;
    for (const json& x : c["listings"]) listed += listing_html(x, l);
    rows += "<tr><td>" + ioc + "</td><td>" + peer_html(c, l) + "</td><td class=\"act out-" + xml_escape(outcome) + "\">" +
            text_html(action) +
            (outcome.empty() ? "" : "<span class=\"sub\">" + text_html(tr(l, "outcome." + outcome)) + "</span>") +
            "</td><td>" + text_html(tr(l, "dir." + c.value("direction", std::string()))) + "</td><td>" +
            value_html(first) + (last == first ? "" : "<span class=\"sub\">" + value_html(last) + "</span>") +
            "</td><td class=\"n\">" +
            value_html(flows) + "</td><td class=\"n\">" + value_html(packets) + "</td><td>" + listed + "</td></tr>\n";
  }
  o += fmt::format("<table class=\"detail {}\"><thead><tr>", est.size_class());
  o += "<th>" + text_html(tr(l, "ioc")) + "</th><th>" + text_html(tr(l, "peer")) + "</th><th>" +
       text_html(tr(l, "action")) + "</th><th>" + text_html(tr(l, "direction")) + "</th><th>" +
       text_html(tr(l, "first_last")) + "</th><th class=\"n\">" + text_html(tr(l, "flows")) + "</th><th class=\"n\">" +
       text_html(tr(l, "packets")) + "</th><th>" + text_html(tr(l, "listed_by")) + "</th></tr></thead><tbody>\n";
  o += rows + "</tbody></table></section>\n";
  return o;
}

}  // namespace

std::string render_report_html(const json& r, const RenderOptions& opt) {
  const Lang l = opt.lang;
  const int off = r.value("utc_offset_minutes", 0);
  const Markup m = html_markup();
  std::string title = tr(l, "title");
  if (!r.value("instance", "").empty()) title += " — " + r.value("instance", "");
  std::string o = fmt::format("<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\n<title>{}</title>\n",
                              lang_code(l), xml_escape(title));
  o += kStyle;
  o += "</head><body>\n<h1>" + text_html(title) + "</h1>\n";
  o += "<p class=\"scope\">" + text_html(tr(l, "period")) + ": " +
       fill(l, "from_to",
            {format_time(r.value("since_ms", int64_t{0}), l, off), format_time(r.value("until_ms", int64_t{0}), l, off)}, m) +
       " (" + fill(l, "times_in", {"UTC" + r.value("utc_offset", std::string("+00:00"))}, m) + "). " +
       text_html(tr(l, "generated")) + " " + value_html(format_time(r.value("generated_ms", int64_t{0}), l, off)) + ".<br>";
  std::string filters;
  const json& fl = r["filters"];
  for (auto [key, label] : {std::pair{"feeds", "feed"}, {"advisories", "advisory"}, {"groups", "group"}, {"hosts", "host"}})
    for (const json& v : fl.value(key, json::array()))
      filters += (filters.empty() ? "" : "; ") + text_html(tr(l, label)) + " " + value_html(v.get<std::string>());
  o += text_html(tr(l, "filters")) + ": " + (filters.empty() ? text_html(tr(l, "filter.none")) : filters) + "</p>\n";
  for (const json& f : r.value("forgotten", json::array()))
    o += "<p class=\"note removed\">" +
         fill(l, f.value("state", "") == "done" ? "forgotten" : "forget_failed",
              {f.value("feed", ""), format_time(f.value("time_ms", int64_t{0}), l, off), f.value("by", ""),
               format_count(f.value("flows", uint64_t{0}), l)},
              m) +
         "</p>\n";
  if (const json& lim = r.value("limits", json::object());
      lim.value("lines_of_hosts_over_limit", 0) > 0 || lim.value("lines_in_other_contacts", 0) > 0) {
    auto n = [&](const char* k) { return format_count(lim.value(k, uint64_t{0}), l); };
    o += "<p class=\"note removed\">" +
         fill(l, "limits_note",
              {n("max_hosts"), n("max_contacts"), n("lines_of_hosts_over_limit"), n("flows_of_hosts_over_limit"),
               n("lines_in_other_contacts")},
              m) +
         "</p>\n";
  }
  if (r["store"].value("damaged_lines", 0) > 0)
    o += "<p class=\"note removed\">" +
         fill(l, "damaged", {format_count(r["store"].value("damaged_lines", uint64_t{0}), l)}, m) + "</p>\n";

  const json& t = r["totals"];
  o += "<h2>" + text_html(tr(l, "summary")) + "</h2>\n<table class=\"cards\"><tr>";
  for (auto [k, label] : {std::pair{"hosts", "hosts"}, {"infected", "infected"}, {"beaconing", "beaconing"},
                          {"one_off", "one_off"}, {"hosts_alerted", "hosts_alerted"}, {"flows", "flows"},
                          {"blocked_flows", "blocked"}, {"alerted_flows", "alerted"}, {"packets", "packets"},
                          {"iocs", "iocs"}})
    o += "<td><span class=\"big\">" + ucount(t, k, l) + "</span>" + text_html(tr(l, label)) + "</td>";
  o += "</tr></table>\n";
  if (r["hosts"].empty()) {
    o += "<p>" + text_html(tr(l, "no_hits")) + "</p>\n</body></html>\n";
    return o;
  }

  summary_table(o, r["advisories"], "by_advisory", "advisory", l);
  summary_table(o, r["groups"], "by_group", "group", l);
  summary_table(o, r["feeds"], "by_feed", "feed", l);
  o += "<p class=\"note\">" + text_html(tr(l, "multi_note")) + "</p>\n";

  const json& tl = r["timeline"];
  const int64_t start = tl.value("start_ms", int64_t{0}), bin = tl.value("bin_ms", int64_t{3600000});
  const size_t bins = tl.value("bins", size_t{1});
  std::vector<std::string> labels;
  for (size_t i = 0; i < bins; ++i)
    labels.push_back(format_tick(start + static_cast<int64_t>(i) * bin, l, off, bin < 86400000));
  o += "<h2>" + text_html(tr(l, "timeline")) + "</h2>\n";
  TimeChart tc;
  tc.title = tr(l, "timeline");
  tc.stacked = {{tr(l, "blocked"), kBlockedColor, tl.value("blocked", std::vector<uint64_t>{})},
                {tr(l, "alerted"), kAlertedColor, tl.value("alerted", std::vector<uint64_t>{})}};
  std::vector<uint64_t> rest = tl.value("flows", std::vector<uint64_t>{});
  uint64_t max = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    max = std::max(max, rest[i]);
    const uint64_t b = i < tc.stacked[0].values.size() ? tc.stacked[0].values[i] : 0;
    const uint64_t a = i < tc.stacked[1].values.size() ? tc.stacked[1].values[i] : 0;
    rest[i] -= std::min(rest[i], a + b);
  }
  tc.stacked.push_back({tr(l, "allowed"), kAllowedColor, rest});
  tc.bin_labels = labels;
  tc.max_label = format_count(max, l);
  o += svg_time_chart(tc) + "\n<p class=\"note\">" + fill(l, "timeline_note", {format_bin(bin, l)}, m) + "</p>\n";

  const json& d = r["definitions"];
  o += "<h2>" + text_html(tr(l, "ranking")) + "</h2>\n<p class=\"note\">" +
       fill(l, "ranking_note",
            {std::to_string(d.value("beacon_min_hours", 0)), std::to_string(d.value("beacon_min_contacts", 0)),
             std::to_string(d.value("contact_gap_s", 0))},
            m) +
       "</p>\n";
  WidthEstimate est(9);
  std::string rows;
  for (const json& h : r["hosts"]) {
    std::string why;
    for (const json& x : h["reasons"]) why += (why.empty() ? "" : "; ") + reason_text(x, l, m);
    const std::string first = format_time(h.value("first_ms", int64_t{0}), l, off);
    const std::string last = format_time(h.value("last_ms", int64_t{0}), l, off);
    est.cell(0, {std::to_string(h.value("rank", 0))});
    est.cell(1, {h.value("host", "")});
    est.cell(2, {tr(l, "class." + h.value("class", std::string()))});
    est.cell(3, {format_count(h.value("iocs", uint64_t{0}), l)});
    est.cell(4, {format_count(h.value("flows", uint64_t{0}), l)});
    est.cell(5, {format_count(h.value("blocked_flows", uint64_t{0}), l)});
    est.cell(6, {format_count(h.value("alerted_flows", uint64_t{0}), l)});
    est.cell(7, {first});
    est.cell(8, {"calls a-long-ioc-name"});  // the reasons wrap; room for a few words
    rows += fmt::format("<tr><td class=\"n\">{}</td><td><a href=\"#host-{}\">{}</a></td><td>{}</td><td>{}</td>"
                        "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
                        "<td>{}{}</td></tr>\n",
                        value_html(std::to_string(h.value("rank", 0))), h.value("rank", 0), value_html(h.value("host", "")),
                        class_badge(h.value("class", std::string()), l), why, ucount(h, "iocs", l),
                        ucount(h, "flows", l), ucount(h, "blocked_flows", l), ucount(h, "alerted_flows", l),
                        value_html(first), last == first ? "" : "<span class=\"sub\">" + value_html(last) + "</span>");
  }
  o += fmt::format("<table class=\"rank {}\"><thead><tr>", est.size_class());
  o += "<th class=\"n\">" + text_html(tr(l, "rank")) + "</th><th>" + text_html(tr(l, "host")) + "</th><th>" +
       text_html(tr(l, "class")) + "</th><th>" + text_html(tr(l, "why")) + "</th><th class=\"n\">" +
       text_html(tr(l, "iocs")) + "</th><th class=\"n\">" + text_html(tr(l, "flows")) + "</th><th class=\"n\">" +
       text_html(tr(l, "blocked")) + "</th><th class=\"n\">" + text_html(tr(l, "alerted")) + "</th><th>" +
       text_html(tr(l, "first_last")) + "</th></tr></thead><tbody>\n";
  o += rows + "</tbody></table>\n";

  o += "<h2>" + text_html(tr(l, "contacts")) + "</h2>\n";
  for (const json& h : r["hosts"]) o += host_section(h, bins, labels, l, off);
  o += "</body></html>\n";
  return o;
}

}  // namespace iocgate
