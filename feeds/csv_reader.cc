// feeds/csv_reader.cc — see csv_reader.h.
#include "feeds/csv_reader.h"

namespace iocgate {

bool CsvReader::next(CsvRecord& out) {
  out.fields.clear();
  if (pos_ >= s_.size()) return false;
  out.line = line_;
  std::string field;
  bool quoted_field = false;
  while (true) {
    if (pos_ >= s_.size()) {
      out.fields.push_back(std::move(field));
      return true;
    }
    char c = s_[pos_];
    if (c == '"' && field.empty() && !quoted_field) {
      // Quoted field: runs to the closing quote; "" is a literal quote, newlines are data.
      uint32_t open_line = line_;
      quoted_field = true;
      ++pos_;
      while (true) {
        if (pos_ >= s_.size()) {
          error_ = "unterminated quoted field (missing closing '\"')";
          error_line_ = open_line;
          return false;
        }
        char q = s_[pos_++];
        if (q == '"') {
          if (pos_ < s_.size() && s_[pos_] == '"') {
            field += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (q == '\n') ++line_;
        field += q;
      }
      if (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '\n' && s_[pos_] != '\r') {
        error_ = "text after a closing quote; a quote inside a quoted field is written \"\"";
        error_line_ = line_;
        return false;
      }
      continue;
    }
    if (c == ',') {
      out.fields.push_back(std::move(field));
      field.clear();
      quoted_field = false;
      ++pos_;
      continue;
    }
    if (c == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
      ++pos_;
      continue;
    }
    if (c == '\n') {
      ++pos_;
      ++line_;
      out.fields.push_back(std::move(field));
      return true;
    }
    if (c == '"' ) {
      error_ = "a quote inside an unquoted field; quote the whole field";
      error_line_ = line_;
      return false;
    }
    field += c;
    ++pos_;
  }
}

}  // namespace iocgate
