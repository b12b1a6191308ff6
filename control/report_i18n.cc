// control/report_i18n.cc — the label table and the date and number forms.

#include "control/report_i18n.h"

#include <fmt/format.h>

#include <ctime>

namespace iocgate {

namespace {

struct Label {
  const char* key;
  const char* en;
  const char* vi;
};

// Vietnamese as an operator of a Vietnamese SOC writes it: "khuyến cáo" for an advisory
// (so "cảnh báo" stays free for the alert action), "máy" for an internal host.
constexpr Label kLabels[] = {
    {"title", "iocgate review report", "Báo cáo rà soát kết nối IoC — iocgate"},
    {"instance", "Instance", "Thiết bị"},
    {"period", "Period", "Khoảng thời gian"},
    {"from_to", "{} to {}", "từ {} đến {}"},
    {"generated", "Generated", "Lập lúc"},
    {"times_in", "Times are {}", "Thời gian theo {}"},
    {"filters", "Filters", "Bộ lọc"},
    {"filter.none", "none: every feed, advisory, group and host", "không: mọi nguồn, khuyến cáo, nhóm và máy"},
    {"summary", "Summary", "Tổng quan"},
    {"hosts", "Hosts", "Số máy"},
    {"host", "Host", "Máy"},
    {"infected", "Infected", "Bị nhiễm"},
    {"beaconing", "Beaconing", "Kết nối lặp lại"},
    {"one_off", "One-off", "Kết nối đơn lẻ"},
    {"allowed_only", "Allowed only", "Chỉ được cho phép"},
    {"hosts_alerted", "Hosts not blocked", "Máy không bị chặn"},
    {"flows", "Flows", "Luồng"},
    {"packets", "Packets", "Gói tin"},
    {"blocked", "Blocked", "Đã chặn"},
    {"alerted", "Alert only", "Chỉ cảnh báo"},
    {"allowed", "Allowed", "Cho phép"},
    {"iocs", "IoCs", "Số IoC"},
    {"ioc", "IoC", "IoC"},
    {"by_advisory", "By advisory", "Theo khuyến cáo"},
    {"by_group", "By threat group", "Theo nhóm tấn công"},
    {"by_feed", "By feed", "Theo nguồn IoC"},
    {"advisory", "Advisory", "Khuyến cáo"},
    {"group", "Threat group", "Nhóm tấn công"},
    {"feed", "Feed", "Nguồn IoC"},
    {"feeds", "Feeds", "Nguồn IoC"},
    {"advisories", "Advisories", "Khuyến cáo"},
    {"groups", "Groups", "Nhóm"},
    {"no_advisory", "(no advisory)", "(không có khuyến cáo)"},
    {"no_group", "(no group)", "(không rõ nhóm)"},
    {"multi_note", "A contact listed under several advisories, groups or feeds counts under each.",
     "Một kết nối có trong nhiều khuyến cáo, nhóm hoặc nguồn được tính cho từng mục."},
    {"timeline", "Timeline", "Diễn biến theo thời gian"},
    {"timeline_note", "Flows per {}: blocked, alert only (went through), allowed.",
     "Số luồng mỗi {}: đã chặn, chỉ cảnh báo (đã lọt qua), cho phép."},
    {"ranking", "Hosts to clean first", "Thứ tự ưu tiên xử lý máy"},
    {"ranking_note",
     "Infected hosts (own address on a watch list) first, then beaconing hosts (contacts to one IoC on {} or more "
     "distinct hours, or {} or more contacts at regular intervals), then one-off contacts; within each, hosts with "
     "alert-only flows first (their traffic went through), then by flows. A contact: flows at least {} s apart.",
     "Máy bị nhiễm (địa chỉ của máy có trong danh sách theo dõi) xếp đầu, sau đó là máy kết nối lặp lại (tới cùng "
     "một IoC trong {} giờ khác nhau trở lên, hoặc {} lần trở lên với khoảng cách đều đặn), rồi máy kết nối đơn lẻ; "
     "trong mỗi nhóm, máy có luồng chỉ cảnh báo (lưu lượng đã lọt qua) xếp trước, sau đó theo số luồng. Một lần kết "
     "nối: các luồng cách nhau ít nhất {} giây."},
    {"rank", "#", "#"},
    {"class", "Class", "Phân loại"},
    {"why", "Why", "Lý do"},
    {"first_seen", "First seen", "Lần đầu"},
    {"last_seen", "Last seen", "Lần cuối"},
    {"first_last", "First / last seen", "Lần đầu / lần cuối"},
    {"contacts", "Contacts", "Các kết nối"},
    {"seen", "seen", "thấy"},
    {"peer", "Peer", "Đầu bên kia"},
    {"action", "Action", "Xử lý"},
    {"direction", "Direction", "Chiều"},
    {"listed_by", "Listed by", "Có trong"},
    {"how", "How", "Khớp qua"},
    {"removed_feed", "removed feed", "nguồn đã gỡ"},
    {"other_peers", "other peers", "các địa chỉ khác"},
    {"other_contacts", "other contacts", "các kết nối khác"},
    {"limits_note",
     "This report holds at most {} hosts and {} contact rows: {} line(s) ({} flows) of further hosts count in the "
     "totals and the summaries' flows only, and {} line(s) are in \"other contacts\" rows. Narrow it with --since, "
     "--until, --host or --feed.",
     "Báo cáo chỉ chứa tối đa {} máy và {} dòng kết nối: {} dòng ({} luồng) của các máy khác chỉ được tính vào tổng "
     "và số luồng của phần tổng hợp, và {} dòng nằm trong các dòng \"các kết nối khác\". Hãy thu hẹp bằng --since, "
     "--until, --host hoặc --feed."},
    {"line", "line {}", "dòng {}"},
    {"class.infected", "infected", "bị nhiễm"},
    {"class.beaconing", "beaconing", "kết nối lặp lại"},
    {"class.one-off", "one-off", "đơn lẻ"},
    {"class.allowed", "allowed only", "chỉ được cho phép"},
    {"dir.outbound", "outbound", "đi ra"},
    {"dir.inbound", "inbound", "đi vào"},
    {"dir.internal", "internal", "nội bộ"},
    {"dir.unknown", "unknown", "không rõ"},
    {"act.drop", "drop", "chặn"},
    {"act.reject", "reject", "từ chối"},
    {"act.alert", "alert", "cảnh báo"},
    {"act.mirror", "mirror", "sao chép"},
    {"act.allow", "allow", "cho phép"},
    {"outcome.blocked", "blocked", "đã chặn"},
    {"outcome.alerted", "alert only", "chỉ cảnh báo"},
    {"outcome.allowed", "allowed", "cho phép"},
    {"how.ip", "IP", "IP"},
    {"how.dns", "DNS", "DNS"},
    {"how.sni", "TLS SNI", "TLS SNI"},
    {"how.host", "HTTP Host", "HTTP Host"},
    {"why.watch-list", "own address on watch list {}", "địa chỉ của máy có trong danh sách theo dõi {}"},
    {"why.botnet-name", "own address on botnet list {}", "địa chỉ của máy có trong danh sách botnet {}"},
    {"why.regular", "calls {} about every {} ({} contacts, {} distinct hours)",
     "kết nối tới {} khoảng {} một lần ({} lần, {} giờ khác nhau)"},
    {"why.hours", "contacted {} on {} distinct hours ({} contacts)", "kết nối tới {} trong {} giờ khác nhau ({} lần)"},
    {"why.one-off", "{} flow(s) to {} IoC(s)", "{} luồng tới {} IoC"},
    {"why.allowed", "only flows an allowlist let through ({})", "chỉ có luồng được danh sách cho phép ({})"},
    {"no_hits", "No internal host contacted a listed IoC in this period.",
     "Không có máy nội bộ nào kết nối tới IoC trong danh sách trong khoảng thời gian này."},
    {"forgotten", "Hits of feed {} were forgotten on {} by {} ({} flows).",
     "Dữ liệu kết nối của nguồn {} đã bị xoá lúc {} bởi {} ({} luồng)."},
    {"forget_failed", "A forget of feed {} on {} by {} did not finish.",
     "Lệnh xoá dữ liệu của nguồn {} lúc {} bởi {} chưa hoàn tất."},
    {"damaged", "{} damaged line(s) of the review store were skipped.",
     "Đã bỏ qua {} dòng hỏng trong kho dữ liệu rà soát."},
    {"totals_line", "{} internal host(s) contacted IoCs: {} infected, {} beaconing, {} one-off; {} flows ({} blocked, "
                    "{} alert only, {} allowed), {} packets",
     "{} máy nội bộ đã kết nối tới IoC: {} bị nhiễm, {} kết nối lặp lại, {} đơn lẻ; {} luồng ({} đã chặn, {} chỉ cảnh "
     "báo, {} cho phép), {} gói tin"},
    {"bin.minute", "minute", "phút"},
    {"bin.minutes", "{} minutes", "{} phút"},
    {"bin.hour", "hour", "giờ"},
    {"bin.hours", "{} hours", "{} giờ"},
    {"bin.day", "day", "ngày"},
    {"bin.days", "{} days", "{} ngày"},
    {"bin.week", "week", "tuần"},
    {"bin.year", "year", "năm"},
    {"unit.s", "{} s", "{} giây"},
    {"unit.min", "{} min", "{} phút"},
    {"unit.h", "{} h", "{} giờ"},
    {"chart.value", "{} host(s) · {} flow(s)", "{} máy · {} luồng"},
    {"page_of", "Page", "Trang"},
};

std::tm at_offset(int64_t unix_ms, int offset) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000 + int64_t{offset} * 60);
  std::tm tm;
  gmtime_r(&t, &tm);
  return tm;
}

}  // namespace

