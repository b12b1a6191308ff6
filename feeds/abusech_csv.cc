// feeds/abusech_csv.cc — see abusech_csv.h.
#include "feeds/abusech_csv.h"

#include <fmt/format.h>

#include "feeds/csv_line.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void read_abusech_csv(std::string_view content, std::initializer_list<const char*> required,
                      const std::string& format_name, const ParseOptions& opts, FeedParseResult& result,
                      const std::function<std::string(const AbusechRow&)>& row) {
  content = strip_utf8_bom(content);
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    result.feed.iocs.clear();
  };
  std::map<std::string, size_t> columns;
  size_t n_columns = 0;
  std::vector<std::string> fields;
  std::string error;
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = trim(content.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_no;
    bool comment = !line.empty() && line[0] == '#';
    if (columns.empty()) {
      // The header: the first line (commented or not) that names every required column.
      std::string_view text = comment ? trim(line.substr(1)) : line;
      if (text.empty() || !split_csv_line(text, fields, error)) {
        if (!comment && !text.empty()) return fail(line_no, fmt::format("{} before the header row: {}", format_name, error));
        continue;
      }
      std::map<std::string, size_t> found;
      for (size_t i = 0; i < fields.size(); ++i) found.emplace(fields[i], i);
      bool all = true;
      for (const char* r : required) all = all && found.count(r);
      if (all) {
        columns = std::move(found);
        n_columns = fields.size();
      } else if (!comment) {
        std::string names;
        for (const char* r : required) names += std::string(names.empty() ? "" : ", ") + r;
        return fail(line_no, fmt::format("not a {} export: no header row with columns {} before the first data line",
                                         format_name, names));
      }
      continue;
    }
    if (line.empty() || comment) continue;
    if (!split_csv_line(line, fields, error)) return fail(line_no, error);
    if (fields.size() != n_columns)
      return fail(line_no, fmt::format("row has {} fields, the header has {}", fields.size(), n_columns));
    std::string why = row(AbusechRow{fields, columns, line_no});
    if (!why.empty()) return fail(line_no, std::move(why));
  }
  if (columns.empty()) {
    std::string names;
    for (const char* r : required) names += std::string(names.empty() ? "" : ", ") + r;
    fail(0, fmt::format("not a {} export: no header row with columns {}", format_name, names));
  }
}

}  // namespace iocgate
