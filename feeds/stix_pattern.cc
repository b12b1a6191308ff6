// feeds/stix_pattern.cc — see stix_pattern.h. A recursive-descent parser over a small
// tokenizer; nesting is bounded so a hostile pattern cannot exhaust the stack.
#include "feeds/stix_pattern.h"

#include <fmt/format.h>

namespace iocgate {
namespace {

constexpr int kMaxDepth = 64;

enum class Tok { kEnd, kLBracket, kRBracket, kLParen, kRParen, kComma, kOp, kWord, kPath, kString, kNumber, kTyped };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // operator, word, path, or unescaped string
  size_t column = 0; // 1-based
};

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-'; }

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

class Parser {
 public:
  Parser(std::string_view s, std::string& error) : s_(s), error_(error) {}

  std::optional<StixPattern> run() {
    if (!advance()) return std::nullopt;
    if (!pattern(0)) return std::nullopt;
    if (tok_.kind != Tok::kEnd) {
      fail(fmt::format("unexpected '{}'", tok_.text));
      return std::nullopt;
    }
    return std::move(out_);
  }

 private:
  bool fail(std::string why, size_t column = 0) {
    if (error_.empty())
      error_ = fmt::format("{} at column {}", why, column ? column : tok_.column);
    return false;
  }

  bool advance() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
    tok_ = Token{};
    tok_.column = pos_ + 1;
    if (pos_ >= s_.size()) return true;
    char c = s_[pos_];
    auto single = [&](Tok k) {
      tok_.kind = k;
      tok_.text = std::string(1, c);
      ++pos_;
      return true;
    };
    switch (c) {
      case '[': return single(Tok::kLBracket);
      case ']': return single(Tok::kRBracket);
      case '(': return single(Tok::kLParen);
      case ')': return single(Tok::kRParen);
      case ',': return single(Tok::kComma);
      case '\'': return string_literal(Tok::kString, pos_ + 1);
      default: break;
    }
    if (c == '=' || c == '!' || c == '<' || c == '>') {
      size_t start = pos_++;
      if (pos_ < s_.size() && s_[pos_] == '=') ++pos_;
      tok_.kind = Tok::kOp;
      tok_.text = std::string(s_.substr(start, pos_ - start));
      if (tok_.text == "!") return fail("'!' must be '!='");
      return true;
    }
    // t'...', b'...', h'...': typed literals (timestamps, binary, hex).
    if ((c == 't' || c == 'b' || c == 'h') && pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'')
      return string_literal(Tok::kTyped, pos_ + 2);
    if (is_digit(c) || c == '-' || c == '+') {
      size_t start = pos_++;
      while (pos_ < s_.size() && (is_digit(s_[pos_]) || s_[pos_] == '.')) ++pos_;
      tok_.kind = Tok::kNumber;
      tok_.text = std::string(s_.substr(start, pos_ - start));
      if (tok_.text == "-" || tok_.text == "+") return fail(fmt::format("unexpected '{}'", tok_.text));
      return true;
    }
    if (is_alpha(c)) {
      size_t start = pos_;
      while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
      if (pos_ < s_.size() && s_[pos_] == ':') return object_path(start);
      tok_.kind = Tok::kWord;
      tok_.text = std::string(s_.substr(start, pos_ - start));
      return true;
    }
    return fail(fmt::format("unexpected character '{}'", c));
  }

  bool string_literal(Tok kind, size_t body) {
    size_t start = pos_;
    std::string value;
    size_t i = body;
    while (true) {
      if (i >= s_.size()) return fail("unterminated string", start + 1);
      char c = s_[i++];
      if (c == '\'') break;
      if (c == '\\') {
        if (i >= s_.size()) return fail("unterminated string", start + 1);
        char e = s_[i++];
        if (e != '\'' && e != '\\') return fail(fmt::format("invalid escape '\\{}' (only \\' and \\\\)", e), i - 1);
        value += e;
        continue;
      }
      value += c;
    }
    pos_ = i;
    tok_.kind = kind;
    tok_.text = std::move(value);
    return true;
  }

  // object-type ':' property path: steps separated by '.', quoted steps ('SHA-256'),
  // and list indexes ([*], [0]); kept as written for reporting.
  bool object_path(size_t start) {
    ++pos_;  // ':'
    bool need_step = true;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (need_step) {
        if (c == '\'') {
          size_t close = pos_ + 1;
          while (close < s_.size() && s_[close] != '\'') ++close;
          if (close >= s_.size()) return fail("unterminated string", pos_ + 1);
          pos_ = close + 1;
        } else if (is_word(c)) {
          while (pos_ < s_.size() && is_word(s_[pos_])) ++pos_;
        } else {
          return fail("object path: property name expected", pos_ + 1);
        }
        need_step = false;
      } else if (c == '.') {
        ++pos_;
        need_step = true;
      } else if (c == '[') {
        size_t close = s_.find(']', pos_);
        if (close == std::string_view::npos) return fail("object path: unterminated '['", pos_ + 1);
        std::string_view index = s_.substr(pos_ + 1, close - pos_ - 1);
        bool ok = index == "*" || !index.empty();
        for (char d : index) ok = ok && (index == "*" || is_digit(d));
        if (!ok) return fail(fmt::format("object path: bad list index '[{}]'", index), pos_ + 1);
        pos_ = close + 1;
      } else {
        break;
      }
    }
    if (need_step) return fail("object path: property name expected", pos_ + 1);
    tok_.kind = Tok::kPath;
    tok_.text = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  bool at_keyword(std::string_view w) const { return tok_.kind == Tok::kWord && upper(tok_.text) == w; }

