// feeds/feed_pdf.cc — PDF appendices: each page's words are laid out again into lines and
// cells (poppler's C++ API, Debian libpoppler-cpp-dev, from memory); rows under a header
// naming a value column are read as an IoC table, everything else as free text.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/free_text.h"
#include "feeds/ioc_table_reader.h"

namespace iocgate {
namespace {

// Bounds (docs/FEEDS.md): an appendix is tens of pages; more is the wrong file or a trap.
constexpr size_t kMaxPdfBytes = 64u << 20;
constexpr int kMaxPages = 500;
constexpr size_t kMaxTextBytes = 16u << 20;  // text extracted from the whole document

struct Word {
  double x, y, w, h;
  std::string text;
};

struct Cell {
  double x = 0;  // left edge, in points
  std::string text;
};

struct PdfLine {
  std::vector<Cell> cells;
  int page = 0;
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const Cell& c : cells) out.push_back(c.text);
    return out;
  }
};

// Poppler reports damaged objects on stderr by default; a feed check reports the verdict.
void quiet(const std::string&, void*) {}

std::string utf8(const poppler::ustring& s) {
  poppler::byte_array b = s.to_utf8();
  return std::string(b.begin(), b.end());
}

// Words whose vertical centres are within half a glyph height share a line; within a line,
// a gap wider than one glyph height starts a new cell (a table column).
std::vector<std::vector<Cell>> layout(std::vector<Word> words) {
  std::sort(words.begin(), words.end(), [](const Word& a, const Word& b) { return a.y + a.h / 2 < b.y + b.h / 2; });
  std::vector<std::vector<Word>> lines;
  for (Word& w : words) {
    const double yc = w.y + w.h / 2;
    if (!lines.empty()) {
      const Word& ref = lines.back().front();
      if (std::fabs(ref.y + ref.h / 2 - yc) < std::max(ref.h, w.h) / 2) {
        lines.back().push_back(std::move(w));
        continue;
      }
    }
    lines.push_back({std::move(w)});
  }
  std::vector<std::vector<Cell>> out;
  for (auto& line : lines) {
    std::sort(line.begin(), line.end(), [](const Word& a, const Word& b) { return a.x < b.x; });
    std::vector<Cell> cells;
    double prev_end = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const Word& w = line[i];
      if (i == 0 || w.x - prev_end > w.h) cells.push_back(Cell{w.x, {}});
      else cells.back().text += ' ';
      cells.back().text += w.text;
      prev_end = w.x + w.w;
    }
    out.push_back(std::move(cells));
  }
  return out;
}

}  // namespace

FeedParseResult parse_pdf(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kPdf, opts);
  auto fail = [&](std::string reason) { return r.refuse(0, std::move(reason)); };
  if (content.size() > kMaxPdfBytes)
    return fail(fmt::format("the PDF is {} MiB, more than the {} MiB an appendix may be", content.size() >> 20,
                            kMaxPdfBytes >> 20));
  poppler::set_debug_error_function(quiet, nullptr);
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(content.data(), static_cast<int>(content.size())));
  if (!doc) return fail("not a readable PDF (damaged, or not a PDF)");
  if (doc->is_locked()) return fail("the PDF is password-protected; save an unprotected copy");
  const int pages = doc->pages();
  if (pages > kMaxPages) return fail(fmt::format("the PDF has {} pages, more than the {} read", pages, kMaxPages));
  std::vector<PdfLine> lines;
  size_t text_bytes = 0;
  std::string all_text;
  for (int p = 0; p < pages; ++p) {
    std::unique_ptr<poppler::page> page(doc->create_page(p));
    if (!page) continue;
    std::vector<Word> words;
    for (const poppler::text_box& box : page->text_list()) {
      poppler::rectf b = box.bbox();
      std::string t = utf8(box.text());
      text_bytes += t.size() + 1;
      if (text_bytes > kMaxTextBytes)
        return fail(fmt::format("the PDF holds more than {} MiB of text, more than an appendix", kMaxTextBytes >> 20));
      words.push_back(Word{b.x(), b.y(), b.width(), b.height(), std::move(t)});
    }
    for (auto& cells : layout(std::move(words))) {
      for (const Cell& c : cells) all_text += c.text + " ";
      all_text += '\n';
      lines.push_back(PdfLine{std::move(cells), p + 1});
    }
  }
  // Lines are numbered through the document (Ioc::line); the label names the page. Under
  // a header, each cell goes to the column whose heading starts left of it; a line with no
  // value cell continues the row above (a wrapped note or type).
  FreeTextReader text(r);
  text.scan_defanging(all_text);
  IocTableReader table(r, false);
  std::vector<double> column_x;           // left edges of the header cells
  std::vector<bool> value_column;
  std::vector<std::string> pending;       // the row being assembled
  uint32_t pending_line = 0;
  std::string pending_where;
  int table_page = 0;
  auto flush = [&] {
    bool ok = pending.empty() || table.row(pending, pending_line, pending_where);
    pending.clear();
    return ok;
  };
  auto column_of = [&](double x) {
    size_t col = 0;
    for (size_t i = 0; i < column_x.size(); ++i)
      if (x + 2 >= column_x[i]) col = i;
    return col;
  };
  uint32_t line_no = 0;
  for (const PdfLine& l : lines) {
    ++line_no;
    const std::string where = fmt::format("page {}", l.page);
    const std::vector<std::string> texts = l.texts();
    if (texts.size() >= 2 && IocTableReader::is_header(texts, true)) {
      if (!flush()) return r.finish();
      table.begin_table();
      column_x.clear();
      value_column.clear();
      for (const Cell& c : l.cells) {
        column_x.push_back(c.x);
        value_column.push_back(table_column_of(c.text) == TableColumn::kValue);
      }
      table_page = l.page;
      if (!table.row(texts, line_no, where)) return r.finish();
      continue;
    }
    // A table goes on across one page break (its header is not repeated there).
    const bool in_table = !column_x.empty() && (l.page == table_page || l.page == table_page + 1) &&
                          (texts.size() >= 2 || !pending.empty());
    if (in_table) {
      std::vector<std::string> row(column_x.size());
      bool has_value = false;
      for (const Cell& c : l.cells) {
        const size_t col = column_of(c.x);
        row[col] += (row[col].empty() ? "" : " ") + c.text;
        has_value = has_value || value_column[col];
      }
      if (!has_value && !pending.empty()) {
        for (size_t i = 0; i < row.size(); ++i)
          if (!row[i].empty()) pending[i] += (pending[i].empty() ? "" : " ") + row[i];
        continue;
      }
      if (has_value) {
        if (!flush()) return r.finish();
        pending = std::move(row);
        pending_line = line_no;
        pending_where = where;
        table_page = l.page;
        continue;
      }
    }
    if (!flush()) return r.finish();
    column_x.clear();
    std::string joined;
    for (const std::string& c : texts) joined += (joined.empty() ? "" : " | ") + c;
    if (!text.line(joined, line_no, where)) return r.finish();
  }
  if (!flush()) return r.finish();
  if (pages == 0) return fail("the PDF has no pages");
  // A scanned appendix has pages but no text layer: nothing was read, and saying so beats
  // accepting it as an empty feed.
  if (text_bytes == 0) return fail("the PDF has no text layer (a scan?): run it through OCR or ask for the text");
  return r.finish();
}

}  // namespace iocgate
