// tests/feeds/csv_line_test.cc — one line of an abuse.ch CSV export.
#include <gtest/gtest.h>

#include "feeds/csv_line.h"

namespace iocgate {
namespace {

TEST(CsvLine, Splits) {
  std::vector<std::string> f;
  std::string error;
  ASSERT_TRUE(split_csv_line(R"("a", "b,c", d ,"e""q",)", f, error));
  EXPECT_EQ(f, (std::vector<std::string>{"a", "b,c", "d", "e\"q", ""}));
  ASSERT_TRUE(split_csv_line("", f, error));
  EXPECT_EQ(f.size(), 1u);
  EXPECT_FALSE(split_csv_line(R"("a)", f, error));
  EXPECT_EQ(error, "unterminated quoted field 1");
  EXPECT_FALSE(split_csv_line(R"("a"b,c)", f, error));
  EXPECT_EQ(error, "text after the closing quote of field 1");
}

}  // namespace
}  // namespace iocgate