  bool pattern(int depth) {
    if (depth > kMaxDepth) return fail("pattern nested too deeply");
    if (!observation(depth)) return false;
    while (at_keyword("OR") || at_keyword("AND") || at_keyword("FOLLOWEDBY")) {
      if (!at_keyword("OR")) out_.disjunction_only = false;
      if (!advance() || !observation(depth)) return false;
    }
    return true;
  }

  bool observation(int depth) {
    if (tok_.kind == Tok::kLBracket) {
      if (!advance() || !comparison_or(depth + 1)) return false;
      if (tok_.kind != Tok::kRBracket) return fail("']' expected");
      if (!advance()) return false;
    } else if (tok_.kind == Tok::kLParen) {
      if (!advance() || !pattern(depth + 1)) return false;
      if (tok_.kind != Tok::kRParen) return fail("')' expected");
      if (!advance()) return false;
    } else {
      return fail(tok_.kind == Tok::kEnd ? "'[' expected, found the end" : "'[' expected");
    }
    return qualifiers();
  }

  bool qualifiers() {
    while (true) {
      if (at_keyword("WITHIN")) {
        if (!advance() || tok_.kind != Tok::kNumber) return fail("WITHIN: number expected");
        if (!advance() || !at_keyword("SECONDS")) return fail("WITHIN: SECONDS expected");
      } else if (at_keyword("REPEATS")) {
        if (!advance() || tok_.kind != Tok::kNumber) return fail("REPEATS: number expected");
        if (!advance() || !at_keyword("TIMES")) return fail("REPEATS: TIMES expected");
      } else if (at_keyword("START")) {
        if (!advance() || tok_.kind != Tok::kTyped) return fail("START: timestamp t'...' expected");
        if (!advance() || !at_keyword("STOP")) return fail("START: STOP expected");
        if (!advance() || tok_.kind != Tok::kTyped) return fail("STOP: timestamp t'...' expected");
      } else {
        return true;
      }
      out_.disjunction_only = false;
      if (!advance()) return false;
    }
  }

  bool comparison_or(int depth) {
    if (depth > kMaxDepth) return fail("pattern nested too deeply");
    if (!comparison_and(depth)) return false;
    while (at_keyword("OR")) {
      if (!advance() || !comparison_and(depth)) return false;
    }
    return true;
  }

  bool comparison_and(int depth) {
    if (!comparison(depth)) return false;
    while (at_keyword("AND")) {
      out_.disjunction_only = false;
      if (!advance() || !comparison(depth)) return false;
    }
    return true;
  }

  bool comparison(int depth) {
    if (tok_.kind == Tok::kLParen) {
      if (!advance() || !comparison_or(depth + 1)) return false;
      if (tok_.kind != Tok::kRParen) return fail("')' expected");
      return advance();
    }
    if (tok_.kind != Tok::kPath) return fail("object path (type:property) expected");
    StixComparison cmp;
    size_t colon = tok_.text.find(':');
    cmp.object_type = tok_.text.substr(0, colon);
    cmp.property = tok_.text.substr(colon + 1);
    if (!advance()) return false;
    std::string negation;
    if (at_keyword("NOT")) {
      negation = "NOT ";
      out_.disjunction_only = false;
      if (!advance()) return false;
    }
    if (tok_.kind == Tok::kOp) {
      cmp.op = tok_.text;
    } else if (at_keyword("LIKE") || at_keyword("MATCHES") || at_keyword("IN") || at_keyword("ISSUBSET") ||
               at_keyword("ISSUPERSET")) {
      cmp.op = upper(tok_.text);
    } else {
      return fail("comparison operator expected");
    }
    cmp.op = negation + cmp.op;
    if (!advance()) return false;
    if (cmp.op.ends_with("IN")) {
      if (tok_.kind != Tok::kLParen) return fail("IN: '(' expected");
      do {
        if (!advance() || !literal()) return false;
        if (!advance()) return false;
      } while (tok_.kind == Tok::kComma);
      if (tok_.kind != Tok::kRParen) return fail("IN: ')' expected");
    } else {
      if (!literal()) return false;
      cmp.string_value = tok_.kind == Tok::kString;
      if (cmp.string_value) cmp.value = tok_.text;
    }
    out_.comparisons.push_back(std::move(cmp));
    return advance();
  }

  bool literal() {
    if (tok_.kind == Tok::kString || tok_.kind == Tok::kNumber || tok_.kind == Tok::kTyped) return true;
    if (at_keyword("TRUE") || at_keyword("FALSE")) return true;
    return fail(tok_.kind == Tok::kEnd ? "value expected, found the end" : "value expected");
  }

  std::string_view s_;
  std::string& error_;
  size_t pos_ = 0;
  Token tok_;
  StixPattern out_;
};

}  // namespace

std::optional<StixPattern> parse_stix_pattern(std::string_view text, std::string& error) {
  error.clear();
  return Parser(text, error).run();
}

}  // namespace iocgate
