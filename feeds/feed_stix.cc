// feeds/feed_stix.cc — STIX 2.1 bundles: indicators whose patterns compare network
// observables for equality. Everything else is counted in `skipped`, never enforced by guess.
#include <ctime>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "feeds/feed_parser.h"
#include "feeds/feed_reader.h"
#include "feeds/ioc_value.h"
#include "feeds/ip_prefix.h"
#include "feeds/rfc3339_time.h"
#include "feeds/stix_pattern.h"
#include "feeds/url_host.h"

namespace iocgate {
namespace {

using nlohmann::json;

bool is_network_type(std::string_view t) {
  return t == "ipv4-addr" || t == "ipv6-addr" || t == "domain-name" || t == "url";
}

// The IoC for one `<type>:value = '<value>'` comparison, or nullopt with `error`.
std::optional<Ioc> comparison_ioc(const StixComparison& c, std::string& error, bool* as_address) {
  if (c.object_type == "domain-name") {
    // Real bundles (Amnesty's NoviSpy) put IP literals in domain-name: the address is
    // unambiguous, so it is taken as one (and noted) rather than refusing the bundle.
    if (looks_like_ip(c.value) && c.value.find('/') == std::string::npos) {
      if (auto p = parse_ip_prefix(c.value, error)) {
        *as_address = true;
        return ioc_from_prefix(*p, IocForm::kAddress);
      }
    }
    return domain_ioc(c.value, error);
  }
  if (c.object_type == "url") return ioc_from_url(c.value, false, error);
  auto ioc = prefix_ioc(c.value, error);
  if (!ioc) return std::nullopt;
  IocKind want = c.object_type == "ipv4-addr" ? IocKind::kIpv4 : IocKind::kIpv6;
  if (ioc->kind != want) {
    error = fmt::format("{} value '{}' is an {} address", c.object_type, c.value,
                        ioc->kind == IocKind::kIpv4 ? "IPv4" : "IPv6");
    return std::nullopt;
  }
  return ioc;
}

std::string not_a_bundle_reason(const json& doc) {
  if (!doc.is_object()) return "not a STIX 2.1 bundle: the JSON top level is not an object";
  if (doc.contains("Event") || doc.contains("response"))
    return "not a STIX 2.1 bundle: this is a MISP JSON event; read it with --format misp-json";
  if (doc.contains("type") && doc["type"].is_string() && doc["type"].get_ref<const std::string&>() != "bundle")
    return fmt::format("not a STIX 2.1 bundle: top-level \"type\" is \"{}\", expected \"bundle\"",
                       doc["type"].get_ref<const std::string&>());
  // Name what the document holds, so the operator sees it is the wrong file, not a bad feed.
  std::string keys;
  size_t n = 0;
  for (auto it = doc.begin(); it != doc.end() && n < 5; ++it, ++n) keys += (n ? ", " : "") + it.key();
  if (doc.size() > n) keys += ", ...";
  return fmt::format("JSON of an unknown schema (top-level keys: {}): not a STIX 2.1 bundle, MISP event, "
                     "ThreatFox export or Spamhaus JSON list", keys.empty() ? "none" : keys);
}

// Parses one indicator into `feed`; returns an error reason (without FILE:LINE) or "".
std::string parse_indicator(const json& obj, uint32_t index, int64_t now, FeedReader& r) {
  std::string id = "indicator (no id)";
  if (auto it = obj.find("id"); it != obj.end() && it->is_string()) id = it->get<std::string>();
  if (auto it = obj.find("revoked"); it != obj.end() && it->is_boolean() && it->get<bool>()) {
    r.skip("revoked");
    return {};
  }
  // STIX 2.0 has no pattern_type: its patterns are STIX patterns.
  if (auto it = obj.find("pattern_type"); it != obj.end()) {
    if (!it->is_string()) return fmt::format("{}: pattern_type is not a string", id);
    const auto& pt = it->get_ref<const std::string&>();
    if (pt != "stix") {
      r.skip("pattern_type=" + pt);
      return {};
    }
  }
  auto pat = obj.find("pattern");
  if (pat == obj.end() || !pat->is_string()) return fmt::format("{}: no \"pattern\" string", id);
  int64_t valid_until = 0;
  if (auto it = obj.find("valid_until"); it != obj.end()) {
    std::optional<int64_t> t;
    if (it->is_string()) t = parse_rfc3339(it->get_ref<const std::string&>());
    if (!t) return fmt::format("{}: valid_until {} is not an RFC 3339 timestamp", id, it->dump());
    if (*t <= now) {
      r.skip("expired");
      return {};
    }
    valid_until = *t;
  }
  std::string label;
  if (auto it = obj.find("name"); it != obj.end() && it->is_string()) {
    label = it->get<std::string>();
  } else if (auto ls = obj.find("labels"); ls != obj.end() && ls->is_array() && !ls->empty() &&
             (*ls)[0].is_string()) {
    label = (*ls)[0].get<std::string>();
  }
  std::string error;
  auto pattern = parse_stix_pattern(pat->get_ref<const std::string&>(), error);
  if (!pattern) return fmt::format("{}: pattern: {}", id, error);
  bool any_network = false;
  for (const auto& c : pattern->comparisons) any_network = any_network || is_network_type(c.object_type);
  // Each reason counts once per indicator: `skipped` counts entries, not comparisons.
  std::set<std::string> reasons;
  if (any_network && !pattern->disjunction_only) {
    // Enforcing one side of an AND, or an observation qualified in time, would block
    // more than the indicator describes.
    reasons.insert("unsupported pattern");
  } else {
    for (const auto& c : pattern->comparisons) {
      if (!is_network_type(c.object_type)) {
        reasons.insert(c.object_type);
        continue;
      }
      if (c.property != "value" || c.op != "=" || !c.string_value) {
        reasons.insert("unsupported pattern");
        continue;
      }
      bool as_address = false;
      auto ioc = comparison_ioc(c, error, &as_address);
      if (!ioc) return fmt::format("{}: {}", id, error);
      if (as_address) r.note(fmt::format("{}: domain-name '{}' is an IP address; taken as an address", index, c.value));
      ioc->valid_until = valid_until;
      r.keep(std::move(*ioc), index, label);
    }
  }
  for (const auto& reason : reasons) r.skip(reason);
  return {};
}

}  // namespace

FeedParseResult parse_stix21(std::string_view content, const ParseOptions& opts) {
  FeedReader r(content, FeedFormat::kStix21, opts);
  r.read_json([&](const json& doc) {
    bool bundle = doc.is_object() && ((doc.contains("type") && doc["type"] == "bundle") || doc.contains("objects"));
    if (!bundle) return r.fail(0, not_a_bundle_reason(doc));
    auto objects = doc.find("objects");
    if (objects == doc.end()) return true;  // an empty bundle is a valid, empty feed
    if (!objects->is_array()) return r.fail(0, "\"objects\" is not an array");
    const int64_t now = opts.now_unix != 0 ? opts.now_unix : static_cast<int64_t>(std::time(nullptr));
    uint32_t index = 0;
    for (const json& obj : *objects) {
      ++index;
      if (!obj.is_object()) return r.fail(index, "object is not a JSON object");
      auto type = obj.find("type");
      if (type == obj.end() || !type->is_string()) return r.fail(index, "object has no \"type\" string");
      const std::string& t = type->get_ref<const std::string&>();
      if (t != "indicator") {
        // Feed-level provenance: the first report names the advisory, the first
        // intrusion set, threat actor or campaign names the group.
        auto name = obj.find("name");
        if (name == obj.end() || !name->is_string()) continue;
        if (t == "report" && r.feed().advisory.empty()) r.feed().advisory = name->get<std::string>();
        if ((t == "intrusion-set" || t == "threat-actor" || t == "campaign") && r.feed().group.empty())
          r.feed().group = name->get<std::string>();
        continue;
      }
      std::string error = parse_indicator(obj, index, now, r);
      if (!error.empty()) return r.fail(index, std::move(error));
    }
    return true;
  });
  return r.finish();
}

}  // namespace iocgate
