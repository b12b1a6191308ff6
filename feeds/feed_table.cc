// feeds/feed_table.cc — delimited IoC tables as advisories attach them (Volexity's
// "value,type,notes", an analyst's TSV, a spreadsheet saved with ';'): the separator is
// found from the first row, the columns from the header names or the content.
#include <algorithm>

#include "feeds/csv_reader.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_table_reader.h"
#include "feeds/list_header.h"

namespace iocgate {
namespace {

// The separator of the first row that is not a '#' comment: a tab if there is one, else
// whichever of ';' and ',' occurs more often.
char table_separator(std::string_view content) {
  for (const TextLine& l : TextLines(content)) {
    std::string_view line = trim_blank(l.text);
    if (line.empty() || line[0] == '#') continue;
    if (line.find('\t') != std::string_view::npos) return '\t';
    auto n = [&](char c) { return std::count(line.begin(), line.end(), c); };
    return n(';') > n(',') ? ';' : ',';
  }
  return ',';
}

}  // namespace

bool looks_like_ioc_table(std::string_view content) {
  const char sep = table_separator(content);
  CsvDialect d{sep, true, false, false, true};
  CsvReader csv(content.substr(0, std::min<size_t>(content.size(), 64 * 1024)), d);
  CsvRecord rec;
  while (csv.next(rec)) {
    if (rec.comment || rec.blank()) continue;
    return rec.fields.size() >= 2 && IocTableReader::is_header(rec.fields);
  }
  return false;
}

FeedParseResult parse_ioc_table(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kTable, opts);
  CsvDialect dialect{table_separator(r.content()), true, true, false, true};
  CsvReader csv(r.content(), dialect);
  IocTableReader table(r, true);
  CsvRecord rec;
  while (csv.next(rec)) {
    if (rec.comment || rec.blank()) continue;
    if (!table.row(rec.fields, rec.line, {})) return r.finish();
  }
  if (!csv.error().empty()) return r.refuse(csv.error_line(), csv.error());
  if (!table.found_table()) return r.refuse(0, IocTableReader::kNoTable);
  read_list_header(r.content(), r.feed());
  return r.finish();
}

}  // namespace iocgate
