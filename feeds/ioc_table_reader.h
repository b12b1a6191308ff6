// feeds/ioc_table_reader.h — IoCs from a table of cells, wherever the table came from (CSV/TSV,
// a spreadsheet sheet, a Word or PDF table): the header names the value, type and note
// columns, in English or Vietnamese; without one, the value column is found by content.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feeds/feed_reader.h"

namespace iocgate {

// What a header cell names; kNone for a column the reader ignores.
enum class TableColumn : uint8_t { kNone, kValue, kType, kNote };

// The role of a header cell ("Địa chỉ IP" -> kValue, "Loại" -> kType, "Ghi chú" -> kNote).
TableColumn table_column_of(std::string_view header_cell);

// Lower case for ASCII and the Latin letters Vietnamese uses ("Địa" -> "địa"), so header
// names compare without regard to case.
std::string fold_case(std::string_view utf8);

class IocTableReader {
 public:
  // strict: a value cell that is not an IoC refuses the feed (CSV, spreadsheets, Word
  // tables hold exactly what the author typed); otherwise it is noted (PDF text, whose
  // layout may split or join cells).
  IocTableReader(FeedReader& r, bool strict) : r_(r), strict_(strict) {}

  // Starts a new table (a sheet, a Word table): its header is looked for again.
  void begin_table();

  // One row. `line` is what Ioc::line gets; `where` ("sheet 'IoCs' row 4") prefixes the
  // label. Returns false when the feed is refused.
  bool row(const std::vector<std::string>& cells, uint32_t line, std::string_view where);

  // True once a header row was recognised in the current table.
  bool has_header() const { return header_; }

  // True once any table had a header or a row holding an IoC.
  bool found_table() const { return found_; }

  // The refusal for a file in which no table was found.
  static constexpr const char* kNoTable =
      "no IoC table: no header row naming a value column (value, indicator, IoC, IP, domain, URL, giá trị, "
      "địa chỉ IP, tên miền, ...) and no row holding an IoC";

  // True when `cells` is a header row: one names a value column and none is an IoC. With
  // `with_type_or_note`, another must name the type or note column too: for headers found
  // in running text (PDF), where a lone "C2" or "URL" cell is more often data.
  static bool is_header(const std::vector<std::string>& cells, bool with_type_or_note = false);

  // True when a table starting with `cells` is an IoC table (a header, or an IoC in a
  // cell); a document's other tables (revision history, contents) are read as text.
  static bool starts_ioc_table(const std::vector<std::string>& cells);

 private:
  bool value(std::string_view text, uint32_t line, const std::string& label, std::string_view type);
  bool bad(uint32_t line, std::string reason);

  FeedReader& r_;
  bool strict_;
  bool header_ = false;
  bool found_ = false;
  bool first_row_ = true;
  std::vector<TableColumn> columns_;
  std::string where_;
};

}  // namespace iocgate
