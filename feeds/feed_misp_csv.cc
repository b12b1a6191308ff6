// feeds/feed_misp_csv.cc — MISP attribute CSV exports (uuid,event_id,category,type,value,...).
// Columns are located by header name, since MISP lets the exporter add or reorder them.
#include <fmt/format.h>

#include "feeds/csv_reader.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/misp_attribute.h"

namespace iocgate {
namespace {

constexpr size_t kMissing = static_cast<size_t>(-1);


}  // namespace

FeedParseResult parse_misp_csv(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kMispCsv, opts);
  auto fail = [&](uint32_t line, std::string reason) { return r.refuse(line, std::move(reason)); };
  CsvReader reader(r.content());
  CsvRecord rec;
  if (!reader.next(rec)) {
    if (!reader.error().empty()) return fail(reader.error_line(), reader.error());
    return fail(0, "empty file: a MISP CSV starts with a 'uuid,event_id,category,type,value,...' header");
  }
  size_t col_type = kMissing, col_value = kMissing, col_comment = kMissing, col_to_ids = kMissing;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    std::string_view name = trim_blank(rec.fields[i]);
    if (name == "type") col_type = i;
    else if (name == "value") col_value = i;
    else if (name == "comment") col_comment = i;
    else if (name == "to_ids") col_to_ids = i;
  }
  if (col_type == kMissing || col_value == kMissing)
    return fail(rec.line, "MISP CSV header lacks a 'type' or 'value' column");
  const size_t n_columns = rec.fields.size();
  while (reader.next(rec)) {
    if (rec.fields.size() == 1 && rec.blank()) continue;  // blank line
    if (rec.fields.size() != n_columns)
      return fail(rec.line, fmt::format("row has {} fields, the header has {}", rec.fields.size(), n_columns));
    bool not_for_ids = false;
    if (col_to_ids != kMissing) {
      std::string_view to_ids = trim_blank(rec.fields[col_to_ids]);
      not_for_ids = to_ids == "0" || to_ids == "false" || to_ids == "False";
      if (!not_for_ids && to_ids != "1" && to_ids != "true" && to_ids != "True")
        return fail(rec.line, fmt::format("to_ids is '{}', expected 0 or 1", to_ids));
      if (not_for_ids && !opts.include_not_for_ids) {
        r.skip("to_ids=0");
        continue;
      }
    }
    std::string_view type = trim_blank(rec.fields[col_type]);
    std::string_view value = trim_blank(rec.fields[col_value]);
    std::vector<Ioc> iocs;
    bool skip = false;
    std::string error;
    if (!misp_attribute_iocs(type, value, iocs, skip, error))
      return fail(rec.line, fmt::format("{}: {}", type, error));
    if (skip) {
      r.skip(type.empty() ? std::string("(no type)") : std::string(type));
      continue;
    }
    if (not_for_ids) r.feed().not_for_ids += iocs.size();
    for (Ioc& ioc : iocs)
      r.keep(std::move(ioc), rec.line, col_comment != kMissing ? std::string(trim_blank(rec.fields[col_comment])) : "");
  }
  if (!reader.error().empty()) return fail(reader.error_line(), reader.error());
  return r.finish();
}

}  // namespace iocgate
