// feeds/ioc_table_reader.cc — see ioc_table_reader.h.
#include "feeds/ioc_table_reader.h"

#include <array>

#include <fmt/format.h>

#include "feeds/defang.h"
#include "feeds/ioc_token.h"
#include "feeds/text_lines.h"

namespace iocgate {
namespace {

// Header names, folded. A cell names a column when it is one of these, or one of these
// qualified by " (...)" or " / ...".
constexpr std::array<std::string_view, 31> kValueNames{
    "value", "values", "indicator", "indicators", "ioc", "iocs", "observable", "ip", "ips", "ip address",
    "ip addresses", "ipv4", "ipv6", "address", "domain", "domains", "domain name", "hostname", "host", "url",
    "urls", "c2", "c&c", "giá trị", "chỉ số", "dấu hiệu", "địa chỉ ip", "địa chỉ", "tên miền", "máy chủ",
    "đường dẫn"};
constexpr std::array<std::string_view, 10> kTypeNames{
    "type", "kind", "category", "ioc type", "indicator type", "loại", "kiểu", "phân loại", "loại ioc", "dạng"};
constexpr std::array<std::string_view, 14> kNoteNames{
    "note", "notes", "comment", "comments", "description", "context", "remark", "remarks", "ghi chú",
    "mô tả", "chú thích", "nhận xét", "thông tin", "chi tiết"};

// Types that name something a packet filter cannot match: the row is counted, not read.
constexpr std::array<std::string_view, 16> kNotOnTheWire{
    "hash", "md5", "sha1", "sha-1", "sha256", "sha-256", "sha512", "file", "filename", "file name", "tệp",
    "mã băm", "email", "e-mail", "mutex", "registry"};

std::string normalized(std::string_view cell) {
  std::string s = fold_case(trim_blank(cell));
  // "IP Address:" and "Type *": trailing punctuation of a label, not of the name.
  while (!s.empty() && (s.back() == ':' || s.back() == '*' || s.back() == ' ')) s.pop_back();
  std::string out;
  for (char c : s) {
    if (c == '\n' || c == '\t' || c == '\r') c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  return out;
}

template <size_t N>
bool names_one_of(const std::string& cell, const std::array<std::string_view, N>& names) {
  for (std::string_view n : names) {
    if (cell == n) return true;
    // A qualified name: "IP address (C2)", "Địa chỉ IP / Tên miền"; not "C2 list exported".
    if (cell.size() > n.size() + 1 && cell.starts_with(n) && cell[n.size()] == ' ' &&
        (cell[n.size() + 1] == '(' || cell[n.size() + 1] == '/'))
      return true;
  }
  return false;
}

// Splits a value cell: a spreadsheet cell or a CSV field may list several IoCs.
std::vector<std::string_view> value_tokens(std::string_view cell) { return split_words(cell, " \t\r\n,;"); }

// Appends the UTF-8 encoding of `cp`.
void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string fold_case(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      out += (b0 >= 'A' && b0 <= 'Z') ? static_cast<char>(b0 + 32) : static_cast<char>(b0);
      ++i;
      continue;
    }
    uint32_t cp = 0;
    size_t len = 0;
    if ((b0 & 0xE0) == 0xC0 && i + 1 < s.size()) {
      cp = (b0 & 0x1Fu) << 6 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0 && i + 2 < s.size()) {
      cp = (b0 & 0x0Fu) << 12 | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6 |
           (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
      len = 3;
    }
    if (len == 0) {  // not a sequence this folds: copied as is
      out += s[i++];
      continue;
    }
    // Latin-1 capitals, Latin Extended-A pairs (Đ/đ, Ă/ă), Ơ, Ư, and the Vietnamese
    // precomposed letters of Latin Extended Additional (Ạ/ạ ... Ỹ/ỹ).
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) cp += 0x20;
    else if (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0) cp += 1;
    else if (cp == 0x1A0 || cp == 0x1AF) cp += 1;
    else if (cp >= 0x1EA0 && cp <= 0x1EF9 && cp % 2 == 0) cp += 1;
    put_utf8(out, cp);
    i += len;
  }
  return out;
}

TableColumn table_column_of(std::string_view header_cell) {
  const std::string n = normalized(header_cell);
  if (n.empty()) return TableColumn::kNone;
  // Type first: "IoC type" names the type column, not a value column "ioc ...".
  if (names_one_of(n, kTypeNames)) return TableColumn::kType;
  if (names_one_of(n, kNoteNames)) return TableColumn::kNote;
  if (names_one_of(n, kValueNames)) return TableColumn::kValue;
  return TableColumn::kNone;
}

bool IocTableReader::is_header(const std::vector<std::string>& cells, bool with_type_or_note) {
  bool value = false, other = false;
  for (const std::string& c : cells) {
    const TableColumn k = table_column_of(c);
    value = value || k == TableColumn::kValue;
    other = other || k == TableColumn::kType || k == TableColumn::kNote;
    // A cell that is an IoC makes the row data, whatever its neighbours say ("C2").
    std::string_view cell = trim_blank(c);
    if (k == TableColumn::kNone && !cell.empty() && classify_ioc_token(cell).ioc) return false;
  }
  return value && (other || !with_type_or_note);
}

bool IocTableReader::starts_ioc_table(const std::vector<std::string>& cells) {
  if (is_header(cells)) return true;
  for (const std::string& c : cells) {
    std::string_view cell = trim_blank(c);
    if (!cell.empty() && classify_ioc_token(cell).ioc) return true;
  }
  return false;
}

void IocTableReader::begin_table() {
  header_ = false;
  first_row_ = true;
  columns_.clear();
}

bool IocTableReader::bad(uint32_t line, std::string reason) {
  if (!where_.empty()) reason = fmt::format("{}: {}", where_, reason);
  if (strict_) return r_.fail(line, std::move(reason));
  r_.note(fmt::format("{}: ignored: {}", line, reason));
  return true;
}

bool IocTableReader::value(std::string_view text, uint32_t line, const std::string& label, std::string_view type) {
  for (std::string_view token : value_tokens(text)) {
    IocToken t = classify_ioc_token(token);
    if (t.skip) {
      r_.skip(t.skip);
      continue;
    }
    if (!t.ioc) {
      std::string why = t.error;
      if (refang(token) != token) why += fmt::format(" (written '{}')", token);
      if (!type.empty()) why += fmt::format(" (type '{}')", type);
      if (!bad(line, std::move(why))) return false;
      continue;
    }
    r_.keep(std::move(*t.ioc), line, label);
  }
  return true;
}

bool IocTableReader::row(const std::vector<std::string>& cells, uint32_t line, std::string_view where) {
  where_ = std::string(where);
  bool empty = true;
  for (const std::string& c : cells) empty = empty && trim_blank(c).empty();
  if (empty) return true;
  if (first_row_) {
    if (is_header(cells)) {
      columns_.clear();
      for (const std::string& c : cells) columns_.push_back(table_column_of(c));
      header_ = true;
      found_ = true;
      first_row_ = false;
      return true;
    }
  }
  if (first_row_) {
    first_row_ = false;
    // No header: the value columns are those whose first cell is an IoC (or a hash).
    for (const std::string& c : cells) {
      std::string_view cell = trim_blank(c);
      IocToken t = cell.empty() ? IocToken{} : classify_ioc_token(cell);
      columns_.push_back(t.ioc || t.skip ? TableColumn::kValue : TableColumn::kNote);
    }
    bool any = false;
    for (TableColumn k : columns_) any = any || k == TableColumn::kValue;
    if (!any) {
      // A title or caption above the table: noted, and the next row is looked at again.
      columns_.clear();
      first_row_ = true;
      r_.note(fmt::format("{}: {}ignored: neither a header naming a value column nor a row holding an IoC", line,
                          where_.empty() ? std::string() : where_ + ": "));
      return true;
    }
    found_ = true;
  }
  std::string type;
  std::string note;
  for (size_t i = 0; i < cells.size() && i < columns_.size(); ++i) {
    std::string_view cell = trim_blank(cells[i]);
    if (cell.empty()) continue;
    if (columns_[i] == TableColumn::kType && type.empty()) type = std::string(cell);
    if (columns_[i] == TableColumn::kNote) note += std::string(note.empty() ? "" : "; ") + std::string(cell);
  }
  if (!type.empty() && names_one_of(normalized(type), kNotOnTheWire)) {
    for (size_t i = 0; i < cells.size() && i < columns_.size(); ++i)
      if (columns_[i] == TableColumn::kValue && !trim_blank(cells[i]).empty()) r_.skip(normalized(type));
    return true;
  }
  std::string label = where.empty() ? note : note.empty() ? std::string(where) : fmt::format("{}: {}", where, note);
  for (size_t i = 0; i < cells.size() && i < columns_.size(); ++i)
    if (columns_[i] == TableColumn::kValue && !value(cells[i], line, label, type)) return false;
  if (cells.size() > columns_.size() && header_) {
    // Cells beyond the header: most often a note spilled over; never guessed as IoCs.
    for (size_t i = columns_.size(); i < cells.size(); ++i)
      if (!trim_blank(cells[i]).empty()) return bad(line, fmt::format("row has {} cells, the header {}", cells.size(), columns_.size()));
  }
  return true;
}

}  // namespace iocgate
