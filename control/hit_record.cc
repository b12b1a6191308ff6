// control/hit_record.cc — merging records and their JSON line, both schemas.

#include "control/hit_record.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace iocgate {

namespace {

using nlohmann::json;

// A store line is small (a few hundred bytes); anything far larger is damage, and reading it
// must not cost memory in proportion.
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kMaxFieldBytes = 4096;

// Typed reads that never throw: absent is the default, a wrong type is damage.
bool get(const json& j, const char* k, std::string* out) {
  const auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_string()) return false;
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxFieldBytes) return false;
  *out = s;
  return true;
}
bool get(const json& j, const char* k, uint64_t* out) {
  const auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) return false;
  *out = it->get<uint64_t>();
  return true;
}
bool get(const json& j, const char* k, int64_t* out) {
  const auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_number_integer()) return false;
  if (it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
  *out = it->get<int64_t>();
  return true;
}
template <class U>
bool get_small(const json& j, const char* k, U* out) {
  uint64_t v = *out;
  if (!get(j, k, &v) || v > std::numeric_limits<U>::max()) return false;
  *out = static_cast<U>(v);
  return true;
}
bool get(const json& j, const char* k, bool* out) {
  const auto it = j.find(k);
  if (it == j.end()) return true;
  if (!it->is_boolean()) return false;
  *out = it->get<bool>();
  return true;
}

void put(json& j, const char* k, const std::string& v) {
  if (!v.empty()) j[k] = v;
}

bool same_listing(const HitListing& a, const std::string& feed) { return a.feed == feed; }

}  // namespace

void HitRecord::merge(const HitRecord& o) {
  first_ms = first_ms == 0 ? o.first_ms : (o.first_ms == 0 ? first_ms : std::min(first_ms, o.first_ms));
  last_ms = std::max(last_ms, o.last_ms);
  flows += o.flows;
  packets += o.packets;
  ioc_is_host = ioc_is_host || o.ioc_is_host;
  if (role.empty()) role = o.role;
  if (advisory.empty()) advisory = o.advisory;
  if (group.empty()) group = o.group;
  if (line == 0) line = o.line;
  schema = std::max(schema, o.schema);
  // A table published in between may list the IoC in one more feed: the union, once per feed.
  for (const HitListing& l : o.also) {
    if (l.feed == feed || also.size() >= kMaxAlso) continue;
    if (std::none_of(also.begin(), also.end(), [&](const HitListing& a) { return same_listing(a, l.feed); }))
      also.push_back(l);
  }
}

void HitRecord::fold_variant() {
  seen.clear();
  peer = "*";
  port = 0;
  proto.clear();
}

bool HitRecord::infected() const {
  if (schema >= 2) return role == "infected";
  return ioc_is_host && is_botnet_feed(feed, group);
}

std::vector<HitListing> HitRecord::listings() const {
  std::vector<HitListing> v;
  v.reserve(also.size() + 1);
  v.push_back({feed, advisory, group, action, line});
  v.insert(v.end(), also.begin(), also.end());
  return v;
}

bool HitRecord::listed_by(const std::string& f) const {
  return feed == f || std::any_of(also.begin(), also.end(), [&](const HitListing& l) { return l.feed == f; });
}

std::string encode_hit_line(const HitRecord& r) {
  // Empty and zero fields are left out: the store writes a line per active key every 2 s.
  json j = {{"v", r.schema >= 2 ? 2 : 1}, {"host", r.host}, {"ioc", r.ioc}, {"kind", r.kind}, {"feed", r.feed}};
  put(j, "advisory", r.advisory);
  put(j, "group", r.group);
  if (r.line != 0) j["line"] = r.line;
  if (!r.also.empty()) {
    json a = json::array();
    for (const HitListing& l : r.also) {
      json e = {{"feed", l.feed}};
      put(e, "advisory", l.advisory);
      put(e, "group", l.group);
      put(e, "action", l.action);
      if (l.line != 0) e["line"] = l.line;
      a.push_back(std::move(e));
    }
    j["also"] = std::move(a);
  }
  put(j, "action", r.action);
  put(j, "seen", r.seen);
  put(j, "peer", r.peer);
  if (r.port != 0) j["port"] = r.port;
  put(j, "proto", r.proto);
  put(j, "direction", r.direction);
  if (r.ioc_is_host) j["ioc_is_host"] = true;
  put(j, "role", r.role);
  if (r.first_ms != 0) j["first_ms"] = r.first_ms;
  j["last_ms"] = r.last_ms;
  if (r.flows != 0) j["flows"] = r.flows;
  if (r.packets != 0) j["packets"] = r.packets;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool decode_hit_line(std::string_view text, HitRecord* out) {
  if (text.size() > kMaxLineBytes) return false;
  const json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  HitRecord r;
  uint64_t v = 1;
  if (!get(j, "v", &v) || v < 1 || v > 2) return false;
  r.schema = static_cast<int>(v);
  bool ok = get(j, "host", &r.host) && get(j, "ioc", &r.ioc) && get(j, "kind", &r.kind) && get(j, "feed", &r.feed) &&
            get(j, "advisory", &r.advisory) && get(j, "group", &r.group) && get_small(j, "line", &r.line) &&
            get(j, "action", &r.action) && get(j, "seen", &r.seen) && get(j, "peer", &r.peer) &&
            get_small(j, "port", &r.port) && get(j, "proto", &r.proto) && get(j, "direction", &r.direction) &&
            get(j, "ioc_is_host", &r.ioc_is_host) && get(j, "role", &r.role) && get(j, "first_ms", &r.first_ms) &&
            get(j, "last_ms", &r.last_ms) && get(j, "flows", &r.flows) && get(j, "packets", &r.packets);
  if (!ok || r.host.empty() || r.first_ms < 0 || r.last_ms < 0) return false;
  if (const auto a = j.find("also"); a != j.end()) {
    if (!a->is_array() || a->size() > HitRecord::kMaxAlso) return false;
    for (const json& e : *a) {
      HitListing l;
      if (!e.is_object() || !get(e, "feed", &l.feed) || !get(e, "advisory", &l.advisory) ||
          !get(e, "group", &l.group) || !get(e, "action", &l.action) || !get_small(e, "line", &l.line))
        return false;
      r.also.push_back(std::move(l));
    }
  }
  *out = std::move(r);
  return true;
}

bool is_botnet_feed(const std::string& feed, const std::string& group) {
  auto has = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s.find("botnet") != std::string::npos;
  };
  return has(feed) || has(group);
}

std::string_view action_outcome(std::string_view action) {
  if (action == "drop" || action == "reject") return "blocked";
  if (action == "alert" || action == "mirror") return "alerted";
  if (action == "allow") return "allowed";
  return "";
}

}  // namespace iocgate
