// feeds/feed_misp_json.cc — MISP event JSON: {"Event":{...}} as exported, or the API's
// {"response":[{"Event":{...}}, ...]}. Attributes and objects' attributes, typed as in CSV.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/json_document.h"
#include "feeds/misp_attribute.h"

namespace iocgate {
namespace {

using nlohmann::json;

// MISP writes to_ids as a boolean, older exports as "0"/"1" strings or numbers.
std::optional<bool> to_ids_of(const json& attr) {
  auto it = attr.find("to_ids");
  if (it == attr.end()) return true;  // absent: MISP's default for network types is to enforce
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_number_integer()) {
    auto v = it->get<int64_t>();
    if (v == 0 || v == 1) return v == 1;
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (s == "1" || s == "true") return true;
    if (s == "0" || s == "false") return false;
  }
  return std::nullopt;
}

bool truthy(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return false;
  if (it->is_boolean()) return it->get<bool>();
  if (it->is_string()) return it->get_ref<const std::string&>() == "1" || it->get_ref<const std::string&>() == "true";
  return it->is_number_integer() && it->get<int64_t>() != 0;
}

// The group named by the event: a threat-actor galaxy cluster, else a galaxy tag
// 'misp-galaxy:threat-actor="APT32"'.
std::string event_group(const json& ev) {
  if (auto g = ev.find("Galaxy"); g != ev.end() && g->is_array()) {
    for (const json& galaxy : *g) {
      if (!galaxy.is_object() || json_string(galaxy, "type") != "threat-actor") continue;
      auto clusters = galaxy.find("GalaxyCluster");
      if (clusters == galaxy.end() || !clusters->is_array()) continue;
      for (const json& c : *clusters)
        if (c.is_object() && !json_string(c, "value").empty()) return json_string(c, "value");
    }
  }
  if (auto tags = ev.find("Tag"); tags != ev.end() && tags->is_array()) {
    constexpr std::string_view kPrefix = "misp-galaxy:threat-actor=\"";
    for (const json& t : *tags) {
      if (!t.is_object()) continue;
      std::string name = json_string(t, "name");
      if (name.starts_with(kPrefix) && name.size() > kPrefix.size() + 1 && name.back() == '"')
        return name.substr(kPrefix.size(), name.size() - kPrefix.size() - 1);
    }
  }
  return {};
}

// Finds the line of an attribute by its uuid, searching on from the previous attribute
// (the document order), so provenance can say "line 37" instead of "attribute 12".
class LineFinder {
 public:
  explicit LineFinder(std::string_view s) : s_(s) {}
  uint32_t line_of(const std::string& uuid, uint32_t fallback) {
    if (uuid.empty()) return fallback;
    std::string needle = "\"" + uuid + "\"";
    size_t at = s_.find(needle, from_);
    if (at == std::string_view::npos) {
      at = s_.find(needle);
      if (at == std::string_view::npos) return fallback;
      from_ = 0;
      line_ = 1;
    }
    line_ += static_cast<uint32_t>(std::count(s_.begin() + static_cast<std::ptrdiff_t>(from_),
                                              s_.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
    from_ = at;
    return line_;
  }

 private:
  std::string_view s_;
  size_t from_ = 0;
  uint32_t line_ = 1;
};

struct EventReader {
  FeedReader& r;
  LineFinder lines;
  uint32_t index = 0;  // attributes seen, 1-based: the fallback "line"

  // Returns an error reason (with its line set in *line) or "".
  std::string attribute(const json& attr, const std::string& object_label, uint32_t* line) {
    ++index;
    *line = index;
    if (!attr.is_object()) return fmt::format("attribute {} is not a JSON object", index);
    *line = lines.line_of(json_string(attr, "uuid"), index);
    std::string type = json_string(attr, "type");
    auto value = attr.find("value");
    if (type.empty() || value == attr.end() || !value->is_string())
      return fmt::format("attribute {} has no \"type\" and \"value\" strings", index);
    if (truthy(attr, "deleted")) {
      r.skip("deleted");
      return {};
    }
    auto to_ids = to_ids_of(attr);
    if (!to_ids) return fmt::format("{} attribute: to_ids is {}, expected true or false", type, attr["to_ids"].dump());
    if (!*to_ids && !r.options().include_not_for_ids) {
      r.skip("to_ids=0");
      return {};
    }
    std::vector<Ioc> iocs;
    bool skip = false;
    std::string error;
    if (!misp_attribute_iocs(type, value->get_ref<const std::string&>(), iocs, skip, error))
      return fmt::format("{}: {}", type, error);
    if (skip) {
      r.skip(type);
      return {};
    }
    std::string label = json_string(attr, "comment");
    if (label.empty()) label = object_label;
    if (!*to_ids) r.feed().not_for_ids += iocs.size();
    for (Ioc& ioc : iocs) r.keep(std::move(ioc), *line, label);
    return {};
  }

  std::string event(const json& ev, uint32_t* line) {
    *line = 0;
    if (!ev.is_object()) return "\"Event\" is not a JSON object";
    ParsedFeed& feed = r.feed();
    if (feed.advisory.empty()) feed.advisory = json_string(ev, "info");
    if (feed.group.empty()) feed.group = event_group(ev);
    if (auto attrs = ev.find("Attribute"); attrs != ev.end()) {
      if (!attrs->is_array()) return "Event.Attribute is not an array";
      for (const json& a : *attrs)
        if (auto e = attribute(a, {}, line); !e.empty()) return e;
    }
    if (auto objects = ev.find("Object"); objects != ev.end()) {
      if (!objects->is_array()) return "Event.Object is not an array";
      for (const json& o : *objects) {
        if (!o.is_object()) return "an Event.Object entry is not a JSON object";
        std::string label = json_string(o, "comment");
        if (label.empty()) label = json_string(o, "name");
        auto attrs = o.find("Attribute");
        if (attrs == o.end()) continue;
        if (!attrs->is_array()) return fmt::format("Object '{}': Attribute is not an array", json_string(o, "name"));
        for (const json& a : *attrs)
          if (auto e = attribute(a, label, line); !e.empty()) return e;
      }
    }
    return {};
  }
};

}  // namespace

FeedParseResult parse_misp_json(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kMispJson, opts);
  r.read_json([&](const json& doc) {
    EventReader reader{r, LineFinder(r.content())};
    std::vector<const json*> events;
    if (doc.is_object() && doc.contains("Event")) {
      events.push_back(&doc["Event"]);
    } else if (doc.is_object() && doc.contains("response") && doc["response"].is_array()) {
      for (const json& resp : doc["response"]) {
        if (!resp.is_object() || !resp.contains("Event")) return r.fail(0, "a \"response\" entry has no \"Event\"");
        events.push_back(&resp["Event"]);
      }
    } else {
      return r.fail(0, "not a MISP event: expected {\"Event\": {...}} or {\"response\": [{\"Event\": {...}}]}");
    }
    if (events.empty()) return r.fail(0, "the MISP response holds no event");
    for (const json* ev : events) {
      uint32_t line = 0;
      if (std::string e = reader.event(*ev, &line); !e.empty()) return r.fail(line, std::move(e));
    }
    return true;
  });
  return r.finish();
}

}  // namespace iocgate
