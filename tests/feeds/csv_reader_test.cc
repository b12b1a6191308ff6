// tests/feeds/csv_reader_test.cc — RFC 4180 quoting and physical line tracking.
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

}  // namespace
}  // namespace iocgate
