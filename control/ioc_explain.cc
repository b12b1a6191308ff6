// control/ioc_explain.cc — covering entries by exact probes of every present length or suffix.

#include "control/ioc_explain.h"

#include <arpa/inet.h>

#include <cstring>
#include <fmt/format.h>

#include "feeds/feed_parser.h"
#include "feeds/ioc_text.h"
#include "shm/event_text.h"

namespace iocgate {

using nlohmann::json;

Result<Ioc> read_explain_value(const std::string& value) {
  ParseOptions opts;
  opts.file_name = "VALUE";
  opts.format = FeedFormat::kPlain;
  FeedParseResult r = parse_feed(value + "\n", opts);
  if (!r.ok()) return Status::error("'" + value + "': " + r.error->reason);
  if (r.feed.iocs.empty())
    return Status::error("'" + value + "' is not an address, prefix, domain or URL an IoC table can hold");
  return r.feed.iocs.front();
}

std::string line_text(std::string_view content, uint32_t line) {
  if (line == 0) return "";
  size_t at = 0;
  for (uint32_t l = 1; l < line; ++l) {
    const void* nl = std::memchr(content.data() + at, '\n', content.size() - at);
    if (nl == nullptr) return "";
    at = static_cast<const char*>(nl) - content.data() + 1;
  }
  size_t end = content.find('\n', at);
  if (end == std::string_view::npos) end = content.size();
  std::string_view t = content.substr(at, end - at);
  while (!t.empty() && (t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  if (t.size() > 300) return std::string(t.substr(0, 300)) + "…";
  return std::string(t);
}

namespace {

// Every listing of a record, the deciding one first.
json listings_of(const table::IocTableView& view, uint32_t record, const FeedStore& store, int64_t now,
                 const std::string& entry) {
  json out = json::array();
  auto add = [&](uint32_t feed, uint32_t line, bool decides) {
    if (feed >= view.feed_count()) return;
    const table::FeedRecord& fr = view.feed(feed);
    const std::string name = view.string_at(fr.name_off);
    json j = {{"entry", entry},
              {"feed", name},
              {"line", line},
              {"advisory", view.string_at(fr.advisory_off)},
              {"group", view.string_at(fr.group_off)},
              {"action", table::action_name(static_cast<table::Action>(fr.action))},
              {"role", (fr.flags & table::kFeedInfectedHosts) != 0 ? "infected" : "block"},
              {"decides", decides}};
    if (const StoredFeed* f = store.find(name)) {
      j["expires_unix"] = f->expires_unix;
      j["expired"] = f->expired(now);
      if (!f->degraded.empty()) j["degraded"] = true;
      // The entry as written in the file the operator pushed (text formats), and its label.
      if (!f->content.empty()) {
        std::string written = line_text(f->content, line);
        if (!written.empty() && f->options.format != FeedFormat::kPdf && f->options.format != FeedFormat::kXlsx &&
            f->options.format != FeedFormat::kDocx)
          j["written"] = written;
      }
      for (const Ioc& i : f->parsed.iocs)
        if (i.line == line && ioc_text(i) == entry) {
          if (!i.label.empty()) j["label"] = i.label;
          if (i.valid_until != 0) j["valid_until_unix"] = i.valid_until;
          break;
        }
    }
    out.push_back(std::move(j));
  };
  const table::MatchRecord& r = view.record(record);
  add(r.feed, r.line, true);
  for (auto [l, end] = view.more_listings(record); l != end; ++l) add(l->feed, l->line, false);
  return out;
}

std::string prefix_text(const Ioc& base, uint32_t len) {
  Ioc c = base;
  c.prefix_len = static_cast<uint8_t>(len);
  c.form = (len == (base.kind == IocKind::kIpv4 ? 32u : 128u)) ? IocForm::kAddress : IocForm::kCidr;
  const uint32_t bytes = base.kind == IocKind::kIpv4 ? 4 : 16;
  for (uint32_t i = 0; i < bytes; ++i) {
    const uint32_t keep = len > i * 8 ? std::min<uint32_t>(8, len - i * 8) : 0;
    c.addr[i] = keep == 8 ? c.addr[i] : static_cast<uint8_t>(c.addr[i] & (0xff00u >> keep));
  }
  return ioc_text(c);
}

}  // namespace

json explain_ioc(const Ioc& q, const std::string& value, const table::IocTableView& view, uint64_t generation,
                 const FeedStore& store, int64_t now) {
  json covering = json::array();
  table::Match verdict;
  std::string verdict_entry;
  if (!view.empty()) {
    const table::Header& h = view.header();
    if (q.kind == IocKind::kIpv4) {
      const uint32_t addr = (uint32_t{q.addr[0]} << 24) | (uint32_t{q.addr[1]} << 16) | (uint32_t{q.addr[2]} << 8) |
                            q.addr[3];
      verdict = view.lookup_v4(addr);
      for (int len = q.prefix_len; len >= 0; --len) {
        if (h.v4_by_len[len].capacity == 0) continue;
        const uint32_t key = len == 0 ? 0 : addr & (~0u << (32 - len));
        const table::Match m = view.find_v4(key, static_cast<uint32_t>(len));
        if (!m.hit()) continue;
        const std::string entry = prefix_text(q, static_cast<uint32_t>(len));
        if (verdict.hit() && m.record() == verdict.record()) verdict_entry = entry;
        for (json& l : listings_of(view, m.record(), store, now, entry)) covering.push_back(std::move(l));
      }
    } else if (q.kind == IocKind::kIpv6) {
      verdict = view.lookup_v6(q.addr.data());
      for (int len = q.prefix_len; len >= 0; --len) {
        if (h.v6_by_len[len].capacity == 0) continue;
        const table::Match m = view.find_v6(q.addr.data(), static_cast<uint32_t>(len));
        if (!m.hit()) continue;
        const std::string entry = prefix_text(q, static_cast<uint32_t>(len));
        if (verdict.hit() && m.record() == verdict.record()) verdict_entry = entry;
        for (json& l : listings_of(view, m.record(), store, now, entry)) covering.push_back(std::move(l));
      }
    } else {
      const std::string& n = q.domain;
      verdict = view.lookup_domain(n.data(), n.size());
      // Every label-boundary suffix, most specific first: the name itself, then its parents.
      for (size_t at = 0;;) {
        const table::Match m = view.find_domain(n.data() + at, n.size() - at);
        if (m.hit()) {
          const std::string entry = n.substr(at);
          if (verdict.hit() && m.record() == verdict.record()) verdict_entry = entry;
          for (json& l : listings_of(view, m.record(), store, now, entry)) covering.push_back(std::move(l));
        }
        const size_t dot = n.find('.', at);
        if (dot == std::string::npos) break;
        at = dot + 1;
      }
    }
  }
  json j = {{"ok", true},
            {"value", value},
            {"read_as", ioc_text(q)},
            {"kind", q.kind == IocKind::kIpv4 ? "ipv4" : q.kind == IocKind::kIpv6 ? "ipv6" : "domain"},
            {"generation", generation},
            {"covering", covering}};
  if (verdict.hit()) {
    const table::Action a = verdict.action();
    j["verdict"] = {{"action", table::action_name(a)},
                    {"entry", verdict_entry},
                    {"why", a == table::Action::kAllow
                                ? "an allowlist entry covers it: it passes, whatever else lists it"
                                : verdict_entry == ioc_text(q) ? "listed as such"
                                                               : "covered by " + verdict_entry +
                                                                     (q.kind == IocKind::kDomain ? " (a parent domain)"
                                                                                                 : " (a shorter prefix)")}};
  } else {
    j["verdict"] = {{"action", "none"}, {"why", view.empty() ? "no table is in force" : "no entry covers it: it passes"}};
  }
  return j;
}

}  // namespace iocgate
