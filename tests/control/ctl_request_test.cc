// Typed requests, the frame reader, the reply writer and the guarded dispatcher, without a
// socket: what each wrong type, length or encoding gets, and that nothing throws.

#include "control/ctl_request.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "control/ctl_protocol.h"
#include "control/utf8_text.h"

namespace iocgate {
namespace {

using nlohmann::json;

TEST(Utf8Text, AcceptsWellFormedAndFindsTheFirstBadByte) {
  EXPECT_FALSE(utf8_error_offset("plain ascii"));
  EXPECT_FALSE(utf8_error_offset("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_EQ(utf8_error_offset("caf\xE9"), 3u);            // Latin-1
  EXPECT_EQ(utf8_error_offset("\xC0\xAF"), 0u);           // overlong '/'
  EXPECT_EQ(utf8_error_offset("a\xED\xA0\x80"), 1u);      // a UTF-16 surrogate
  EXPECT_EQ(utf8_error_offset("\xF4\x90\x80\x80"), 0u);   // over U+10FFFF
  EXPECT_EQ(utf8_error_offset("ab\xE2\x82"), 2u);         // cut short
  EXPECT_EQ(utf8_problem("caf\xE9"), "not valid UTF-8 (byte 0xE9 at offset 3)");
  EXPECT_EQ(to_valid_utf8("caf\xE9!"), "caf\xEF\xBF\xBD!");
}

TEST(Utf8Text, ExcerptCutsOnACharacterAndSaysHowLong) {
  const std::string big(1 << 20, 'x');
  const std::string e = excerpt(big, 50);
  EXPECT_LT(e.size(), 80u);
  EXPECT_NE(e.find("(1048576 bytes)"), std::string::npos);
  EXPECT_EQ(excerpt("a\nb\x01"), "a b ");
  EXPECT_FALSE(utf8_error_offset(excerpt("\xC3\xA9\xC3\xA9\xC3\xA9", 3)));
  EXPECT_FALSE(utf8_error_offset(truncate_text("\xC3\xA9\xC3\xA9\xC3\xA9", 3)));
  EXPECT_EQ(truncate_text("line 1\nline 2", 100), "line 1\nline 2");
}

TEST(CtlRequest, ParsesAFullPush) {
  const json h = {{"cmd", "feed.push"}, {"name", "apt41"},      {"action", "alert"}, {"advisory", "941/CATTT"},
                  {"group", "APT 41"},  {"expires", "2027-01-01"}, {"source", "a.txt"}, {"format", "plain"},
                  {"force", {"10.0.0.0/8"}}, {"confirm", true}, {"content_length", 12}};
  Result<CtlRequest> r = parse_ctl_request(h);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_STREQ(ctl_command_name(*r), "feed.push");
  EXPECT_EQ(r->content_length, 12u);
  const auto& p = std::get<FeedPushRequest>(r->body);
  EXPECT_EQ(p.name, "apt41");
  EXPECT_EQ(p.action, "alert");
  EXPECT_EQ(p.advisory, "941/CATTT");
  EXPECT_EQ(p.group, "APT 41");
  EXPECT_EQ(p.expires, "2027-01-01");
  EXPECT_EQ(p.source, "a.txt");
  EXPECT_EQ(p.format, "plain");
  EXPECT_EQ(p.force, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_TRUE(p.confirm);
}

TEST(CtlRequest, DefaultsWhenFieldsAreAbsent) {
  Result<CtlRequest> r = parse_ctl_request({{"cmd", "feed.push"}, {"name", "x"}});
  ASSERT_TRUE(r.ok()) << r.message();
  const auto& p = std::get<FeedPushRequest>(r->body);
  // Absent means "keep the feed's current value" (drop for a new feed): not a default here.
  EXPECT_FALSE(p.action.has_value());
  EXPECT_FALSE(p.advisory.has_value());
  EXPECT_FALSE(p.expires.has_value());
  EXPECT_EQ(p.source, "x");  // the name stands for a missing source, as before
  Result<CtlRequest> given = parse_ctl_request({{"cmd", "feed.push"}, {"name", "x"}, {"advisory", ""}});
  ASSERT_TRUE(given.ok());
  EXPECT_EQ(std::get<FeedPushRequest>(given->body).advisory, std::optional<std::string>(""));
  EXPECT_FALSE(p.confirm);
  Result<CtlRequest> rep = parse_ctl_request({{"cmd", "report"}});
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(std::get<ReportRequest>(rep->body).since_seconds, 86400);
  for (const char* cmd : {"feed.list", "status", "stats"}) EXPECT_TRUE(parse_ctl_request({{"cmd", cmd}}).ok()) << cmd;
}

// The request header today's iocctl sends (empty strings included) stays valid.
TEST(CtlRequest, TodaysIocctlHeadersParse) {
  for (const char* line :
       {R"({"cmd":"feed.push","name":"f","action":"drop","advisory":"","group":"","expires":"","source":"f.txt","content_length":3})",
        R"({"cmd":"feed.push","name":"f","action":"drop","advisory":"","group":"","expires":"","source":"f.txt","force":["1.2.3.4"],"confirm":true,"format":"stix"})",
        R"({"cmd":"feed.show","name":"f"})", R"({"cmd":"feed.remove","name":"f"})",
        R"({"cmd":"report","since_seconds":86400,"feed":""})", R"({"cmd":"status"})"})
    EXPECT_TRUE(parse_ctl_request(json::parse(line)).ok()) << line << ": " << parse_ctl_request(json::parse(line)).message();
}

TEST(CtlRequest, ErrorsNameTheField) {
  struct Case {
    json header;
    const char* message;
  };
  const std::vector<Case> cases = {
      {{{"cmd", 1}}, "\"cmd\": expected a string, got a number"},
      {{{"cmd", "feed.push"}, {"name", 123}}, "\"name\": expected a string, got a number"},
      {{{"cmd", "feed.push"}, {"name", "x"}, {"content_length", "12"}},
       "\"content_length\": expected a whole number of bytes, got a string"},
      {{{"cmd", "feed.push"}, {"name", "x"}, {"force", {1}}}, "\"force\": entry 0: expected a string, got a number"},
      {{{"cmd", "report"}, {"since_seconds", -1}}, "\"since_seconds\": must not be negative"},
      {{{"cmd", "status"}, {"extra", 1}}, "unknown field \"extra\" for status (it takes none)"},
  };
  for (const Case& c : cases) {
    Result<CtlRequest> r = parse_ctl_request(c.header);
    ASSERT_FALSE(r.ok()) << c.header.dump();
    EXPECT_NE(r.message().find(c.message), std::string::npos) << r.message();
  }
}

TEST(CtlRequest, StringsWithInvalidUtf8AreRefusedReadably) {
  // nlohmann refuses invalid UTF-8 while parsing; a header built in code may still hold it.
  json h = {{"cmd", "feed.push"}, {"name", "x"}, {"advisory", std::string("caf\xE9")}};
  Result<CtlRequest> r = parse_ctl_request(h);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "\"advisory\": not valid UTF-8 (byte 0xE9 at offset 3)");
  h = {{"cmd", std::string("st\xFF")}};
  r = parse_ctl_request(h);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(utf8_error_offset(r.message())) << "the message itself must be UTF-8";
}

TEST(CtlRequest, EncodeRefusesWhatTheServerWouldAndNamesTheOption) {
  CtlRequest req{FeedPushRequest{}};
  auto& p = std::get<FeedPushRequest>(req.body);
  p.name = "x";
  p.advisory = "caf\xE9";
  Result<json> e = encode_ctl_request(req);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.message(), "--advisory: not valid UTF-8 (byte 0xE9 at offset 3); give it in UTF-8");
  p.advisory = "ok";
  p.group = "two\nlines";
  e = encode_ctl_request(req);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.message().find("--group: contains a control character (0x0A"), std::string::npos) << e.message();
  p.group = "";
  p.force = {"1.2.3.4", std::string("\xFF")};
  e = encode_ctl_request(req);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.message().find("--force: "), std::string::npos) << e.message();
  p.force.clear();
  p.name.clear();
  EXPECT_NE(encode_ctl_request(req).message().find("--name: must not be empty"), std::string::npos);
}

TEST(CtlRequest, EncodeThenParseRoundTrips) {
  FeedPushRequest p;
  p.name = "n";
  p.action = "mirror";
  p.advisory = "\xC3\xA9t\xC3\xA9";
  p.force = {"a.example", "10.0.0.0/8"};
  p.confirm = true;
  Result<json> e = encode_ctl_request(CtlRequest{p, 0});
  ASSERT_TRUE(e.ok()) << e.message();
  Result<CtlRequest> back = parse_ctl_request(json::parse(encode_header_line(*e, 5)));
  ASSERT_TRUE(back.ok()) << back.message();
  const auto& q = std::get<FeedPushRequest>(back->body);
  EXPECT_EQ(q.advisory, p.advisory);
  EXPECT_EQ(q.force, p.force);
  EXPECT_TRUE(q.confirm);
  EXPECT_EQ(back->content_length, 5u);
  ReportRequest rr;
  rr.since_seconds = 3600;
  rr.feed = "f";
  Result<json> re = encode_ctl_request(CtlRequest{rr, 0});
  ASSERT_TRUE(re.ok());
  Result<CtlRequest> rback = parse_ctl_request(*re);
  ASSERT_TRUE(rback.ok());
  EXPECT_EQ(std::get<ReportRequest>(rback->body).since_seconds, 3600);
}

TEST(CtlRequest, HuntCarriesFeedsOrFilesWithTheirSizes) {
  auto feeds = parse_ctl_request(json{{"cmd", "hunt"}, {"feeds", {"apt-x", "apt-y"}}, {"since", "7d"}});
  ASSERT_TRUE(feeds.ok()) << feeds.message();
  const auto& h = std::get<HuntRequest>(feeds->body);
  EXPECT_EQ(h.feeds, (std::vector<std::string>{"apt-x", "apt-y"}));
  EXPECT_EQ(h.since, "7d");
  EXPECT_EQ(h.until, "");
  auto files = parse_ctl_request(
      json{{"cmd", "hunt"}, {"sources", {"a.csv", "b.pdf"}}, {"source_bytes", {"10", "25"}}, {"content_length", 35}});
  ASSERT_TRUE(files.ok()) << files.message();
  EXPECT_EQ(files->content_length, 35u);
  struct Bad {
    json header;
    const char* says;
  };
  const std::vector<Bad> bad = {
      {{{"cmd", "hunt"}}, "not both and not neither"},
      {{{"cmd", "hunt"}, {"feeds", {"a"}}, {"sources", {"f"}}, {"source_bytes", {"1"}}, {"content_length", 1}},
       "not both"},
      {{{"cmd", "hunt"}, {"sources", {"f"}}, {"content_length", 1}}, "one size per entry"},
      {{{"cmd", "hunt"}, {"sources", {"f"}}, {"source_bytes", {"-1"}}, {"content_length", 1}}, "is not a size"},
      {{{"cmd", "hunt"}, {"sources", {"f"}}, {"source_bytes", {"12"}}, {"content_length", 11}}, "add up to 12"},
      {{{"cmd", "hunt"}, {"feeds", {"a"}}, {"since", 30}}, "\"since\": expected a string"},
      {{{"cmd", "status"}, {"content_length", 5}}, "only feed.push carries content"},
  };
  for (const Bad& b : bad) {
    auto r = parse_ctl_request(b.header);
    ASSERT_FALSE(r.ok()) << b.header.dump();
    EXPECT_NE(r.message().find(b.says), std::string::npos) << b.header.dump() << ": " << r.message();
  }
  // iocctl's encoding of a hunt parses back to the same request.
  HuntRequest h2;
  h2.sources = {"feed.txt"};
  h2.source_bytes = {"3"};
  h2.until = "2024-06-01";
  auto enc = encode_ctl_request(CtlRequest{h2, 3});
  ASSERT_TRUE(enc.ok()) << enc.message();
  (*enc)["content_length"] = 3;
  auto back = parse_ctl_request(*enc);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(std::get<HuntRequest>(back->body).until, "2024-06-01");
  EXPECT_EQ(std::get<HuntRequest>(back->body).since, "30d");
}

TEST(CtlRequest, HitsForgetNamesOneFeedAndCarriesNoContent) {
  auto r = parse_ctl_request(json{{"cmd", "hits.forget"}, {"feed", "apt-mistake"}});
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(std::get<HitsForgetRequest>(r->body).feed, "apt-mistake");
  for (const json& bad : {json{{"cmd", "hits.forget"}}, json{{"cmd", "hits.forget"}, {"feed", ""}},
                          json{{"cmd", "hits.forget"}, {"feed", 7}},
                          json{{"cmd", "hits.forget"}, {"feed", "a"}, {"content_length", 4}},
                          json{{"cmd", "hits.forget"}, {"feed", "a"}, {"all", true}}})
    EXPECT_FALSE(parse_ctl_request(bad).ok()) << bad.dump();
  auto enc = encode_ctl_request(CtlRequest{HitsForgetRequest{"apt-mistake"}});
  ASSERT_TRUE(enc.ok()) << enc.message();
  EXPECT_EQ((*enc)["cmd"], "hits.forget");
  EXPECT_FALSE(encode_ctl_request(CtlRequest{HitsForgetRequest{""}}).ok());
}

TEST(CtlReply, AlwaysValidUtf8AndCut) {
  const json latin1 = {{"ok", true}, {"feed", {{"label", std::string("comment \xE9t\xE9")}}}};
  const std::string line = render_reply(latin1);
  EXPECT_FALSE(utf8_error_offset(line));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(json::parse(line)["feed"]["label"], "comment \xEF\xBF\xBDt\xEF\xBF\xBD");

  const std::string huge = render_reply(error_reply(std::string(4 << 20, 'e')));  // a 4 MiB message
  EXPECT_LT(huge.size(), kMaxReplyMessageBytes + 200);
  EXPECT_NE(huge.find("bytes in all"), std::string::npos);

  EXPECT_NE(render_reply(json::array()).find("\"ok\":false"), std::string::npos);
  EXPECT_NE(render_reply({{"ok", "yes"}}).find("\"ok\":false"), std::string::npos);
}

TEST(CtlDispatch, NothingAHandlerThrowsEscapes) {
  CtlCall call{CtlRequest{StatusRequest{}}, "", CtlPeer{}};
  const std::vector<CtlHandler> bad = {
      [](CtlCall&) -> json { throw std::runtime_error("boom"); },
      [](CtlCall&) -> json { throw 42; },
      [](CtlCall&) -> json { return json::parse("{not json"); },          // nlohmann's own throw
      [](CtlCall&) -> json { return json::object().at("missing"); },      // out_of_range
      [](CtlCall&) -> json { return json(5).get<std::string>(); },        // type_error
      [](CtlCall&) -> json { return json::array(); },                     // not an object
      [](CtlCall&) -> json { return {{"result", 1}}; },                   // no "ok"
      [](CtlCall&) -> json { return {{"ok", 1}}; },                       // "ok" not a boolean
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    const json r = dispatch_guarded(bad[i], call);
    ASSERT_TRUE(r.is_object()) << i;
    EXPECT_EQ(r.value("ok", true), false) << i;
    EXPECT_NE(r.value("error", "").find("status"), std::string::npos) << i << ": " << r.dump();
  }
  const json good = dispatch_guarded([](CtlCall&) -> json { return {{"ok", true}, {"x", 1}}; }, call);
  EXPECT_EQ(good, (json{{"ok", true}, {"x", 1}}));
}

// The frame reader holds what arrived, never what was announced.
TEST(FrameReader, ContentGrowsWithWhatArrives) {
  FrameReader r;
  const std::string head = R"({"cmd":"feed.push","name":"x","content_length":1073741824})"
                           "\n";
  EXPECT_EQ(r.consume(head + "abc"), head.size());
  ASSERT_EQ(r.state(), FrameReader::State::kHeaderDone);
  EXPECT_EQ(r.content_length(), 1073741824u);
  r.read_content();
  EXPECT_EQ(r.consume("abc"), 3u);
  EXPECT_EQ(r.state(), FrameReader::State::kContent);
  EXPECT_LE(r.content().capacity(), 128u * 1024);
}

TEST(FrameReader, HeaderLimitAndNoEcho) {
  FrameReader r;
  const std::string big(1 << 20, '{');
  r.consume(big);
  ASSERT_EQ(r.state(), FrameReader::State::kFailed);
  EXPECT_LT(r.error().size(), 200u);
  EXPECT_NE(r.error().find("over 64 KiB"), std::string::npos);

  FrameReader j;
  j.consume(std::string("{\"cmd\":\"") + std::string(60000, 'x') + "\xE9\"}\n");
  ASSERT_EQ(j.state(), FrameReader::State::kFailed);
  EXPECT_LT(j.error().size(), 400u) << "a parse error quotes at most an excerpt";
  EXPECT_FALSE(utf8_error_offset(j.error()));
  EXPECT_NE(j.error().find("not JSON"), std::string::npos);
}

TEST(FrameReader, SplitAnywhere) {
  const std::string msg = std::string(R"({"cmd":"feed.push","name":"x","content_length":10})") + "\n0123456789";
  for (size_t cut = 0; cut <= msg.size(); ++cut) {
    FrameReader r;
    std::string_view rest(msg);
    for (std::string_view piece : {rest.substr(0, cut), rest.substr(cut)}) {
      while (!piece.empty()) {
        piece.remove_prefix(r.consume(piece));
        if (r.state() == FrameReader::State::kHeaderDone) r.read_content();
        if (r.state() == FrameReader::State::kDone) break;
      }
    }
    ASSERT_EQ(r.state(), FrameReader::State::kDone) << cut;
    EXPECT_EQ(r.content(), "0123456789");
  }
}

}  // namespace
}  // namespace iocgate
