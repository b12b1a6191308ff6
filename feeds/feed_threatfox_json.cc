// feeds/feed_threatfox_json.cc — ThreatFox JSON: the export ({"<id>": [{"ioc_value":...,
// "ioc_type":...}], ...}) and the API response ({"query_status":"ok","data":[{"ioc":...}]}).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/domain_name.h"
#include "feeds/feed_parser.h"
#include "feeds/ip_prefix.h"
#include "feeds/json_error.h"
#include "feeds/url_host.h"
#include "feeds/utf8_bom.h"

namespace iocgate {
namespace {

using nlohmann::json;

std::string string_of(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Returns an error reason or "".
std::string read_entry(const json& e, uint32_t index, ParsedFeed& feed) {
  if (!e.is_object()) return fmt::format("entry {} is not a JSON object", index);
  std::string type = string_of(e, "ioc_type");
  std::string value = e.contains("ioc_value") ? string_of(e, "ioc_value") : string_of(e, "ioc");
  if (type.empty() || value.empty()) return fmt::format("entry {} has no \"ioc_type\" and \"ioc_value\" (or \"ioc\")", index);
  std::string error;
  std::optional<Ioc> ioc;
  if (type == "ip:port") {
    size_t colon = value.rfind(':');
    std::string_view host = std::string_view(value).substr(0, colon);
    if (colon == std::string::npos) return fmt::format("ip:port '{}' has no port", value);
    auto p = parse_ip_prefix(host, error);
    if (p && p->is_cidr) error = fmt::format("'{}' is a CIDR, not an address", host);
    if (p && !p->is_cidr) ioc = ioc_from_prefix(*p, IocForm::kAddress);
  } else if (type == "domain") {
    if (auto name = normalize_domain(value, error)) {
      ioc.emplace();
      ioc->kind = IocKind::kDomain;
      ioc->form = IocForm::kDomain;
      ioc->domain = std::move(*name);
    }
  } else if (type == "url") {
    ioc = ioc_from_url(value, false, error);
  } else {
    ++feed.skipped[type];
    return {};
  }
  if (!ioc) return fmt::format("{}: {}", type, error);
  ioc->line = index;
  ioc->label = string_of(e, "malware_printable");
  feed.iocs.push_back(std::move(*ioc));
  return {};
}

}  // namespace

FeedParseResult parse_threatfox_json(std::string_view content, const ParseOptions& opts) {
  FeedParseResult result;
  result.feed.format = FeedFormat::kThreatfoxJson;
  result.feed.advisory = "abuse.ch ThreatFox";
  content = strip_utf8_bom(content);
  auto fail = [&](uint32_t line, std::string reason) {
    result.error = FeedError{opts.file_name, line, std::move(reason)};
    result.feed.iocs.clear();
    return result;
  };
  json doc;
  uint32_t bad_line = 0;
  std::string bad_reason;
  if (!parse_json_document(content, &doc, &bad_line, &bad_reason)) return fail(bad_line, bad_reason);
  try {
    if (!doc.is_object()) return fail(0, "not a ThreatFox export: the JSON top level is not an object");
    uint32_t index = 0;
    if (doc.contains("query_status")) {
      const json& status = doc["query_status"];
      if (!status.is_string() || (status != "ok" && status != "no_result"))
        return fail(0, fmt::format("ThreatFox API response with query_status {}: no data", status.dump()));
      auto data = doc.find("data");
      if (status == "no_result") return result;
      if (data == doc.end() || !data->is_array()) return fail(0, "ThreatFox API response without a \"data\" array");
      for (const json& e : *data)
        if (auto why = read_entry(e, ++index, result.feed); !why.empty()) return fail(index, std::move(why));
      return result;
    }
    for (const auto& [id, entries] : doc.items()) {
      // The export is keyed by numeric IoC ids; anything else is another document.
      bool numeric = !id.empty();
      for (char c : id) numeric = numeric && c >= '0' && c <= '9';
      if (!numeric) return fail(0, fmt::format("not a ThreatFox export: key \"{}\" is not an IoC id", id));
      if (!entries.is_array()) return fail(0, fmt::format("not a ThreatFox export: \"{}\" does not hold an array", id));
      for (const json& e : entries)
        if (auto why = read_entry(e, ++index, result.feed); !why.empty()) return fail(index, std::move(why));
    }
  } catch (const std::exception& e) {
    return fail(0, fmt::format("unexpected JSON structure: {}", without_exception_id(e.what())));
  }
  return result;
}

}  // namespace iocgate
