// tests/feeds/feed_malformed_test.cc — thousands of malformed variants of real-shaped feeds,
// none of which may be accepted, each refused with a reason. Every mutation is invalid by
// construction: it lands in an IoC token (or breaks the encoding or the JSON/CSV syntax),
// never in a comment where it could leave a valid feed behind.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/feeds/feed_test_support.h"

namespace iocgate {
namespace {

using namespace testing_support;


// What an IoC slot holds decides which replacements are invalid there.
enum class Slot { kAny, kIp, kDomain, kUrlHost, kDefanged };

struct Fixture {
  const char* file;
  FeedFormat format;
  enum class Syntax { kLines, kJson, kJsonLines, kQuotedCsv, kProse } syntax;
  std::vector<std::pair<const char*, Slot>> slots;  // tokens, each unique in the file
};

const std::string kHugeLabel = std::string(100000, 'a');

std::vector<std::string> invalid_values(Slot s) {
  switch (s) {
    case Slot::kAny:
      return {"1.2.3.4/33", "::/129", "300.1.2.3", "1.2.3.4.5", "evil..example", "-bad-.example", "bad!.example",
              kHugeLabel + ".example", "1." + std::string(100000, '1')};
    case Slot::kIp:
      return {"1.2.3.4/33", "::/129", "300.1.2.3", "1.2.3", "01.2.3.4", "1." + std::string(100000, '1')};
    case Slot::kDomain:
      return {"evil..example", "-bad-.example", "bad!.example", kHugeLabel + ".example"};
    case Slot::kUrlHost:
      return {"evil..example", "-bad-.example", "bad!.example", "300.1.2.3", kHugeLabel + ".example"};
    case Slot::kDefanged:
      return {"1.2.3[.]4/33", "300.1.2[.]3", "evil[.].-x.example", "bad[.]ex!ample", kHugeLabel + "[.]example"};
  }
  return {};
}

using F = Fixture::Syntax;
const Fixture kFixtures[] = {
    {"plain.txt", FeedFormat::kPlain, F::kLines,
     {{"203.0.113.0/25", Slot::kAny}, {"2001:db8:10::5", Slot::kAny}}},
    {"misp_event.json", FeedFormat::kMispJson, F::kJson,
     {{"198.51.100.23", Slot::kIp}, {"update-check.example.net", Slot::kDomain}, {"files.example.com", Slot::kUrlHost}}},
    {"misp_response.json", FeedFormat::kMispJson, F::kJson, {{"198.51.100.7", Slot::kIp}, {"CDN.Example.ORG", Slot::kDomain}}},
    {"bundle.stix.json", FeedFormat::kStix21, F::kJson, {{"198.51.100.23", Slot::kIp}, {"update-check.example.net", Slot::kDomain}}},
    {"firehol.netset", FeedFormat::kFireholSet, F::kLines, {{"1.19.0.0/16", Slot::kAny}}},
    {"spamhaus_drop.txt", FeedFormat::kSpamhausDrop, F::kLines, {{"2.56.192.0/22", Slot::kAny}}},
    {"spamhaus_drop_v4.json", FeedFormat::kSpamhausJson, F::kJsonLines, {{"1.10.16.0/20", Slot::kIp}}},
    {"feodo_ipblocklist.csv", FeedFormat::kFeodoCsv, F::kQuotedCsv, {{"85.239.243.155", Slot::kIp}}},
    {"feodo_ipblocklist.txt", FeedFormat::kFeodoPlain, F::kLines, {{"192.9.135.73", Slot::kAny}}},
    {"threatfox.csv", FeedFormat::kThreatfoxCsv, F::kQuotedCsv,
     {{"45.61.136.157", Slot::kIp}, {"kbfvzoboss.bid", Slot::kDomain}, {"weqwe.example-malware.top", Slot::kUrlHost}}},
    {"threatfox.json", FeedFormat::kThreatfoxJson, F::kJson, {{"45.61.136.157", Slot::kIp}, {"kbfvzoboss.bid", Slot::kDomain}}},
    {"threatfox_api.json", FeedFormat::kThreatfoxJson, F::kJson, {{"203.0.113.77", Slot::kUrlHost}}},
    {"urlhaus.csv", FeedFormat::kUrlhausCsv, F::kQuotedCsv,
     {{"117.215.50.43", Slot::kUrlHost}, {"dl.bad-updates.example.xyz", Slot::kUrlHost}}},
    {"adblock.txt", FeedFormat::kAdblock, F::kLines, {{"0022a601.pphost.net", Slot::kAny}, {"wegrowcoaching.com", Slot::kAny}}},
    {"zone.rpz", FeedFormat::kRpz, F::kLines, {{"evil.example.com", Slot::kDomain}}},
    {"advisory.adoc", FeedFormat::kText, F::kProse, {{"45.154.14[.]235", Slot::kDefanged}, {"locvnpt[.]com", Slot::kDefanged}}},
};

struct Variant {
  std::string kind;
  std::string content;
};

std::string utf16(const std::string& s, bool big_endian, bool bom) {
  std::string out;
  if (bom) out += big_endian ? "\xFE\xFF" : "\xFF\xFE";
  for (char c : s) {
    if (big_endian) out += '\0';
    out += c;
    if (!big_endian) out += '\0';
  }
  return out;
}

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::vector<Variant> variants(const Fixture& f, const std::string& base) {
  std::vector<Variant> out;
  for (const auto& [token, slot] : f.slots) {
    const std::string tok(token);
    const size_t at = base.find(tok);
    EXPECT_NE(at, std::string::npos) << f.file << ": " << tok;
    if (at == std::string::npos) continue;
    EXPECT_EQ(base.find(tok, at + 1), std::string::npos) << f.file << ": '" << tok << "' is not unique";
    auto with = [&](const std::string& replacement) {
      return base.substr(0, at) + replacement + base.substr(at + tok.size());
    };
    for (const std::string& bad : invalid_values(slot))
      out.push_back({bad.size() > 1000 ? "huge line" : "invalid token '" + bad + "'", with(bad)});
    // Flip each letter or digit of the token to bytes no IoC may contain.
    for (size_t i = 0; i < tok.size(); ++i) {
      if (!is_alnum(tok[i])) continue;
      for (char c : {'!', '~', '\xff'}) {
        // '!' opening a line is an Adblock comment: that variant would be valid, so it is
        // not generated.
        if (c == '!' && i == 0 && (at == 0 || base[at - 1] == '\n')) continue;
        // In prose a trailing '!' is punctuation ("see evil[.]co!"): the shortened token
        // would be a valid IoC, so that variant is not generated either.
        if (c == '!' && i + 1 == tok.size() && f.syntax == F::kProse) continue;
        std::string t = tok;
        t[i] = c;
        out.push_back({"flipped byte", with(t)});
      }
    }
    const size_t mid = tok.size() / 2 + (tok[tok.size() / 2] == '[' || tok[tok.size() / 2] == '.' ? 1 : 0);
    out.push_back({"BOM inside an IoC", with(tok.substr(0, mid) + "\xEF\xBB\xBF" + tok.substr(mid))});
    out.push_back({"NUL inside an IoC", with(tok.substr(0, mid) + std::string(1, '\0') + tok.substr(mid))});
    // Truncation that must leave a broken token or document behind.
    switch (f.syntax) {
      case F::kLines: {
        size_t dot = tok.find('.');
        if (dot != std::string::npos) out.push_back({"truncated", base.substr(0, at + dot + 1)});
        break;
      }
      case F::kQuotedCsv:
        for (size_t i = 1; i < tok.size(); ++i) out.push_back({"truncated", base.substr(0, at + i)});
        break;
      case F::kJson:
      case F::kJsonLines:
      case F::kProse: break;
    }
  }
  if (f.syntax == F::kJson) {
    // Any prefix of a JSON object, up to its closing brace, is not a JSON document.
    const size_t close = base.rfind('}');
    const size_t step = std::max<size_t>(1, close / 300);
    for (size_t n = 1; n < close; n += step) out.push_back({"truncated", base.substr(0, n)});
  }
  if (f.syntax == F::kJsonLines) {
    const size_t close = base.find('}');
    for (size_t n = 1; n < close; ++n) out.push_back({"truncated", base.substr(0, n)});
  }
  out.push_back({"UTF-16LE", utf16(base, false, false)});
  out.push_back({"UTF-16LE with BOM", utf16(base, false, true)});
  out.push_back({"UTF-16BE with BOM", utf16(base, true, true)});
  out.push_back({"UTF-16 BOM before UTF-8", "\xFF\xFE" + base});
  out.push_back({"UTF-8 BOM before UTF-16", "\xEF\xBB\xBF" + utf16(base, false, false)});
  return out;
}

TEST(FeedMalformed, NoVariantIsAccepted) {
  std::map<std::string, size_t> by_kind;
  size_t total = 0;
  for (const Fixture& f : kFixtures) {
    SCOPED_TRACE(f.file);
    const std::string base = read_fixture(f.file);
    ASSERT_FALSE(base.empty()) << f.file;
    ParseOptions opts;
    opts.file_name = f.file;
    opts.format = f.format;
    opts.now_unix = 1719187200;
    // The unmutated fixture is accepted: the mutation, not the fixture, is what is refused.
    auto original = parse_feed(base, opts);
    ASSERT_TRUE(original.ok()) << original.error->message();
    for (const Variant& v : variants(f, base)) {
      ++total;
      ++by_kind[v.kind.starts_with("invalid token") ? "invalid token" : v.kind];
      for (FeedFormat format : {f.format, FeedFormat::kAuto}) {
        opts.format = format;
        auto r = parse_feed(v.content, opts);
        ASSERT_FALSE(r.ok()) << v.kind << " accepted as " << feed_format_name(format) << ":\n"
                             << v.content.substr(0, 400) << "\n" << (r.ok() ? testing::PrintToString(r.feed.notes) : "");
        EXPECT_FALSE(r.error->reason.empty()) << v.kind;
        EXPECT_TRUE(r.error->message().starts_with(f.file)) << r.error->message();
      }
    }
  }
  EXPECT_GE(total, 1000u);
  for (const char* kind : {"invalid token", "flipped byte", "truncated", "huge line", "UTF-16LE", "BOM inside an IoC"})
    EXPECT_GT(by_kind[kind], 0u) << kind;
  std::string summary;
  for (const auto& [k, n] : by_kind) summary += k + " " + std::to_string(n) + "; ";
  std::printf("%zu malformed variants, none accepted: %s\n", total, summary.c_str());
}

// JSON documents of the wrong schema, read by each JSON parser in turn.
TEST(FeedMalformed, WrongJsonSchema) {
  const std::vector<std::string> docs = {
      read_fixture("misp_event.json"), read_fixture("bundle.stix.json"), read_fixture("threatfox.json"),
      read_fixture("spamhaus_drop_v4.json"), read_fixture("misp_response.json"),
      R"({"duvelDetails": {"blockList": ["a.example"]}})", "[]", R"({"Event": []})", R"({"response": {}})",
      R"({"type": "bundle", "objects": {}})", R"({"query_status": "ok", "data": {}})", "{\"asn\": 1}\n", "null", "42"};
  const std::vector<std::pair<FeedFormat, size_t>> owners = {
      {FeedFormat::kMispJson, 0}, {FeedFormat::kStix21, 1}, {FeedFormat::kThreatfoxJson, 2}, {FeedFormat::kSpamhausJson, 3},
      {FeedFormat::kMispJson, 4}};
  size_t n = 0;
  for (FeedFormat format : {FeedFormat::kMispJson, FeedFormat::kStix21, FeedFormat::kThreatfoxJson, FeedFormat::kSpamhausJson}) {
    for (size_t d = 0; d < docs.size(); ++d) {
      bool own = false;
      for (const auto& [f, i] : owners) own = own || (f == format && i == d);
      if (own) continue;
      ParseOptions opts;
      opts.file_name = "doc.json";
      opts.format = format;
      auto r = parse_feed(docs[d], opts);
      EXPECT_FALSE(r.ok()) << feed_format_name(format) << " accepted document " << d;
      if (!r.ok()) {
        EXPECT_FALSE(r.error->reason.empty());
      }
      ++n;
    }
  }
  for (size_t d = 5; d < docs.size(); ++d) {
    ParseOptions opts;
    EXPECT_FALSE(parse_feed(docs[d], opts).ok()) << "auto accepted " << docs[d];
  }
  EXPECT_GT(n, 40u);
}

}  // namespace
}  // namespace iocgate
