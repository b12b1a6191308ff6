// feeds/feed_docx.cc — Word documents (DOCX): tables are read as IoC tables, paragraphs as
// free text (Heading styles become sections); each IoC says its table and row.
#include <vector>

#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/free_text.h"
#include "feeds/ioc_table_reader.h"
#include "feeds/ooxml_package.h"
#include "feeds/xml_text.h"

namespace iocgate {
namespace {

constexpr size_t kMaxBlocks = 1'000'000;  // paragraphs and table rows

std::string paragraph_text(const pugi::xml_node& p) { return xml_text(p, "w:t", "w:tab", "w:br"); }

// "Heading1" -> "== ", "Title" -> "= ": the free-text reader's section marks.
std::string heading_mark(const pugi::xml_node& p) {
  std::string style = p.child("w:pPr").child("w:pStyle").attribute("w:val").value();
  if (style == "Title") return "= ";
  if (style.starts_with("Heading") && style.size() == 8 && style[7] >= '1' && style[7] <= '5')
    return std::string(static_cast<size_t>(style[7] - '0') + 1, '=') + " ";
  return {};
}

}  // namespace

FeedParseResult parse_docx(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kDocx, opts);
  std::string error;
  auto zip = OoxmlPackage::open(content, "a DOCX document", "word/document.xml", error);
  pugi::xml_document doc;
  if (!zip || !zip->read_xml("word/document.xml", doc, error)) return r.refuse(0, std::move(error));
  pugi::xml_node body = doc.child("w:document").child("w:body");

  // Paragraphs and table rows are numbered in document order: that number is Ioc::line.
  struct Block {
    bool table_row = false;
    bool first_row = false;
    size_t table = 0, row = 0;
    std::string text;                // a paragraph
    std::vector<std::string> cells;  // a table row
  };
  std::vector<Block> blocks;
  std::string all_text;
  size_t tables = 0;
  for (pugi::xml_node n : body.children()) {
    if (blocks.size() > kMaxBlocks) return r.refuse(0, fmt::format("more than {} paragraphs and table rows", kMaxBlocks));
    const std::string name = n.name();
    if (name == "w:p") {
      Block b;
      b.text = heading_mark(n) + paragraph_text(n);
      all_text += b.text + "\n";
      blocks.push_back(std::move(b));
    } else if (name == "w:tbl") {
      ++tables;
      size_t row = 0;
      for (pugi::xml_node tr : n.children("w:tr")) {
        Block b;
        b.table_row = true;
        b.first_row = row == 0;
        b.table = tables;
        b.row = ++row;
        for (pugi::xml_node tc : tr.children("w:tc")) {
          std::string cell;
          for (pugi::xml_node p : tc.children("w:p")) cell += std::string(cell.empty() ? "" : "\n") + paragraph_text(p);
          all_text += cell + "\n";
          b.cells.push_back(std::move(cell));
        }
        blocks.push_back(std::move(b));
      }
    }
  }
  FreeTextReader text(r);
  text.scan_defanging(all_text);
  IocTableReader table(r, true);
  uint32_t line = 0;
  bool ioc_table = false;
  for (const Block& b : blocks) {
    ++line;
    if (b.first_row) {
      ioc_table = IocTableReader::starts_ioc_table(b.cells);
      table.begin_table();
    }
    const std::string where = b.table_row ? fmt::format("table {} row {}", b.table, b.row) : std::string();
    if (b.table_row && ioc_table) {
      if (!table.row(b.cells, line, where)) return r.finish();
      continue;
    }
    std::string joined = b.text;
    for (const std::string& c : b.cells) joined += (joined.empty() ? "" : " | ") + c;
    if (!text.line(joined, line, where)) return r.finish();
  }
  return r.finish();
}

}  // namespace iocgate
