// feeds/csv_line.cc — see csv_line.h.
#include "feeds/csv_line.h"

#include <fmt/format.h>

namespace iocgate {
namespace {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

bool split_csv_line(std::string_view line, std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  size_t i = 0;
  while (true) {
    while (i < line.size() && is_blank(line[i])) ++i;
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          error = fmt::format("unterminated quoted field {}", fields.size() + 1);
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field += line[i++];
      }
      while (i < line.size() && is_blank(line[i])) ++i;
      if (i < line.size() && line[i] != ',') {
        error = fmt::format("text after the closing quote of field {}", fields.size() + 1);
        return false;
      }
    } else {
      size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      std::string_view raw = line.substr(i, end - i);
      while (!raw.empty() && is_blank(raw.back())) raw.remove_suffix(1);
      field = std::string(raw);
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return true;
    ++i;  // the ','
  }
}

}  // namespace iocgate
