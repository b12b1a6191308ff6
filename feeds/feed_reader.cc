// feeds/feed_reader.cc — see feed_reader.h.
#include "feeds/feed_reader.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/json_document.h"
#include "feeds/utf8_bom.h"

namespace iocgate {

FeedReader::FeedReader(std::string_view content, FeedFormat format, const ParseOptions& opts)
    : content_(strip_utf8_bom(content)), opts_(opts) {
  result_.feed.format = format;
}

bool FeedReader::fail(uint32_t line, std::string reason) {
  result_.error = FeedError{opts_.file_name, line, std::move(reason)};
  result_.feed.iocs.clear();
  return false;
}

bool FeedReader::read_json(const std::function<bool(const nlohmann::json&)>& walk) {
  nlohmann::json doc;
  uint32_t bad_line = 0;
  std::string bad_reason;
  if (!parse_json_document(content_, &doc, &bad_line, &bad_reason)) return fail(bad_line, std::move(bad_reason));
  try {
    return walk(doc);
  } catch (const std::exception& e) {
    // Defensive: the walks check types before use and should leave nothing to throw.
    return fail(0, fmt::format("unexpected JSON structure: {}", without_exception_id(e.what())));
  }
}

void FeedReader::keep(Ioc ioc, uint32_t line, std::string label) {
  ioc.line = line;
  ioc.label = std::move(label);
  result_.feed.iocs.push_back(std::move(ioc));
}

void FeedReader::note(std::string text) {
  if (result_.feed.notes.size() >= kMaxNotes) {
    ++result_.feed.notes_dropped;
    return;
  }
  result_.feed.notes.push_back(std::move(text));
}

}  // namespace iocgate