Result<Lang> parse_lang(std::string_view t) {
  if (t == "en" || t.empty()) return Lang::kEn;
  if (t == "vi") return Lang::kVi;
  return Status::error("'" + std::string(t) + "': the report is written in en (English) or vi (Vietnamese)");
}

const char* lang_code(Lang l) { return l == Lang::kVi ? "vi" : "en"; }

std::string tr(Lang l, std::string_view key) {
  for (const Label& x : kLabels)
    if (key == x.key) return l == Lang::kVi ? x.vi : x.en;
  // Unknown keys are words from the store (a direction or action this version does not
  // name): shown as they are.
  const size_t dot = key.find('.');
  return std::string(dot == std::string_view::npos ? key : key.substr(dot + 1));
}

std::vector<std::string_view> label_keys() {
  std::vector<std::string_view> v;
  for (const Label& x : kLabels) v.push_back(x.key);
  return v;
}

std::string format_time(int64_t unix_ms, Lang l, int offset) {
  if (unix_ms == 0) return "-";
  const std::tm tm = at_offset(unix_ms, offset);
  char buf[40];
  std::strftime(buf, sizeof(buf), l == Lang::kVi ? "%d/%m/%Y %H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string format_date(int64_t unix_ms, Lang l, int offset) {
  const std::tm tm = at_offset(unix_ms, offset);
  char buf[24];
  std::strftime(buf, sizeof(buf), l == Lang::kVi ? "%d/%m/%Y" : "%Y-%m-%d", &tm);
  return buf;
}

std::string format_tick(int64_t unix_ms, Lang l, int offset, bool with_time) {
  const std::tm tm = at_offset(unix_ms, offset);
  char buf[24];
  if (with_time) std::strftime(buf, sizeof(buf), l == Lang::kVi ? "%d/%m %H:%M" : "%m-%d %H:%M", &tm);
  else std::strftime(buf, sizeof(buf), l == Lang::kVi ? "%d/%m/%Y" : "%Y-%m-%d", &tm);
  return buf;
}

std::string format_count(uint64_t n, Lang l) {
  const std::string digits = std::to_string(n);
  const char sep = l == Lang::kVi ? '.' : ',';
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += sep;
    out += digits[i];
  }
  return out;
}

