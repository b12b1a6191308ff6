// feeds/csv_reader.cc — see csv_reader.h.
#include "feeds/csv_reader.h"

#include "feeds/text_lines.h"

namespace iocgate {

bool CsvRecord::blank() const {
  if (comment) return false;
  for (const std::string& f : fields)
    if (!trim_blank(f).empty()) return false;
  return true;
}

bool CsvReader::fail(uint32_t line, const char* reason) {
  error_ = reason;
  error_line_ = line;
  return false;
}

bool CsvReader::next(CsvRecord& out) {
  out.fields.clear();
  out.comment = false;
  if (pos_ >= s_.size() || !error_.empty()) return false;
  out.line = line_;
  const size_t start = pos_;
  auto end_of_line = [&](size_t from) {
    size_t eol = s_.find('\n', from);
    return eol == std::string_view::npos ? s_.size() : eol;
  };
  if (d_.comments) {
    size_t i = pos_;
    while (i < s_.size() && is_blank(s_[i])) ++i;
    if (i < s_.size() && s_[i] == '#') {
      const size_t eol = end_of_line(i);
      out.comment = true;
      out.text = trim_blank(s_.substr(i + 1, eol - i - 1));
      pos_ = eol + 1;
      ++line_;
      return true;
    }
  }
  std::string field;
  bool quoted = false;  // the current field was quoted: what follows may only be blanks
  auto end_field = [&] {
    if (d_.trim && !quoted) field = std::string(trim_blank(field));
    out.fields.push_back(std::move(field));
    field.clear();
    quoted = false;
  };
  while (true) {
    if (pos_ >= s_.size()) {
      end_field();
      out.text = s_.substr(start);
      return true;
    }
    const char c = s_[pos_];
    if (c == '"' && !quoted && trim_blank(field).empty() && (d_.trim || field.empty())) {
      // Quoted field: runs to the closing quote; "" is a literal quote.
      const uint32_t open_line = line_;
      field.clear();
      quoted = true;
      ++pos_;
      while (true) {
        if (pos_ >= s_.size() || (!d_.multiline && s_[pos_] == '\n'))
          return fail(open_line, "unterminated quoted field (missing closing '\"')");
        const char q = s_[pos_++];
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
      size_t i = pos_;
      if (d_.trim)
        while (i < s_.size() && (s_[i] == ' ' || s_[i] == '\t')) ++i;
      if (i < s_.size() && s_[i] != d_.separator && s_[i] != '\n' && s_[i] != '\r')
        return fail(line_, "text after a closing quote; a quote inside a quoted field is written \"\"");
      pos_ = i;
      continue;
    }
    if (c == d_.separator) {
      end_field();
      ++pos_;
      continue;
    }
    if (c == '\r' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\n') {
      ++pos_;
      continue;
    }
    if (c == '\n') {
      end_field();
      out.text = s_.substr(start, pos_ - start);
      ++pos_;
      ++line_;
      return true;
    }
    if (c == '"' && (d_.strict_quotes || quoted))
      return fail(line_, quoted ? "text after a closing quote; a quote inside a quoted field is written \"\""
                                : "a quote inside an unquoted field; quote the whole field");
    field += c;
    ++pos_;
  }
}

bool split_csv_line(std::string_view line, CsvDialect dialect, std::vector<std::string>& fields, std::string& error) {
  dialect.multiline = false;
  dialect.comments = false;
  CsvReader reader(line.substr(0, line.find('\n')), dialect);
  CsvRecord rec;
  if (!reader.next(rec)) {
    fields.clear();
    if (reader.error().empty()) {
      fields.emplace_back();  // an empty line is one empty field
      return true;
    }
    error = reader.error();
    return false;
  }
  fields = std::move(rec.fields);
  return true;
}

}  // namespace iocgate
