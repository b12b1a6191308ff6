// tests/control/report_sample.cc — a week of generated review-store lines, written as the
// store writes its day files, and the report built from those files alone (no DPDK): the
// input of report_pdf_test.py, which renders the HTML with Chromium. The fleet has what a
// page must hold without breaking: IPv6 hosts and peers, long names, eight-digit counts,
// advisories with spaces and slashes, a removed feed, an infected host and a beacon.
//
// usage: report_sample OUT_DIR   (writes OUT_DIR/store/, report.json, report-{en,vi}.{html,txt}, report.csv)

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "control/hit_store.h"
#include "control/review_report.h"

namespace {

using namespace iocgate;

constexpr int64_t kEnd = 1719748800000;  // 2024-06-30T12:00:00Z
constexpr int64_t kMin = 60000, kHour = 60 * kMin, kDay = 24 * kHour;

struct Fleet {
  std::vector<HitRecord> lines;
  std::mt19937 rng{2024};

  HitRecord& add(const std::string& host, const std::string& ioc, const std::string& kind, const std::string& feed,
                 const std::string& advisory, const std::string& group, const std::string& action, int64_t t,
                 uint64_t flows, uint64_t packets) {
    HitRecord r;
    r.schema = 2;
    r.host = host;
    r.ioc = ioc;
    r.kind = kind;
    r.feed = feed;
    r.advisory = advisory;
    r.group = group;
    r.action = action;
    r.direction = "outbound";
    r.peer = kind == "ip" ? ioc : "198.51.100.99";
    r.port = 443;
    r.proto = "tcp";
    r.first_ms = flows ? t : 0;
    r.last_ms = t;
    r.flows = flows;
    r.packets = packets;
    lines.push_back(r);
    return lines.back();
  }
};

std::vector<HitRecord> generate() {
  Fleet f;
  const std::string k941 = "941/CATTT-NCSC", kAA = "CISA AA24-057A", kVN = "VNCERT 2024/07 Lazarus";
  // Infected: its own address on the monthly watch list, a busy host (eight-digit flows).
  for (int h = 0; h < 7 * 24; h += 1) {
    HitRecord& r = f.add("10.10.1.66", "10.10.1.66", "ip", "botnet-watch-2024-06", "", "Monthly botnet list", "drop",
                         kEnd - 7 * kDay + h * kHour + 17 * kMin, 139862, 1398620 + h);
    r.ioc_is_host = true;
    r.role = "infected";
    r.peer = "203.0.113.250";
    r.port = 6667;
  }
  // A Mustang Panda beacon by SNI every 60 s (±4 s) for two days, alert only: it went through.
  for (int i = 0; i < 2 * 24 * 60; ++i) {
    const int64_t jitter = static_cast<int64_t>(f.rng() % 8000) - 4000;
    HitRecord& r = f.add("fd00:1234:5678:9abc:def0:1234:5678:9abc", "update-check.mustang-c2-example.com", "sni",
                         "ncsc-941-domain", k941, "Mustang Panda", "alert", kEnd - 3 * kDay + i * kMin + jitter, 1, 23);
    r.seen = "cdn7.update-check.mustang-c2-example.com";
    r.peer = "2001:db8:4860:4860:8844:1234:abcd:ef01";
  }
  // The same C2 by address, blocked, and its DNS name through the internal resolver.
  for (int i = 0; i < 30; ++i) {
    f.add("10.10.2.15", "198.51.100.23", "ip", "ncsc-941-ip", k941, "Mustang Panda", "drop",
          kEnd - 5 * kDay + i * 5 * kHour + 11 * kMin, 1, 3);
    HitRecord& d = f.add("10.10.2.15", "mustang-c2-example.com", "dns", "ncsc-941-domain", k941, "Mustang Panda", "drop",
                         kEnd - 5 * kDay + i * 5 * kHour + 10 * kMin, 1, 1);
    d.seen = "api.mustang-c2-example.com";
    d.peer = "10.10.0.53";
    d.port = 53;
    d.proto = "udp";
  }
  // An address two advisories list: APT31's drop decided, 941's alert is its other listing.
  for (int i = 0; i < 4; ++i) {
    HitRecord& r = f.add("10.10.3.7", "192.0.2.77", "ip", "cisa-aa24-057a", kAA, "APT31", "drop",
                         kEnd - 2 * kDay + i * 9 * kHour, 2, 12);
    r.also.push_back({"ncsc-941-ip", k941, "Mustang Panda", "alert", 118});
    r.line = 42;
  }
  // A long domain (longer than a line can hold whole: it breaks at its dots only).
  HitRecord& lng = f.add("10.10.4.200", "very-long-subdomain-name-for-testing-wrapping.campaign.evil-example.org",
                         "host", "vncert-lazarus", kVN, "Lazarus Group", "drop", kEnd - 30 * kHour, 1, 5);
  lng.port = 80;
  lng.seen = lng.ioc;
  // Lazarus by DNS, one-off hosts.
  for (int h = 0; h < 6; ++h) {
    HitRecord& r = f.add("10.10.5." + std::to_string(10 + h), "lazarus-cdn-example.net", "dns", "vncert-lazarus", kVN,
                         "Lazarus Group", h % 2 ? "alert" : "drop", kEnd - (h + 1) * 7 * kHour, 1, 2);
    r.seen = "a1b2c3d4.dyn.lazarus-cdn-example.net";
    r.peer = "10.10.0.53";
    r.port = 53;
    r.proto = "udp";
  }
  // A listed address scanning 40 ports of a server: inbound, peers folded past the limit.
  for (int p = 0; p < 40; ++p) {
    HitRecord& r = f.add("10.10.9.9", "192.0.2.200", "ip", "cisa-aa24-057a", kAA, "APT31", "drop",
                         kEnd - 20 * kHour + p * 1000, 1, 1);
    r.direction = "inbound";
    r.peer = "192.0.2.200";
    r.port = static_cast<uint16_t>(20 + p);
  }
  // Hits of a feed pushed by mistake and since removed.
  f.add("10.10.6.1", "203.0.113.9", "ip", "old-mistake", "", "", "drop", kEnd - 6 * kDay, 12, 40);
  // Only an allowlist's flows.
  f.add("10.10.7.1", "telemetry.vendor-example.com", "sni", "vendor-allow", "", "", "allow", kEnd - 4 * kDay, 5, 50);
  std::stable_sort(f.lines.begin(), f.lines.end(),
                   [](const HitRecord& a, const HitRecord& b) { return a.last_ms < b.last_ms; });
  return f.lines;
}

// Day files as HitStore::flush writes them (one line per record, the day of the flush).
void write_store(const std::string& dir, const std::vector<HitRecord>& lines) {
  std::filesystem::create_directories(dir);
  std::map<std::string, std::string> days;
  for (const HitRecord& r : lines) {
    const std::time_t t = r.last_ms / 1000;
    std::tm tm;
    gmtime_r(&t, &tm);
    char day[16];
    std::strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    days[day] += encode_hit_line(r) + "\n";
  }
  for (const auto& [day, text] : days) std::ofstream(dir + "/hits-" + day + ".jsonl", std::ios::binary) << text;
}

bool write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: report_sample OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string store = out + "/store";
  write_store(store, generate());
  ReportCatalog c;
  for (const char* f : {"botnet-watch-2024-06", "ncsc-941-ip", "ncsc-941-domain", "cisa-aa24-057a", "vncert-lazarus",
                        "vendor-allow"})
    c.current.push_back({f, "", ""});
  c.seen = read_hit_names(store);
  ReportQuery q;
  q.generated_ms = kEnd;
  q.until_ms = kEnd;
  q.since_ms = kEnd - 7 * kDay;
  q.instance = "edge-hanoi-1";
  bool ok = true;
  for (const auto& [lang, offset] : {std::pair{Lang::kEn, 0}, {Lang::kVi, 7 * 60}}) {
    q.utc_offset_minutes = offset;
    Result<nlohmann::json> rep = build_review_report_from_files(store, q, c);
    if (!rep.ok()) {
      std::fprintf(stderr, "report_sample: %s\n", rep.message().c_str());
      return 1;
    }
    const std::string code = lang_code(lang);
    ok = ok && write(out + "/report-" + code + ".html", render_report_html(*rep, {lang})) &&
         write(out + "/report-" + code + ".txt", render_report_text(*rep, {lang}));
    if (lang == Lang::kEn)
      ok = ok && write(out + "/report.json", rep->dump(2) + "\n") && write(out + "/report.csv", render_report_csv(*rep));
  }
  return ok ? 0 : 1;
}
