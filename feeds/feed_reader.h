// feeds/feed_reader.h — the skeleton every feed parser runs in: BOM handling, the numbered
// line loop, the JSON-document parse, capped notes and the one way to refuse a feed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "feeds/ioc.h"
#include "feeds/text_lines.h"

namespace iocgate {

class FeedReader {
 public:
  // Notes beyond this are counted in notes_dropped: a hostile file cannot grow the report.
  static constexpr size_t kMaxNotes = 100;

  FeedReader(std::string_view content, FeedFormat format, const ParseOptions& opts);

  std::string_view content() const { return content_; }  // without a UTF-8 BOM
  const ParseOptions& options() const { return opts_; }
  ParsedFeed& feed() { return result_.feed; }
  bool ok() const { return result_.ok(); }

  // Refuses the whole feed ("FILE:LINE: reason"; line 0 for the whole file) and drops
  // what was read. Returns false, so a format rule can `return r.fail(...)` to stop.
  bool fail(uint32_t line, std::string reason);
  // fail() and finish() at once, for a parser that stops here: `return r.refuse(...)`.
  FeedParseResult refuse(uint32_t line, std::string reason) {
    fail(line, std::move(reason));
    return finish();
  }

  // Runs `rule` on each line until it returns false; false when it did.
  template <class Rule>
  bool each_line(Rule&& rule) {
    for (const TextLine& line : TextLines(content_))
      if (!rule(line)) return false;
    return true;
  }

  // Parses the content as one JSON document, then runs `walk` on it. A syntax error
  // refuses the feed at its line; an exception from `walk` (a type the walk did not
  // check) refuses it as "unexpected JSON structure". Never throws.
  bool read_json(const std::function<bool(const nlohmann::json&)>& walk);

  void keep(Ioc ioc, uint32_t line, std::string label = {});
  void skip(const std::string& reason, uint64_t n = 1) { result_.feed.skipped[reason] += n; }
  // "LINE: 'TOKEN' why", capped at kMaxNotes.
  void note(std::string text);

  // The result; the reader is spent afterwards.
  FeedParseResult finish() { return std::move(result_); }

 private:
  std::string_view content_;
  const ParseOptions& opts_;
  FeedParseResult result_;
};

}  // namespace iocgate
