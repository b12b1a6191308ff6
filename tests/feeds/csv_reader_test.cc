// tests/feeds/csv_reader_test.cc — the one CSV reader: RFC 4180 quoting and physical line
// tracking (MISP), padded single-line records with '#' comments (abuse.ch), other separators.
#include "feeds/csv_reader.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

std::vector<CsvRecord> read_all(std::string_view s, std::string* error = nullptr, uint32_t* line = nullptr) {
  CsvReader r(s);
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while (r.next(rec)) out.push_back(rec);
  if (error) *error = r.error();
  if (line) *line = r.error_line();
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, PlainAndQuoted) {
  auto recs = read_all("a,b,c\n\"x,y\",\"say \"\"hi\"\"\",\n\"multi\nline\",2,3\r\nlast,,\"\"");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[0].fields, (Fields{"a", "b", "c"}));
  EXPECT_EQ(recs[0].line, 1u);
  EXPECT_EQ(recs[1].fields, (Fields{"x,y", "say \"hi\"", ""}));
  EXPECT_EQ(recs[1].line, 2u);
  EXPECT_EQ(recs[2].fields, (Fields{"multi\nline", "2", "3"}));
  EXPECT_EQ(recs[2].line, 3u);
  EXPECT_EQ(recs[3].fields, (Fields{"last", "", ""}));
  EXPECT_EQ(recs[3].line, 5u);  // the quoted newline took a physical line
}

TEST(CsvReader, EmptyInputHasNoRecords) {
  std::string error;
  EXPECT_TRUE(read_all("", &error).empty());
  EXPECT_EQ(error, "");
}

TEST(CsvReader, Errors) {
  std::string error;
  uint32_t line = 0;
  read_all("a,b\n\"open,\nstill open", &error, &line);
  EXPECT_EQ(error, "unterminated quoted field (missing closing '\"')");
  EXPECT_EQ(line, 2u);
  read_all("a,b\nx,\"q\"z\n", &error, &line);
  EXPECT_EQ(error, "text after a closing quote; a quote inside a quoted field is written \"\"");
  EXPECT_EQ(line, 2u);
  read_all("a\nb\nx\"y\n", &error, &line);
  EXPECT_EQ(error, "a quote inside an unquoted field; quote the whole field");
  EXPECT_EQ(line, 3u);
}

constexpr CsvDialect kPadded{',', true, false, false, true};

TEST(CsvReader, PaddedLinesAndComments) {
  CsvReader r("# \"first_seen\",\"dst_ip\"\n\"a\", \"b,c\", d ,\"e\"\"q\",\n  # note\nx\"y,z\n", kPadded);
  CsvRecord rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_TRUE(rec.comment);
  EXPECT_EQ(rec.text, "\"first_seen\",\"dst_ip\"");
  std::vector<std::string> header;
  std::string error;
  ASSERT_TRUE(split_csv_line(rec.text, kPadded, header, error));
  EXPECT_EQ(header, (Fields{"first_seen", "dst_ip"}));
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.fields, (Fields{"a", "b,c", "d", "e\"q", ""}));
  EXPECT_EQ(rec.line, 2u);
  ASSERT_TRUE(r.next(rec));
  EXPECT_TRUE(rec.comment);
  ASSERT_TRUE(r.next(rec));  // lenient quotes: a '"' inside an unquoted field is data
  EXPECT_EQ(rec.fields, (Fields{"x\"y", "z"}));
  EXPECT_EQ(rec.line, 4u);
  EXPECT_FALSE(r.next(rec));
  EXPECT_EQ(r.error(), "");
}

TEST(CsvReader, PaddedErrorsStayOnTheirLine) {
  std::vector<std::string> f;
  std::string error;
  EXPECT_FALSE(split_csv_line(R"("a)", kPadded, f, error));
  EXPECT_EQ(error, "unterminated quoted field (missing closing '\"')");
  EXPECT_FALSE(split_csv_line(R"("a"b,c)", kPadded, f, error));
  EXPECT_EQ(error, "text after a closing quote; a quote inside a quoted field is written \"\"");
  ASSERT_TRUE(split_csv_line("", kPadded, f, error));
  EXPECT_EQ(f.size(), 1u);
  // Single-line records: an open quote does not swallow the next lines.
  CsvReader r("ok,1\n\"open,2\nnext,3\n", kPadded);
  CsvRecord rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_FALSE(r.next(rec));
  EXPECT_EQ(r.error_line(), 2u);
}

TEST(CsvReader, TabsAndSemicolons) {
  CsvDialect tabs;
  tabs.separator = '\t';
  auto recs_tab = [&] {
    CsvReader r("value\ttype\n1.2.3.4\t\"ip, dst\"\n", tabs);
    std::vector<CsvRecord> out;
    CsvRecord rec;
    while (r.next(rec)) out.push_back(rec);
    return out;
  }();
  ASSERT_EQ(recs_tab.size(), 2u);
  EXPECT_EQ(recs_tab[1].fields, (Fields{"1.2.3.4", "ip, dst"}));
  CsvDialect semi;
  semi.separator = ';';
  CsvReader r("a;b,c;\n", semi);
  CsvRecord rec;
  ASSERT_TRUE(r.next(rec));
  EXPECT_EQ(rec.fields, (Fields{"a", "b,c", ""}));
}

}  // namespace
}  // namespace iocgate
