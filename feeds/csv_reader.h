// feeds/csv_reader.h — RFC 4180 record reader that remembers the physical line each record
// starts on, because quoted fields may span lines and errors must point into the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace iocgate {

struct CsvRecord {
  std::vector<std::string> fields;
  uint32_t line = 0;  // 1-based physical line of the record's first byte
};

class CsvReader {
 public:
  explicit CsvReader(std::string_view content) : s_(content) {}

  // Reads the next record into `out`. Returns false at the end of input or on a syntax
  // error; then error() is non-empty and error_line() says where.
  bool next(CsvRecord& out);

  const std::string& error() const { return error_; }
  uint32_t error_line() const { return error_line_; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  std::string error_;
  uint32_t error_line_ = 0;
};

}  // namespace iocgate
