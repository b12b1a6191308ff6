// control/hunt_output.cc — the four renderings of a hunt.

#include "control/hunt_output.h"

#include <cstdio>
#include <fmt/format.h>
#include <fstream>

namespace iocgate {

namespace {

using nlohmann::json;

std::string human_time(const json& j, const char* key) {
  std::string s = j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
  if (s.size() >= 19) s = s.substr(0, 10) + " " + s.substr(11, 8);
  return s;
}

std::string bytes_text(uint64_t b) {
  if (b < 10000) return fmt::format("{} B", b);
  if (b < 10000000) return fmt::format("{:.1f} kB", static_cast<double>(b) / 1e3);
  if (b < 10000000000ull) return fmt::format("{:.1f} MB", static_cast<double>(b) / 1e6);
  return fmt::format("{:.1f} GB", static_cast<double>(b) / 1e9);
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

std::string html(const std::string& s) {
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

std::string str(const json& j, const char* key) { return j.value(key, std::string()); }

std::string feeds_text(const json& h) {
  std::string s;
  for (const json& f : h.value("feeds", json::array())) {
    if (!s.empty()) s += ", ";
    s += str(f, "name") + fmt::format(" ({} IoCs)", f.value("iocs", 0));
  }
  return s;
}

std::string scope_text(const json& h) {
  std::string s = "from " + human_time(h, "since") + " to " + (h["until"].is_string() ? human_time(h, "until") : "now") +
                  " (UTC)";
  if (h["history_from"].is_string()) s += "; the history starts " + human_time(h, "history_from");
  else s += "; the history is empty";
  return s;
}

// "dns www.evil.example (evil.example, feed f)" and the like: what the contact was.
std::string what_text(const json& c) {
  std::string s = str(c, "how") + " " + str(c, "seen");
  if (c.contains("resolved_from")) s += " resolved from " + str(c, "resolved_from");
  if (str(c, "seen") != str(c, "ioc")) s += " [" + str(c, "ioc") + "]";
  return s;
}

std::string text(const json& h) {
  std::string o = fmt::format("{} internal host{} contacted the IoCs of {}\n{}\n", h.value("host_count", 0),
                              h.value("host_count", 0) == 1 ? "" : "s", feeds_text(h), scope_text(h));
  const json& sc = h.value("scanned", json::object());
  o += fmt::format("{} flow records read in {:.2f} s\n", sc.value("records", 0), sc.value("seconds", 0.0));
  if (sc.value("damaged_blocks", 0) != 0)
    o += fmt::format("WARNING: {} damaged block(s) could not be read:\n", sc.value("damaged_blocks", 0));
  for (const json& p : h.value("problems", json::array())) o += "  " + p.get<std::string>() + "\n";
  for (const json& host : h.value("hosts", json::array())) {
    std::string how;
    for (const json& x : host["how"]) how += (how.empty() ? "" : ", ") + x.get<std::string>();
    o += fmt::format("\n{}  {} flows, {}, first {}, last {}  (by {})\n", str(host, "host"), host.value("flows", 0),
                     bytes_text(host.value("bytes", uint64_t{0})), human_time(host, "first_seen"),
                     human_time(host, "last_seen"), how);
    for (const json& c : host["contacts"])
      o += fmt::format("  {:<60} {:>5} flows {:>10}  {} .. {}  feed {}{}\n", what_text(c), c.value("flows", 0),
                       bytes_text(c.value("bytes", uint64_t{0})), human_time(c, "first_seen"), human_time(c, "last_seen"),
                       str(c, "feed"), str(c, "advisory").empty() ? "" : " [" + str(c, "advisory") + "]");
  }
  return o;
}

std::string csv(const json& h) {
  std::string o = "host,ioc,how,seen,resolved_from,feed,advisory,group,first_seen,last_seen,flows,bytes,packets\r\n";
  for (const json& host : h.value("hosts", json::array()))
    for (const json& c : host["contacts"])
      o += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{}\r\n", csv_field(str(host, "host")), csv_field(str(c, "ioc")),
                       str(c, "how"), csv_field(str(c, "seen")), csv_field(str(c, "resolved_from")),
                       csv_field(str(c, "feed")), csv_field(str(c, "advisory")), csv_field(str(c, "group")),
                       str(c, "first_seen"), str(c, "last_seen"), c.value("flows", 0), c.value("bytes", 0),
                       c.value("packets", 0));
  return o;
}

std::string page(const json& h) {
  std::string o =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>iocgate hunt</title><style>"
      "@page{size:A4;margin:15mm}body{font-family:sans-serif;font-size:10pt}table{border-collapse:collapse;width:100%}"
      "td,th{border:1px solid #999;padding:2px 4px;text-align:left;vertical-align:top}th{background:#eee}"
      "tr{page-break-inside:avoid}.host{background:#f6f6f6;font-weight:bold}</style></head><body>\n";
  o += fmt::format("<h1>{} internal host{} contacted the IoCs</h1>\n<p>{}<br>{}</p>\n", h.value("host_count", 0),
                   h.value("host_count", 0) == 1 ? "" : "s", html(feeds_text(h)), html(scope_text(h)));
  o += "<table><tr><th>host / IoC</th><th>how</th><th>seen</th><th>feed</th><th>first seen</th><th>last seen</th>"
       "<th>flows</th><th>bytes</th></tr>\n";
  for (const json& host : h.value("hosts", json::array())) {
    o += fmt::format("<tr class=\"host\"><td colspan=\"4\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     html(str(host, "host")), html(human_time(host, "first_seen")), html(human_time(host, "last_seen")),
                     host.value("flows", 0), html(bytes_text(host.value("bytes", uint64_t{0}))));
    for (const json& c : host["contacts"]) {
      std::string seen = str(c, "seen");
      if (c.contains("resolved_from")) seen += " (resolved from " + str(c, "resolved_from") + ")";
      o += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                       html(str(c, "ioc")), html(str(c, "how")), html(seen), html(str(c, "feed")),
                       html(human_time(c, "first_seen")), html(human_time(c, "last_seen")), c.value("flows", 0),
                       html(bytes_text(c.value("bytes", uint64_t{0}))));
    }
  }
  return o + "</table>\n</body></html>\n";
}

}  // namespace

bool hunt_format_from_name(const std::string& name, HuntFormat* out) {
  if (name == "text") *out = HuntFormat::kText;
  else if (name == "csv") *out = HuntFormat::kCsv;
  else if (name == "json") *out = HuntFormat::kJson;
  else if (name == "html") *out = HuntFormat::kHtml;
  else return false;
  return true;
}

std::string render_hunt(const json& hunt, HuntFormat format) {
  switch (format) {
    case HuntFormat::kCsv: return csv(hunt);
    case HuntFormat::kJson: return hunt.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
    case HuntFormat::kHtml: return page(hunt);
    case HuntFormat::kText: break;
  }
  return text(hunt);
}

int print_hunt(const json& hunt, HuntFormat format, const std::string& out_path) {
  const std::string s = render_hunt(hunt, format);
  if (out_path.empty() || out_path == "-") {
    std::fwrite(s.data(), 1, s.size(), stdout);
    return 0;
  }
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  out << s;
  if (!out.flush()) {
    std::fprintf(stderr, "iocctl: %s: cannot write\n", out_path.c_str());
    return 1;
  }
  return 0;
}

}  // namespace iocgate
