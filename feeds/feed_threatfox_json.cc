// feeds/feed_threatfox_json.cc — ThreatFox JSON: the export ({"<id>": [{"ioc_value":...,
// "ioc_type":...}], ...}) and the API response ({"query_status":"ok","data":[{"ioc":...}]}).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_value.h"
#include "feeds/json_document.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

using nlohmann::json;

// Returns an error reason or "".
std::string read_entry(const json& e, uint32_t index, FeedReader& r) {
  if (!e.is_object()) return fmt::format("entry {} is not a JSON object", index);
  std::string type = json_string(e, "ioc_type");
  std::string value = e.contains("ioc_value") ? json_string(e, "ioc_value") : json_string(e, "ioc");
  if (type.empty() || value.empty()) return fmt::format("entry {} has no \"ioc_type\" and \"ioc_value\" (or \"ioc\")", index);
  std::string error;
  std::optional<Ioc> ioc;
  if (type == "ip:port") {
    ioc = address_port_ioc(value, error);
  } else if (type == "domain") {
    ioc = domain_ioc(value, error);
  } else if (type == "url") {
    ioc = ioc_from_url(value, false, error);
  } else {
    r.skip(type);
    return {};
  }
  if (!ioc) return fmt::format("{}: {}", type, error);
  r.keep(std::move(*ioc), index, json_string(e, "malware_printable"));
  return {};
}

}  // namespace

FeedParseResult parse_threatfox_json(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kThreatfoxJson, opts);
  r.feed().advisory = "abuse.ch ThreatFox";
  r.read_json([&](const json& doc) {
    if (!doc.is_object()) return r.fail(0, "not a ThreatFox export: the JSON top level is not an object");
    uint32_t index = 0;
    if (doc.contains("query_status")) {
      const json& status = doc["query_status"];
      if (!status.is_string() || (status != "ok" && status != "no_result"))
        return r.fail(0, fmt::format("ThreatFox API response with query_status {}: no data", status.dump()));
      if (status == "no_result") return true;
      auto data = doc.find("data");
      if (data == doc.end() || !data->is_array()) return r.fail(0, "ThreatFox API response without a \"data\" array");
      for (const json& e : *data)
        if (auto why = read_entry(e, ++index, r); !why.empty()) return r.fail(index, std::move(why));
      return true;
    }
    for (const auto& [id, entries] : doc.items()) {
      // The export is keyed by numeric IoC ids; anything else is another document.
      bool numeric = !id.empty();
      for (char c : id) numeric = numeric && c >= '0' && c <= '9';
      if (!numeric) return r.fail(0, fmt::format("not a ThreatFox export: key \"{}\" is not an IoC id", id));
      if (!entries.is_array()) return r.fail(0, fmt::format("not a ThreatFox export: \"{}\" does not hold an array", id));
      for (const json& e : entries)
        if (auto why = read_entry(e, ++index, r); !why.empty()) return r.fail(index, std::move(why));
    }
    return true;
  });
  return r.finish();
}

}  // namespace iocgate
