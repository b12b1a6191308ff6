// feeds/feed_spamhaus_json.cc — Spamhaus DROP in its JSON-lines form: one {"cidr":...,
// "sblid":...} object a line and a closing {"type":"metadata",...}. ASN-DROP is refused.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_value.h"
#include "feeds/json_document.h"

namespace iocgate {

FeedParseResult parse_spamhaus_json(std::string_view content, const ParseOptions& opts) {
  using nlohmann::json;
  FeedReader r(content, FeedFormat::kSpamhausJson, opts);
  r.feed().advisory = "Spamhaus DROP";
  r.each_line([&](const TextLine& l) {
    std::string_view line = trim_blank(l.text);
    if (line.empty()) return true;
    json obj;
    try {
      obj = json::parse(line.begin(), line.end());
    } catch (const std::exception& e) {
      return r.fail(l.number, "not a JSON object: " + without_exception_id(e.what()));
    }
    if (!obj.is_object()) return r.fail(l.number, "not a JSON object: each line of a Spamhaus JSON list is one object");
    if (auto t = obj.find("type"); t != obj.end() && t->is_string() && t->get_ref<const std::string&>() == "metadata")
      return true;
    if (obj.contains("asn"))
      return r.fail(l.number, fmt::format("{} is an ASN-DROP entry: an autonomous system number is not enforceable "
                                          "by address; use Spamhaus drop_v4.json / drop_v6.json, which list its prefixes",
                                          obj["asn"].dump()));
    auto cidr = obj.find("cidr");
    if (cidr == obj.end() || !cidr->is_string())
      return r.fail(l.number, "no \"cidr\" string: not a Spamhaus DROP JSON entry");
    std::string error;
    auto ioc = prefix_ioc(cidr->get_ref<const std::string&>(), error);
    if (!ioc) return r.fail(l.number, std::move(error));
    std::string label;
    if (auto sbl = obj.find("sblid"); sbl != obj.end() && sbl->is_string()) label = sbl->get<std::string>();
    r.keep(std::move(*ioc), l.number, std::move(label));
    return true;
  });
  return r.finish();
}

}  // namespace iocgate
