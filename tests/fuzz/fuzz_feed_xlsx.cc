// tests/fuzz/fuzz_feed_xlsx.cc — arbitrary bytes to parse_xlsx (Excel workbooks: libzip,
// pugixml): as a ZIP when they are one, else as the XML parts of a stored workbook, so
// both the archive bounds and the sheet reader are fuzzed.
#include "tests/fuzz/feed_fuzz_check.h"
#include "tests/fuzz/ooxml_fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.starts_with("PK")) return iocgate::fuzz::check_feed_parser(&iocgate::parse_xlsx, data, size);
  const std::string zip = iocgate::fuzz::stored_zip(
      in, {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"});
  return iocgate::fuzz::check_feed_parser(&iocgate::parse_xlsx, reinterpret_cast<const uint8_t*>(zip.data()),
                                          zip.size());
}
