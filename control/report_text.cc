// control/report_text.cc — the review report as aligned plain text (a terminal, an e-mail):
// the same sections as the HTML, timelines as a line of block characters.

#include <fmt/format.h>

#include <algorithm>

#include "control/hunt_output.h"
#include "control/review_report.h"

namespace iocgate {

namespace {

using nlohmann::json;

// Display width of UTF-8 text: code points (Vietnamese is precomposed, one column each).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Columns sized to their widest cell; numbers right-aligned.
class TextTable {
 public:
  explicit TextTable(std::vector<std::pair<std::string, bool>> head) : numeric_() {
    std::vector<std::string> h;
    for (auto& [name, num] : head) {
      h.push_back(name);
      numeric_.push_back(num);
    }
    rows_.push_back(std::move(h));
  }
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  std::string render(const std::string& indent) const {
    std::vector<size_t> w(numeric_.size(), 0);
    for (const auto& r : rows_)
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], width(r[i]));
    std::string out;
    for (const auto& r : rows_) {
      std::string line = indent;
      for (size_t i = 0; i < r.size() && i < w.size(); ++i) {
        const std::string pad(w[i] - width(r[i]), ' ');
        const bool last = i + 1 == r.size();
        line += numeric_[i] ? pad + r[i] : r[i] + (last ? "" : pad);
        if (!last) line += "  ";
      }
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;
};

// A section title, underlined (case is left alone: Vietnamese has no ASCII upper case).
std::string heading(const std::string& title) { return "\n" + title + "\n" + std::string(width(title), '-') + "\n"; }

std::string spark(const std::vector<uint64_t>& v) {
  static const char* kBlocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  const uint64_t max = v.empty() ? 0 : *std::max_element(v.begin(), v.end());
  std::string s;
  for (uint64_t x : v) s += kBlocks[max == 0 || x == 0 ? 0 : 1 + (x * 7 + max - 1) / max];
  return s;
}

std::string listing_text(const json& l, Lang lang) {
  std::string s = l.value("feed", "");
  std::vector<std::string> extra;
  if (!l.value("advisory", "").empty()) extra.push_back(l.value("advisory", ""));
  if (!l.value("group", "").empty()) extra.push_back(l.value("group", ""));
  if (l.value("line", 0) != 0) extra.push_back(fmt::format(fmt::runtime(tr(lang, "line")), l.value("line", 0)));
  if (l.value("removed", false)) extra.push_back(tr(lang, "removed_feed"));
  if (!extra.empty()) {
    s += " (";
    for (size_t i = 0; i < extra.size(); ++i) s += (i ? ", " : "") + extra[i];
    s += ")";
  }
  return s;
}

std::string peer_text(const json& c, Lang lang) {
  const std::string peer = c.value("peer", "");
  if (peer.empty()) return "-";
  if (peer == "*") return tr(lang, "other_peers");
  std::string s = peer;
  const std::string proto = c.value("proto", "");
  const int port = c.value("port", 0);
  if (port != 0) s += " " + (proto.empty() ? "" : proto + "/") + std::to_string(port);
  else if (!proto.empty()) s += " " + proto;
  return s;
}

void summary_section(std::string& o, const json& list, const char* title, const char* key, Lang l) {
  if (list.empty()) return;
  o += heading(tr(l, title));
  std::vector<std::pair<std::string, bool>> head = {{tr(l, key), false},
                                                    {tr(l, "hosts"), true},
                                                    {tr(l, "infected"), true},
                                                    {tr(l, "hosts_alerted"), true},
                                                    {tr(l, "flows"), true},
                                                    {tr(l, "blocked"), true},
                                                    {tr(l, "alerted"), true},
                                                    {tr(l, "iocs"), true}};
  const bool feeds = std::string(key) != "feed";
  if (feeds) head.push_back({tr(l, "feeds"), false});
  TextTable t(head);
  for (const json& s : list) {
    std::string name = s.value(key, "");
    if (name.empty()) name = tr(l, std::string(key) == "advisory" ? "no_advisory" : "no_group");
    if (s.value("removed", false)) name += " (" + tr(l, "removed_feed") + ")";
    std::vector<std::string> r = {name,
                                  format_count(s.value("hosts", uint64_t{0}), l),
                                  format_count(s.value("infected_hosts", uint64_t{0}), l),
                                  format_count(s.value("hosts_alerted", uint64_t{0}), l),
                                  format_count(s.value("flows", uint64_t{0}), l),
                                  format_count(s.value("blocked_flows", uint64_t{0}), l),
                                  format_count(s.value("alerted_flows", uint64_t{0}), l),
                                  format_count(s.value("iocs", uint64_t{0}), l)};
    if (feeds) {
      std::string f;
      for (const json& x : s.value("feeds", json::array())) f += (f.empty() ? "" : ", ") + x.get<std::string>();
      r.push_back(f);
    }
    t.row(std::move(r));
  }
  o += t.render("  ");
}

// From the flow history (control/flow_history.h before_advisory): who contacted each feed's
// IoCs in the days before it was pushed, when nothing enforced them yet.
void before_advisory_section(std::string& o, const json& r) {
  for (const json& s : r.value("before_advisory", json::array())) {
    o += fmt::format("\nBefore the advisory: feed {}{}, the {} days before its push\n", s.value("feed", ""),
                     s.value("advisory", "").empty() ? "" : " [" + s.value("advisory", "") + "]", s.value("days", 0));
    if (s.contains("hunt")) o += render_hunt(s["hunt"], HuntFormat::kText);
    else o += "  the flow history could not be read: " + s.value("error", "") + "\n";
  }
}

}  // namespace

std::string render_report_text(const json& r, const RenderOptions& opt) {
  const Lang l = opt.lang;
  const int off = r.value("utc_offset_minutes", 0);
  const Markup m = plain_markup();
  std::string o = tr(l, "title");
  if (!r.value("instance", "").empty()) o += " — " + r.value("instance", "");
  o += "\n";
  o += tr(l, "period") + ": " +
       fill(l, "from_to", {format_time(r.value("since_ms", int64_t{0}), l, off), format_time(r.value("until_ms", int64_t{0}), l, off)}, m) +
       " (" + fill(l, "times_in", {"UTC" + r.value("utc_offset", std::string("+00:00"))}, m) + "); " +
       tr(l, "generated") + " " + format_time(r.value("generated_ms", int64_t{0}), l, off) + "\n";
  const json& fl = r["filters"];
  std::string filters;
  for (auto [key, label] : {std::pair{"feeds", "feed"}, {"advisories", "advisory"}, {"groups", "group"}, {"hosts", "host"}})
    for (const json& v : fl.value(key, json::array()))
      filters += (filters.empty() ? "" : "; ") + tr(l, label) + " " + v.get<std::string>();
  o += tr(l, "filters") + ": " + (filters.empty() ? tr(l, "filter.none") : filters) + "\n";
  const json& t = r["totals"];
  auto n = [&](const json& j, const char* k) { return format_count(j.value(k, uint64_t{0}), l); };
  o += fill(l, "totals_line",
            {n(t, "hosts"), n(t, "infected"), n(t, "beaconing"), n(t, "one_off"), n(t, "flows"), n(t, "blocked_flows"),
             n(t, "alerted_flows"), n(t, "allowed_flows"), n(t, "packets")},
            m) +
       "\n";
  for (const json& f : r.value("forgotten", json::array()))
    o += fill(l, f.value("state", "") == "done" ? "forgotten" : "forget_failed",
              {f.value("feed", ""), format_time(f.value("time_ms", int64_t{0}), l, off), f.value("by", ""), n(f, "flows")},
              m) +
         "\n";
  if (r["store"].value("damaged_lines", 0) > 0) o += fill(l, "damaged", {n(r["store"], "damaged_lines")}, m) + "\n";
  if (const json& lim = r.value("limits", json::object());
      lim.value("lines_of_hosts_over_limit", 0) > 0 || lim.value("lines_in_other_contacts", 0) > 0)
    o += fill(l, "limits_note",
              {n(lim, "max_hosts"), n(lim, "max_contacts"), n(lim, "lines_of_hosts_over_limit"),
               n(lim, "flows_of_hosts_over_limit"), n(lim, "lines_in_other_contacts")},
              m) +
         "\n";
  if (r["hosts"].empty()) {
    o += "\n" + tr(l, "no_hits") + "\n";
    before_advisory_section(o, r);
    return o;
  }

  summary_section(o, r["advisories"], "by_advisory", "advisory", l);
  summary_section(o, r["groups"], "by_group", "group", l);
  summary_section(o, r["feeds"], "by_feed", "feed", l);
  o += "  " + tr(l, "multi_note") + "\n";

  const json& tl = r["timeline"];
  const int64_t start = tl.value("start_ms", int64_t{0}), bin = tl.value("bin_ms", int64_t{3600000});
  const size_t bins = tl.value("bins", size_t{1});
  const auto flows = tl.value("flows", std::vector<uint64_t>{});
  o += heading(tr(l, "timeline"));
  o += "  " + fill(l, "timeline_note", {format_bin(bin, l)}, m) + "\n";
  o += fmt::format("  {} |{}| {}   max {}\n", format_tick(start, l, off, bin < 86400000), spark(flows),
                   format_tick(start + static_cast<int64_t>(bins) * bin, l, off, bin < 86400000),
                   format_count(flows.empty() ? 0 : *std::max_element(flows.begin(), flows.end()), l));

  o += heading(tr(l, "ranking"));
  const json& d = r["definitions"];
  o += "  " + fill(l, "ranking_note", {n(d, "beacon_min_hours"), n(d, "beacon_min_contacts"), n(d, "contact_gap_s")}, m) + "\n";
  TextTable rank({{tr(l, "rank"), true},
                  {tr(l, "host"), false},
                  {tr(l, "class"), false},
                  {tr(l, "iocs"), true},
                  {tr(l, "flows"), true},
                  {tr(l, "blocked"), true},
                  {tr(l, "alerted"), true},
                  {tr(l, "first_seen"), false},
                  {tr(l, "last_seen"), false},
                  {tr(l, "why"), false}});
  for (const json& h : r["hosts"]) {
    std::string why;
    for (const json& x : h["reasons"]) why += (why.empty() ? "" : "; ") + reason_text(x, l, m);
    rank.row({std::to_string(h.value("rank", 0)), h.value("host", ""), tr(l, "class." + h.value("class", std::string())),
              n(h, "iocs"), n(h, "flows"), n(h, "blocked_flows"), n(h, "alerted_flows"),
              format_time(h.value("first_ms", int64_t{0}), l, off), format_time(h.value("last_ms", int64_t{0}), l, off), why});
  }
  o += rank.render("  ");

  o += heading(tr(l, "contacts"));
  for (const json& h : r["hosts"]) {
    const std::string cls = h.value("class", std::string());
    o += fmt::format("\n{}. {}  [{}]  {} {}  {} {}  {} {}\n", h.value("rank", 0), h.value("host", ""),
                     tr(l, "class." + cls), tr(l, "flows"), n(h, "flows"), tr(l, "packets"), n(h, "packets"),
                     tr(l, "first_last"),
                     format_time(h.value("first_ms", int64_t{0}), l, off) + " / " +
                         format_time(h.value("last_ms", int64_t{0}), l, off));
    std::vector<uint64_t> hb(bins, 0);
    for (const json& b : h["timeline"]) {
      const size_t i = b[0].get<size_t>();
      if (i < bins) hb[i] = b[1].get<uint64_t>();
    }
    o += "  " + tr(l, "timeline") + " |" + spark(hb) + "|\n";
    TextTable t({{tr(l, "ioc"), false},
                 {tr(l, "how"), false},
                 {tr(l, "seen"), false},
                 {tr(l, "peer"), false},
                 {tr(l, "action"), false},
                 {tr(l, "direction"), false},
                 {tr(l, "first_seen"), false},
                 {tr(l, "last_seen"), false},
                 {tr(l, "flows"), true},
                 {tr(l, "packets"), true},
                 {tr(l, "listed_by"), false}});
    for (const json& c : h["contacts"]) {
      std::string listed;
      for (const json& x : c["listings"]) listed += (listed.empty() ? "" : "; ") + listing_text(x, l);
      const std::string action = c.value("action", "");
      const std::string outcome = c.value("outcome", "");
      t.row({c.value("folded", false) ? tr(l, "other_contacts") : c.value("ioc", ""),
             c.value("folded", false) ? "-" : tr(l, "how." + c.value("matched", std::string())),
             c.value("seen", "").empty() ? "-" : c.value("seen", ""), peer_text(c, l),
             tr(l, "act." + action) + (outcome.empty() ? "" : " (" + tr(l, "outcome." + outcome) + ")"),
             tr(l, "dir." + c.value("direction", std::string())), format_time(c.value("first_ms", int64_t{0}), l, off),
             format_time(c.value("last_ms", int64_t{0}), l, off), n(c, "flows"), n(c, "packets"), listed});
    }
    o += t.render("  ");
  }
  before_advisory_section(o, r);
  return o;
}

}  // namespace iocgate
