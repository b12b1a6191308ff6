// tests/feeds/feed_table_test.cc — delimited IoC tables: Volexity's "value,type,notes" CSV,
// Vietnamese TSV headers, ';' tables, tables without a header, and what is refused.
#include <gtest/gtest.h>

#include "feeds/ioc_table_reader.h"
#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


FeedParseResult parse(std::string_view text) {
  ParseOptions opts;
  opts.file_name = "t.csv";
  return parse_feed(text, opts);
}

TEST(FeedTable, VolexityCsv) {
  auto r = parse_fixture("volexity_oceanlotus.csv");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kTable);
  EXPECT_EQ(rendered(r.feed), (V{"domain ps.andreagahuvrauvin.com", "url-host andreagahuvrauvin.com",
                                 "ipv4 150.95.153.189/32", "domain news.sky-connect.org"}));
  EXPECT_EQ(r.feed.iocs[2].line, 4u);
  EXPECT_EQ(r.feed.iocs[2].label, "resolved C2 address");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"md5", 1}}));
}

TEST(FeedTable, VietnameseTabSeparatedHeader) {
  auto r = parse("STT\tĐịa chỉ IP\tLoại\tGhi chú\n1\t185.174.100[.]56\tIP\tMáy chủ C2\n"
                 "2\ttinmoi24h[.]net\tTên miền\t\n3\tc0ffee00c0ffee00c0ffee00c0ffee00\tMã băm\tmẫu\n");
  ASSERT_ACCEPTED_AS(r, FeedFormat::kTable);
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 185.174.100.56/32", "domain tinmoi24h.net"}));
  EXPECT_EQ(r.feed.iocs[0].label, "Máy chủ C2");
  EXPECT_EQ(r.feed.skipped, (std::map<std::string, uint64_t>{{"mã băm", 1}}));
}

TEST(FeedTable, SemicolonsAndSeveralValuesInACell) {
  auto r = parse("Indicator;Comment\n\"198.51.100.7, 198.51.100.8\";two C2\nevil.example;\n");
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 198.51.100.7/32", "ipv4 198.51.100.8/32", "domain evil.example"}));
}

TEST(FeedTable, WithoutHeaderTheValueColumnIsFoundByContent) {
  ParseOptions opts;
  auto r = parse_ioc_table("C2 list exported 2024-06\n203.0.113.9,stealer panel\nbad.example,loader\n", opts);
  ASSERT_TRUE(r.ok()) << r.error->message();
  EXPECT_EQ(rendered(r.feed), (V{"ipv4 203.0.113.9/32", "domain bad.example"}));
  EXPECT_EQ(r.feed.iocs[1].label, "loader");
  ASSERT_EQ(r.feed.notes.size(), 1u);  // the title row, said
}

TEST(FeedTable, Refusals) {
  ParseOptions opts;
  opts.file_name = "t.csv";
  EXPECT_EQ(parse_ioc_table("value,type\n1.2.3.4/33,ip\n", opts).error->message(),
            "t.csv:2: '1.2.3.4/33' is not a CIDR: prefix length 33 is out of range for IPv4 (0..32) (type 'ip')");
  EXPECT_EQ(parse_ioc_table("name,age\nalice,30\n", opts).error->message(),
            std::string("t.csv: ") + IocTableReader::kNoTable);
  EXPECT_EQ(parse_ioc_table("value,notes\n\"open,x\n", opts).error->line, 2u);
}

TEST(FeedTable, HeaderNames) {
  EXPECT_EQ(table_column_of("Địa chỉ IP"), TableColumn::kValue);
  EXPECT_EQ(table_column_of(" TÊN MIỀN "), TableColumn::kValue);
  EXPECT_EQ(table_column_of("Giá trị:"), TableColumn::kValue);
  EXPECT_EQ(table_column_of("IoC type"), TableColumn::kType);
  EXPECT_EQ(table_column_of("Loại"), TableColumn::kType);
  EXPECT_EQ(table_column_of("Ghi chú"), TableColumn::kNote);
  EXPECT_EQ(table_column_of("Mô tả"), TableColumn::kNote);
  EXPECT_EQ(table_column_of("First seen"), TableColumn::kNone);
  EXPECT_EQ(fold_case("ĐỊA CHỈ Ư Ơ Ă Â"), "địa chỉ ư ơ ă â");
}

}  // namespace
}  // namespace iocgate
