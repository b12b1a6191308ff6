// feeds/feed_xlsx.cc — Excel workbooks (XLSX): every sheet is read as an IoC table (header
// by column names or by content); each IoC says its sheet and row.
#include <map>
#include <vector>

#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_table_reader.h"
#include "feeds/ooxml_package.h"
#include "feeds/xml_text.h"

namespace iocgate {
namespace {

constexpr size_t kMaxCells = 2'000'000;   // every sheet together
constexpr size_t kMaxColumns = 16'384;    // Excel's own limit (XFD)

// "BC12" -> 54 (1-based column); 0 when the reference has no letters.
size_t column_of(const char* ref) {
  size_t col = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ++ref) {
    col = col * 26 + static_cast<size_t>(*ref - 'A' + 1);
    if (col > kMaxColumns) return 0;
  }
  return col;
}

// "worksheets/sheet1.xml" or "/xl/worksheets/sheet1.xml" -> "xl/worksheets/sheet1.xml".
std::string part_path(std::string target) {
  if (target.starts_with("/")) return target.substr(1);
  return "xl/" + target;
}

}  // namespace

FeedParseResult parse_xlsx(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kXlsx, opts);
  auto fail = [&](std::string reason) { return r.refuse(0, std::move(reason)); };
  std::string error;
  auto zip = OoxmlPackage::open(content, "an XLSX workbook", "xl/workbook.xml", error);
  if (!zip) return fail(error);
  pugi::xml_document workbook, rels, strings_doc;
  if (!zip->read_xml("xl/workbook.xml", workbook, error)) return fail(error);
  std::map<std::string, std::string> targets;  // relationship id -> part
  if (zip->has("xl/_rels/workbook.xml.rels")) {
    if (!zip->read_xml("xl/_rels/workbook.xml.rels", rels, error)) return fail(error);
    for (pugi::xml_node rel : rels.child("Relationships").children("Relationship"))
      targets[rel.attribute("Id").value()] = part_path(rel.attribute("Target").value());
  }
  std::vector<std::string> shared;
  if (zip->has("xl/sharedStrings.xml")) {
    if (!zip->read_xml("xl/sharedStrings.xml", strings_doc, error)) return fail(error);
    for (pugi::xml_node si : strings_doc.child("sst").children("si")) {
      if (shared.size() >= kMaxCells) return fail(fmt::format("more than {} shared strings", kMaxCells));
      shared.push_back(xml_text(si, "t", nullptr, nullptr));
    }
  }
  IocTableReader table(r, true);
  size_t cells_seen = 0;
  size_t sheet_no = 0;
  for (pugi::xml_node sheet : workbook.child("workbook").child("sheets").children("sheet")) {
    ++sheet_no;
    const std::string name = sheet.attribute("name").value();
    auto t = targets.find(sheet.attribute("r:id").value());
    const std::string part = t != targets.end() ? t->second : fmt::format("xl/worksheets/sheet{}.xml", sheet_no);
    if (!zip->has(part)) return fail(fmt::format("sheet '{}': the workbook names {}, which the archive lacks", name, part));
    pugi::xml_document doc;
    if (!zip->read_xml(part, doc, error)) return fail(error);
    table.begin_table();
    uint32_t row_no = 0;
    for (pugi::xml_node row : doc.child("worksheet").child("sheetData").children("row")) {
      const uint32_t declared = row.attribute("r").as_uint();
      row_no = declared > row_no ? declared : row_no + 1;
      std::vector<std::string> cells;
      for (pugi::xml_node c : row.children("c")) {
        if (++cells_seen > kMaxCells) return fail(fmt::format("the workbook has more than {} cells", kMaxCells));
        size_t col = column_of(c.attribute("r").value());
        if (col == 0) col = cells.size() + 1;
        if (col < cells.size() + 1) continue;  // a repeated reference: the first one counts
        cells.resize(col - 1);
        const std::string type = c.attribute("t").value();
        std::string value;
        if (type == "s") {
          const unsigned idx = c.child("v").text().as_uint(~0u);
          if (idx >= shared.size())
            return fail(fmt::format("sheet '{}' row {}: shared string {} does not exist", name, row_no, idx));
          value = shared[idx];
        } else if (type == "inlineStr") {
          value = xml_text(c.child("is"), "t", nullptr, nullptr);
        } else {
          value = c.child("v").text().get();
        }
        cells.push_back(std::move(value));
      }
      if (!table.row(cells, row_no, fmt::format("sheet '{}' row {}", name, row_no))) return r.finish();
    }
  }
  if (sheet_no == 0) return fail("the workbook lists no sheet");
  if (!table.found_table()) return fail(std::string("no sheet holds an IoC table: ") + IocTableReader::kNoTable);
  return r.finish();
}

}  // namespace iocgate
