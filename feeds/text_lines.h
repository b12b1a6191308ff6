// feeds/text_lines.h — the physical lines of a feed, numbered from 1, and the blank trimming
// every line format applies: one definition, so every parser counts lines the same way.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace iocgate {

// Spaces, tabs and a stray '\r' (CRLF files): what surrounds a token without meaning.
constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

constexpr std::string_view trim_blank(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

// The non-empty runs of `s` between any of `separators`: a zone file's fields, a table
// cell's values, the chunks of a line of prose.
inline std::vector<std::string_view> split_words(std::string_view s, std::string_view separators) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && separators.find(s[i]) != std::string_view::npos) ++i;
    const size_t start = i;
    while (i < s.size() && separators.find(s[i]) == std::string_view::npos) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

struct TextLine {
  std::string_view text;  // without its '\n' and a trailing '\r'
  uint32_t number = 0;    // 1-based
};

// Iterates the lines of `content`; a final line without '\n' counts, an empty tail does not.
class TextLines {
 public:
  explicit TextLines(std::string_view content) : s_(content) {}

  class iterator {
   public:
    iterator(std::string_view s, size_t pos) : s_(s), pos_(pos) { load(); }
    const TextLine& operator*() const { return line_; }
    const TextLine* operator->() const { return &line_; }
    iterator& operator++() {
      pos_ = next_;
      load();
      return *this;
    }
    bool operator!=(const iterator& o) const { return pos_ != o.pos_; }

   private:
    void load() {
      if (pos_ >= s_.size()) {
        pos_ = s_.size();
        return;
      }
      size_t eol = s_.find('\n', pos_);
      if (eol == std::string_view::npos) eol = s_.size();
      std::string_view text = s_.substr(pos_, eol - pos_);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      line_ = TextLine{text, line_.number + 1};
      next_ = eol + 1;
    }
    std::string_view s_;
    size_t pos_;
    size_t next_ = 0;
    TextLine line_;
  };

  iterator begin() const { return iterator(s_, 0); }
  iterator end() const { return iterator(s_, s_.size()); }

 private:
  std::string_view s_;
};

}  // namespace iocgate