std::string format_interval(int64_t s, Lang l) {
  if (s < 120) return fmt::format(fmt::runtime(tr(l, "unit.s")), s);
  if (s < 7200) return fmt::format(fmt::runtime(tr(l, "unit.min")), (s + 30) / 60);
  return fmt::format(fmt::runtime(tr(l, "unit.h")), (s + 1800) / 3600);
}

std::string format_bin(int64_t bin_ms, Lang l) {
  if (bin_ms < 3600000) {
    const int64_t m = bin_ms / 60000;
    return m == 1 ? tr(l, "bin.minute") : fmt::format(fmt::runtime(tr(l, "bin.minutes")), m);
  }
  const int64_t h = bin_ms / 3600000;
  if (h == 1) return tr(l, "bin.hour");
  if (h < 24) return fmt::format(fmt::runtime(tr(l, "bin.hours")), h);
  if (h == 24) return tr(l, "bin.day");
  if (h == 24 * 7) return tr(l, "bin.week");
  if (h == 24 * 365) return tr(l, "bin.year");
  return fmt::format(fmt::runtime(tr(l, "bin.days")), h / 24);
}

std::string fill(Lang l, std::string_view key, const std::vector<std::string>& args, const Markup& m) {
  const std::string label = tr(l, key);
  std::string out;
  size_t pos = 0, arg = 0;
  for (size_t at; (at = label.find("{}", pos)) != std::string::npos; pos = at + 2) {
    out += m.text(std::string_view(label).substr(pos, at - pos));
    if (arg < args.size()) out += m.value(args[arg++]);
  }
  out += m.text(std::string_view(label).substr(pos));
  return out;
}

std::string reason_text(const nlohmann::json& r, Lang l, const Markup& m) {
  const std::string kind = r.value("kind", "");
  auto count = [&](const char* k) { return format_count(r.value(k, uint64_t{0}), l); };
  if (kind == "infected")
    return fill(l, r.value("rule", "") == "botnet-name" ? "why.botnet-name" : "why.watch-list", {r.value("feed", "")}, m);
  if (kind == "beaconing") {
    if (r.value("interval_s", int64_t{0}) > 0)
      return fill(l, "why.regular",
                  {r.value("ioc", ""), format_interval(r.value("interval_s", int64_t{0}), l), count("contacts"),
                   count("hours")},
                  m);
    return fill(l, "why.hours", {r.value("ioc", ""), count("hours"), count("contacts")}, m);
  }
  if (kind == "one-off") return fill(l, "why.one-off", {count("flows"), count("iocs")}, m);
  if (kind == "allowed") return fill(l, "why.allowed", {count("flows")}, m);
  return m.text(kind);
}

}  // namespace iocgate
