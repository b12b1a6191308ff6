// tests/fuzz/fuzz_feed_docx.cc — arbitrary bytes to parse_docx (Word documents: libzip,
// pugixml): as a ZIP when they are one, else as the word/document.xml of a stored package.
#include "tests/fuzz/feed_fuzz_check.h"
#include "tests/fuzz/ooxml_fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.starts_with("PK")) return iocgate::fuzz::check_feed_parser(&iocgate::parse_docx, data, size);
  const std::string zip = iocgate::fuzz::stored_zip(in, {"word/document.xml"});
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_docx, reinterpret_cast<const uint8_t*>(zip.data()),
                                          zip.size());
}
