// feeds/feed_spamhaus_json.cc — Spamhaus DROP in its JSON-lines form: one {"cidr":...,
// "sblid":...} object a line and a closing {"type":"metadata",...}. ASN-DROP is refused.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "feeds/ip_prefix.h"
#include "feeds/json_error.h"
#include "feeds/utf8_bom.h"

namespace iocgate {

FeedParseResult parse_spamhaus_json(std::string_view content, const ParseOptions& opts) {
  using nlohmann::json;
  FeedParseResult result;
  result.feed.format = FeedFormat::kSpamhausJson;
  result.feed.advisory = "Spamhaus DROP";
  content = strip_utf8_bom(content);
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    result.feed.iocs.clear();
    return result;
  };
  uint32_t line_no = 0;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view line = content.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty()) continue;
    json obj;
    try {
      obj = json::parse(line.begin(), line.end());
    } catch (const std::exception& e) {
      return fail(line_no, "not a JSON object: " + without_exception_id(e.what()));
    }
    if (!obj.is_object()) return fail(line_no, "not a JSON object: each line of a Spamhaus JSON list is one object");
    if (auto t = obj.find("type"); t != obj.end() && t->is_string() && t->get_ref<const std::string&>() == "metadata")
      continue;
    if (obj.contains("asn"))
      return fail(line_no, fmt::format("{} is an ASN-DROP entry: an autonomous system number is not enforceable "
                                       "by address; use Spamhaus drop_v4.json / drop_v6.json, which list its prefixes",
                                       obj["asn"].dump()));
    auto cidr = obj.find("cidr");
    if (cidr == obj.end() || !cidr->is_string())
      return fail(line_no, "no \"cidr\" string: not a Spamhaus DROP JSON entry");
    std::string error;
    auto p = parse_ip_prefix(cidr->get_ref<const std::string&>(), error);
    if (!p) return fail(line_no, std::move(error));
    Ioc ioc = ioc_from_prefix(*p, p->is_cidr ? IocForm::kCidr : IocForm::kAddress);
    ioc.line = line_no;
    if (auto sbl = obj.find("sblid"); sbl != obj.end() && sbl->is_string()) ioc.label = sbl->get<std::string>();
    result.feed.iocs.push_back(std::move(ioc));
  }
  return result;
}

}  // namespace iocgate
