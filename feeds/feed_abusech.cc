// feeds/feed_abusech.cc — abuse.ch CSV exports: Feodo Tracker (C2 addresses), ThreatFox
// (ip:port, domain, url; hashes counted) and the URLhaus dump (URLs, reduced to their host).
// All three share abuse.ch's layout: a '#' comment block, the header row sometimes inside it.
#include <fmt/format.h>

#include <initializer_list>
#include <map>

#include "feeds/csv_reader.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_value.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

// Quoted or not, padded with ", ", never spanning lines; '#' lines are comments.
constexpr CsvDialect kAbusechDialect{',', true, false, false, true};

struct AbusechRow {
  const std::vector<std::string>& fields;
  const std::map<std::string, size_t>& columns;
  uint32_t line;
  // The field of column `name` (which the caller listed as required).
  const std::string& operator[](const std::string& name) const { return fields[columns.at(name)]; }
  std::string get(const std::string& name) const {
    auto it = columns.find(name);
    return it == columns.end() ? std::string() : fields[it->second];
  }
};

std::string column_list(std::initializer_list<const char*> required) {
  std::string names;
  for (const char* r : required) names += std::string(names.empty() ? "" : ", ") + r;
  return names;
}

// Finds the header row (commented or not) naming every column in `required`, then runs
// `row` on each data row; `row` returns an error reason or "".
template <class Row>
FeedParseResult read_abusech_csv(FeedReader& r, std::initializer_list<const char*> required, const char* format_name,
                                 Row&& row) {
  CsvReader csv(r.content(), kAbusechDialect);
  std::map<std::string, size_t> columns;
  size_t n_columns = 0;
  CsvRecord rec;
  std::vector<std::string> fields;
  std::string error;
  while (csv.next(rec)) {
    if (rec.blank()) continue;
    if (columns.empty()) {
      if (rec.comment) {
        if (!split_csv_line(rec.text, kAbusechDialect, fields, error)) continue;
      } else {
        fields = rec.fields;
      }
      std::map<std::string, size_t> found;
      for (size_t i = 0; i < fields.size(); ++i) found.emplace(fields[i], i);
      bool all = true;
      for (const char* name : required) all = all && found.count(name);
      if (all) {
        columns = std::move(found);
        n_columns = fields.size();
      } else if (!rec.comment) {
        return r.refuse(rec.line, fmt::format("not a {} export: no header row with columns {} before the first data line",
                                              format_name, column_list(required)));
      }
      continue;
    }
    if (rec.comment) continue;
    if (rec.fields.size() != n_columns)
      return r.refuse(rec.line, fmt::format("row has {} fields, the header has {}", rec.fields.size(), n_columns));
    std::string why = row(AbusechRow{rec.fields, columns, rec.line});
    if (!why.empty()) return r.refuse(rec.line, std::move(why));
  }
  if (!csv.error().empty()) {
    r.fail(csv.error_line(), columns.empty() ? fmt::format("{} before the header row: {}", format_name, csv.error())
                                             : csv.error());
  } else if (columns.empty()) {
    r.fail(0, fmt::format("not a {} export: no header row with columns {}", format_name, column_list(required)));
  }
  return r.finish();
}

}  // namespace

FeedParseResult parse_feodo_csv(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kFeodoCsv, opts);
  r.feed().advisory = "abuse.ch Feodo Tracker";
  return read_abusech_csv(r, {"dst_ip"}, "Feodo Tracker CSV", [&](const AbusechRow& row) {
    std::string error;
    auto ioc = address_ioc(row["dst_ip"], error);
    if (!ioc) return fmt::format("dst_ip: {}", error);
    r.keep(std::move(*ioc), row.line, row.get("malware"));
    return std::string();
  });
}

FeedParseResult parse_threatfox_csv(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kThreatfoxCsv, opts);
  r.feed().advisory = "abuse.ch ThreatFox";
  return read_abusech_csv(r, {"ioc_value", "ioc_type"}, "ThreatFox CSV", [&](const AbusechRow& row) {
    const std::string& type = row["ioc_type"];
    const std::string& value = row["ioc_value"];
    std::string error;
    std::optional<Ioc> ioc;
    if (type == "ip:port") ioc = address_port_ioc(value, error);
    else if (type == "domain") ioc = domain_ioc(value, error);
    else if (type == "url") ioc = ioc_from_url(value, false, error);
    else {
      r.skip(type.empty() ? std::string("(no ioc_type)") : type);
      return std::string();
    }
    if (!ioc) return fmt::format("{}: {}", type, error);
    r.keep(std::move(*ioc), row.line, row.get("malware_printable"));
    return std::string();
  });
}

FeedParseResult parse_urlhaus_csv(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kUrlhausCsv, opts);
  r.feed().advisory = "abuse.ch URLhaus";
  return read_abusech_csv(r, {"url", "url_status"}, "URLhaus CSV", [&](const AbusechRow& row) {
    // An offline URL's host is often a cleaned-up, legitimate site: not enforced.
    if (row["url_status"] == "offline") {
      r.skip("offline");
      return std::string();
    }
    std::string error;
    auto ioc = ioc_from_url(row["url"], false, error);
    if (!ioc) return fmt::format("url: {}", error);
    r.keep(std::move(*ioc), row.line, row.get("threat"));
    return std::string();
  });
}

}  // namespace iocgate
