// feeds/free_text.h — the free-text IoC reader: prose and pasted tables, line by line, for
// the `text` format and for the paragraphs of PDF and Word documents.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "feeds/feed_reader.h"

namespace iocgate {

class FreeTextReader {
 public:
  explicit FreeTextReader(FeedReader& r);
  ~FreeTextReader();

  // Call once with the whole text first: a document that defangs anything defangs its
  // IoCs, and its live links are then references, not IoCs.
  void scan_defanging(std::string_view content);

  // One line; `where` ("page 3") prefixes the labels. False when the feed is refused.
  bool line(std::string_view text, uint32_t line_no, std::string_view where = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace iocgate
