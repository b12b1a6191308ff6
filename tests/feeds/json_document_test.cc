// tests/feeds/json_document_test.cc — a JSON feed is read whole, so its size is bounded
// before parsing: memory stays a stated multiple of kMaxJsonDocumentBytes whatever comes in.

#include "feeds/json_document.h"

#include <gtest/gtest.h>

#include "feeds/feed_parser.h"

namespace iocgate {
namespace {

TEST(JsonDocument, ALargerDocumentIsRefusedBeforeParsing) {
  std::string big = "[";
  while (big.size() <= kMaxJsonDocumentBytes) big += "[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],[],";
  big += "[]]";
  nlohmann::json doc;
  uint32_t line = 7;
  std::string reason;
  EXPECT_FALSE(parse_json_document(big, &doc, &line, &reason));
  EXPECT_NE(reason.find("at most 32 MiB"), std::string::npos) << reason;
  EXPECT_TRUE(doc.is_null()) << "nothing was parsed";
  // Through the parser of a JSON format, as a push would reach it.
  ParseOptions o;
  o.file_name = "huge.json";
  o.format = FeedFormat::kStix21;
  FeedParseResult r = parse_feed("{\"type\":\"bundle\",\"objects\":" + big + "}", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error->message().find("huge.json"), std::string::npos) << r.error->message();
  EXPECT_NE(r.error->message().find("JSON feeds are read whole"), std::string::npos) << r.error->message();
}

TEST(JsonDocument, ADocumentWithinTheBoundParses) {
  nlohmann::json doc;
  uint32_t line = 0;
  std::string reason;
  ASSERT_TRUE(parse_json_document(R"({"type":"bundle","objects":[]})", &doc, &line, &reason)) << reason;
  EXPECT_EQ(doc["type"], "bundle");
}

}  // namespace
}  // namespace iocgate
