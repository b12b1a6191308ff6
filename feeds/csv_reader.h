// feeds/csv_reader.h — the one delimited-record reader of the feed parsers: RFC 4180 quoting
// (MISP), padded and '#'-commented exports (abuse.ch), tab and ';' tables (advisories).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate {

struct CsvDialect {
  char separator = ',';
  bool trim = false;           // blanks around a field are padding (ThreatFox writes ", ")
  bool multiline = true;       // a quoted field may hold newlines; else a record is one line
  bool strict_quotes = true;   // a '"' inside an unquoted field is an error, not data
  bool comments = false;       // a record starting with '#' is a comment (see CsvRecord)
};

struct CsvRecord {
  std::vector<std::string> fields;  // unquoted, "" unescaped; one empty field for a blank line
  uint32_t line = 0;                // 1-based physical line of the record's first byte
  bool comment = false;             // with dialect.comments: `text` holds the line after '#'
  std::string_view text;            // the record's physical text (the comment's, after '#')
  bool blank() const;               // a blank line, or only blank fields
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view content, CsvDialect dialect = {}) : s_(content), d_(dialect) {}

  // Reads the next record into `out`. Returns false at the end of input or on a syntax
  // error; then error() is non-empty and error_line() says where.
  bool next(CsvRecord& out);

  const std::string& error() const { return error_; }
  uint32_t error_line() const { return error_line_; }

 private:
  bool fail(uint32_t line, const char* reason);

  std::string_view s_;
  CsvDialect d_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  std::string error_;
  uint32_t error_line_ = 0;
};

// Splits one line (a commented header, say) in `dialect`; false with `error` on bad quoting.
bool split_csv_line(std::string_view line, CsvDialect dialect, std::vector<std::string>& fields, std::string& error);

}  // namespace iocgate
