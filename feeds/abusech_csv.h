// feeds/abusech_csv.h — the CSV layout abuse.ch uses for Feodo Tracker, ThreatFox and
// URLhaus exports: a '#' comment block (the header row sometimes inside it), quoted fields.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/ioc.h"

namespace iocgate {

struct AbusechRow {
  const std::vector<std::string>& fields;
  const std::map<std::string, size_t>& columns;
  uint32_t line;
  // The field of column `name` (which the caller listed as required).
  const std::string& operator[](const std::string& name) const { return fields[columns.at(name)]; }
  bool has(const std::string& name) const { return columns.count(name) != 0; }
};

// Finds the header row (commented or not) naming every column in `required`, then calls
// `row` for each data line; `row` returns an error reason or "". Comment and blank lines
// are skipped. Fills result.error ("FILE:LINE: reason") on the first failure.
void read_abusech_csv(std::string_view content, std::initializer_list<const char*> required,
                      const std::string& format_name, const ParseOptions& opts, FeedParseResult& result,
                      const std::function<std::string(const AbusechRow&)>& row);

}  // namespace iocgate
