// tests/feeds/feed_formats_test.cc — the format registry: one table names every format,
// each name parses back to its format, and help texts have a description for each.
#include <set>

#include <gtest/gtest.h>

#include "feeds/ioc.h"

namespace iocgate {
namespace {

TEST(FeedFormats, EveryFormatIsInTheTableOnce) {
  std::set<std::string> names;
  std::set<FeedFormat> formats;
  for (const FeedFormatInfo* f = feed_formats(); f->name; ++f) {
    SCOPED_TRACE(f->name);
    EXPECT_TRUE(names.insert(f->name).second) << "name listed twice";
    EXPECT_TRUE(formats.insert(f->format).second) << "format listed twice";
    EXPECT_STRNE(f->description, "");
    ASSERT_TRUE(feed_format_from_name(f->name));
    EXPECT_EQ(*feed_format_from_name(f->name), f->format);
    EXPECT_STREQ(feed_format_name(f->format), f->name);
    EXPECT_NE(feed_format_names().find(f->name), std::string::npos);
  }
  // Every enumerator, kAuto to the last one, has its row.
  for (int i = 0; i <= static_cast<int>(FeedFormat::kDocx); ++i)
    EXPECT_TRUE(formats.count(static_cast<FeedFormat>(i))) << i;
  EXPECT_EQ(*feed_format_from_name("stix"), FeedFormat::kStix21);
  EXPECT_FALSE(feed_format_from_name("csv"));
  EXPECT_FALSE(feed_format_from_name(""));
}

}  // namespace
}  // namespace iocgate
