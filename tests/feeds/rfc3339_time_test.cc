// tests/feeds/rfc3339_time_test.cc — STIX timestamps to unix seconds.
#include "feeds/rfc3339_time.h"

#include <gtest/gtest.h>

namespace iocgate {
namespace {

TEST(Rfc3339, Parses) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("2024-06-24T00:00:00Z"), 1719187200);
  EXPECT_EQ(parse_rfc3339("2024-06-24T00:00:00.000Z"), 1719187200);
  EXPECT_EQ(parse_rfc3339("2024-06-24T00:00:00.999999Z"), 1719187200);
  EXPECT_EQ(parse_rfc3339("2024-06-24T02:00:00+02:00"), 1719187200);
  EXPECT_EQ(parse_rfc3339("2024-06-23T19:30:00-04:30"), 1719187200);
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1709164800);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -1);
}

TEST(Rfc3339, Rejects) {
  for (const char* bad : {"", "2024-06-24", "2024-06-24T00:00:00", "2024-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2024-06-24T24:00:00Z", "2024-06-24T00:00:00.Z",
                          "2024-06-24T00:00:00Zjunk", "2024-06-24T00:00:00+0200", "24-06-24T00:00:00Z"})
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
}

}  // namespace
}  // namespace iocgate
