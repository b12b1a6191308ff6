// control/review_report.cc — from store lines to the report's data: contacts merged per key,
// hosts classified and ranked, summaries per advisory, group and feed, and the timeline.

#include "control/review_report.h"

#include <algorithm>
#include <climits>
#include <ctime>
#include <map>
#include <set>

#include "control/beacon_detector.h"

namespace iocgate {

namespace {

using nlohmann::json;

constexpr int64_t kHourMs = 3600000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr size_t kMaxBins = 96;

std::string utc(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int64_t time_of(const HitRecord& r) { return r.first_ms != 0 ? r.first_ms : r.last_ms; }

// The timeline's bins: the smallest step of the ladder that shows the period in at most
// kMaxBins bars, starting on a boundary of the report's offset (local midnight for days,
// Monday for weeks).
struct Axis {
  int64_t start_ms = 0, bin_ms = kHourMs;
  size_t bins = 1;

  Axis(int64_t since, int64_t until, int offset_min) {
    static constexpr int64_t kMinMs = 60000;
    static constexpr int64_t kLadder[] = {kMinMs,      5 * kMinMs,  10 * kMinMs, 15 * kMinMs, 30 * kMinMs,
                                          kHourMs,     3 * kHourMs, 6 * kHourMs, 12 * kHourMs, kDayMs,
                                          7 * kDayMs, 30 * kDayMs, 365 * kDayMs};
    const int64_t off = int64_t{offset_min} * 60000;
    for (int64_t b : kLadder) {
      bin_ms = b;
      const int64_t anchor = b == 7 * kDayMs ? 4 * kDayMs : 0;  // 1970-01-05 was a Monday
      const int64_t local = since + off - anchor;
      const int64_t floored = (local >= 0 ? local / b : (local - b + 1) / b) * b;
      start_ms = floored + anchor - off;
      const int64_t span = std::max<int64_t>(1, until - start_ms);
      bins = static_cast<size_t>((span + b - 1) / b);
      if (bins <= kMaxBins) break;
    }
    bins = std::clamp<size_t>(bins, 1, 4 * kMaxBins);
  }
  size_t index(int64_t t) const {
    if (t <= start_ms) return 0;
    return std::min(bins - 1, static_cast<size_t>((t - start_ms) / bin_ms));
  }
};

struct Flows {
  uint64_t flows = 0, packets = 0, blocked = 0, alerted = 0, allowed = 0;
  void add(const HitRecord& r) {
    flows += r.flows;
    packets += r.packets;
    const std::string_view o = action_outcome(r.action);
    if (o == "blocked") blocked += r.flows;
    else if (o == "alerted") alerted += r.flows;
    else if (o == "allowed") allowed += r.flows;
  }
};

struct Contact {
  HitRecord r;
  bool folded = false;  // "other contacts" of a host, past kMaxContacts
};

struct Bin {
  uint64_t flows = 0, blocked = 0, alerted = 0;
};

// Host classes, in the order hosts are cleaned.
enum class HostClass { kInfected, kBeaconing, kOneOff, kAllowed };
const char* class_name(HostClass c) {
  switch (c) {
    case HostClass::kInfected: return "infected";
    case HostClass::kBeaconing: return "beaconing";
    case HostClass::kOneOff: return "one-off";
    case HostClass::kAllowed: return "allowed";
  }
  return "?";
}

struct Host {
  std::string name;
  std::vector<const Contact*> contacts;
  Flows f;
  std::set<std::string> iocs;
  int64_t first = INT64_MAX, last = 0;
  std::map<size_t, Bin> bins;
  HostClass cls = HostClass::kOneOff;
  bool infected = false, beaconing = false;
  json reasons = json::array();
  // The strongest beacon: regular first, then by hours and contacts.
  int64_t beacon_interval_ms = 0;
  uint64_t beacon_hours = 0, beacon_contacts = 0;
};

struct Summary {
  std::string name;
  std::set<std::string> hosts, hosts_alerted, iocs, feeds, advisories, groups;
  Flows f;
  bool removed = false;
};

// Everything the lines give, before the ranking. Hosts, summaries, totals and the timeline
// add up per line, so they stay exact when the detail rows are bounded.
class Accumulator {
 public:
  // A report is read by a person and sent in one reply: past these, lines still count in
  // the totals, the summaries' flows and the timeline, and the report says what it left out.
  static constexpr size_t kMaxHosts = 20000;     // inbound-only hosts (a scan) get half
  static constexpr size_t kMaxContacts = 50000;  // detail rows; the rest fold per host

  Accumulator(const ReportQuery& q, const HostFilter& hosts)
      : q_(q), filter_(hosts), axis_(q.since_ms, q.until_ms, q.utc_offset_minutes), global_(axis_.bins) {}

  void add(const HitRecord& line) {
    if (line.direction == "external") return;  // neither end is ours: not a host to review
    if (!filter_.empty() && !filter_.contains(line.host)) return;
    const std::vector<HitListing> listings = matching_listings(line, q_);
    if (listings.empty()) return;
    HitRecord r = line;
    // A summary line (packets of a flow that began earlier) counts as seen at its time.
    if (r.first_ms == 0) r.first_ms = r.last_ms;
    const std::string_view outcome = action_outcome(r.action);
    total_.add(r);
    // The sets of hosts and IoCs only change with a contact not seen before (or one whose
    // other listings may have grown): a known contact's line only adds counts.
    const bool fresh = !r.also.empty() || contacts_.find(r.key()) == contacts_.end();
    if (fresh) all_iocs_.insert(r.ioc);
    if (r.flows != 0) bin(global_[axis_.index(r.first_ms)], r, outcome);

    auto h = hosts_.find(r.host);
    if (h == hosts_.end()) {
      const bool scan = r.direction == "inbound" && !r.infected();
      if (hosts_.size() >= (scan ? kMaxHosts / 2 : kMaxHosts)) {
        ++over_lines_;
        over_.add(r);
        summarize(r, listings, outcome, false, true);
        return;
      }
      h = hosts_.emplace(r.host, Host{}).first;
      h->second.name = r.host;
    }
    Host& host = h->second;
    host.f.add(r);
    if (fresh) host.iocs.insert(r.ioc);
    host.first = std::min(host.first, r.first_ms);
    host.last = std::max(host.last, r.last_ms);
    if (r.flows != 0) bin(host.bins[axis_.index(r.first_ms)], r, outcome);
    if (r.infected() && !host.infected) {
      host.infected = true;
      host.reasons.push_back({{"kind", "infected"}, {"feed", r.feed}, {"ioc", r.ioc},
                              {"rule", r.schema >= 2 ? "watch-list" : "botnet-name"}});
    }
    if (outcome == "alerted" && r.flows != 0) hosts_alerted_.insert(r.host);
    summarize(r, listings, outcome, true, fresh);
    contact(r, outcome);
  }

  static void bin(Bin& b, const HitRecord& r, std::string_view outcome) {
    b.flows += r.flows;
    b.blocked += outcome == "blocked" ? r.flows : 0;
    b.alerted += outcome == "alerted" ? r.flows : 0;
  }

  // Each listing the filter keeps puts the line under its advisory, group and feed (once per
  // name), and links those three to each other.
  void summarize(const HitRecord& r, const std::vector<HitListing>& ls, std::string_view outcome, bool tracked,
                 bool fresh) {
    std::vector<std::pair<const std::map<std::string, Summary>*, const std::string*>> counted;
    for (const HitListing& l : ls) {
      for (auto [m, name] : {std::pair{&by_advisory_, &l.advisory}, {&by_group_, &l.group}, {&by_feed_, &l.feed}}) {
        if (std::any_of(counted.begin(), counted.end(), [&](const auto& c) { return c.first == m && *c.second == *name; }))
          continue;
        counted.emplace_back(m, name);
        auto it = m->find(*name);
        if (it == m->end()) {
          it = m->emplace(*name, Summary{}).first;
          it->second.name = *name;
        }
        Summary& s = it->second;
        s.f.add(r);
        if (outcome == "alerted" && r.flows != 0 && tracked) s.hosts_alerted.insert(r.host);
        if (!fresh) continue;
        for (const HitListing& x : ls) {
          if (m == &by_advisory_ ? x.advisory != *name : m == &by_group_ ? x.group != *name : x.feed != *name) continue;
          if (m != &by_feed_) s.feeds.insert(x.feed);
          if (m != &by_advisory_ && !x.advisory.empty()) s.advisories.insert(x.advisory);
          if (m != &by_group_ && !x.group.empty()) s.groups.insert(x.group);
        }
        if (tracked) s.hosts.insert(r.host);
        s.iocs.insert(r.ioc);
      }
    }
  }

  void contact(HitRecord r, std::string_view outcome) {
    bool folded = false;
    if (contacts_.find(r.key()) == contacts_.end()) {
      // Peers beyond the limit of one contact fold into one row, as the store does.
      size_t& n = variants_[r.contact_key()];
      if (n >= HitRecord::kMaxVariants) r.fold_variant();
      if (contacts_.find(r.key()) == contacts_.end()) {
        if (contacts_.size() >= kMaxContacts) {
          ++folded_lines_;
          fold_contact(r);
          folded = true;
        } else {
          ++n;
        }
      }
    }
    auto [it, created] = contacts_.try_emplace(r.key(), Contact{r, folded});
    if (!created) it->second.r.merge(r);
    // Calling home is what the host does: flows a listed peer opened to it, flows an
    // allowlist let through, and flows of a host listed itself (infected says more) are not.
    if (r.flows != 0 && !it->second.folded && r.direction != "inbound" && outcome != "allowed" && !r.ioc_is_host)
      beacons_[{r.host, r.ioc}].add(r.first_ms);
  }

  // One "other contacts" row per host, direction and action.
  static void fold_contact(HitRecord& r) {
    r.ioc = "*";
    r.kind.clear();
    r.feed.clear();
    r.advisory.clear();
    r.group.clear();
    r.line = 0;
    r.also.clear();
    r.seen.clear();
    r.peer.clear();
    r.port = 0;
    r.proto.clear();
  }

  const ReportQuery& q_;
  const HostFilter& filter_;
  Axis axis_;
  std::vector<Bin> global_;
  std::map<std::string, Host> hosts_;
  std::map<std::string, Summary> by_advisory_, by_group_, by_feed_;
  Flows total_, over_;
  std::set<std::string> all_iocs_, hosts_alerted_;
  uint64_t over_lines_ = 0, folded_lines_ = 0;
  std::map<HitKey, Contact> contacts_;
  std::map<ContactKey, size_t> variants_;
  std::map<std::pair<std::string, std::string>, BeaconDetector> beacons_;
};

json listing_json(const HitListing& l, bool decided, const std::set<std::string>& current, bool all_current) {
  json j = {{"feed", l.feed}, {"advisory", l.advisory}, {"group", l.group}, {"action", l.action},
            {"line", l.line}, {"decided", decided}};
  j["removed"] = !all_current && current.count(l.feed) == 0;
  return j;
}

json summary_json(const std::map<std::string, Summary>& m, const std::map<std::string, Host*>& hosts,
                  const char* key) {
  std::vector<const Summary*> v;
  for (const auto& [k, s] : m) v.push_back(&s);
  auto infected = [&](const Summary* s) {
    uint64_t n = 0;
    for (const std::string& h : s->hosts) n += hosts.at(h)->infected;
    return n;
  };
  std::vector<std::pair<uint64_t, const Summary*>> order;
  for (const Summary* s : v) order.emplace_back(infected(s), s);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    if (a.second->hosts.size() != b.second->hosts.size()) return a.second->hosts.size() > b.second->hosts.size();
    return a.second->f.flows > b.second->f.flows;
  });
  json out = json::array();
  for (const auto& [inf, s] : order) {
    json by_class = {{"infected", 0}, {"beaconing", 0}, {"one-off", 0}, {"allowed", 0}};
    for (const std::string& h : s->hosts) {
      json& n = by_class[class_name(hosts.at(h)->cls)];
      n = n.get<uint64_t>() + 1;
    }
    json j = {{key, s->name},
              {"hosts", s->hosts.size()},
              {"hosts_by_class", std::move(by_class)},
              {"infected_hosts", inf},
              {"hosts_alerted", s->hosts_alerted.size()},
              {"flows", s->f.flows},
              {"packets", s->f.packets},
              {"blocked_flows", s->f.blocked},
              {"alerted_flows", s->f.alerted},
              {"allowed_flows", s->f.allowed},
              {"iocs", s->iocs.size()}};
    if (std::string(key) != "feed") j["feeds"] = s->feeds;
    if (std::string(key) != "advisory") j["advisories"] = s->advisories;
    if (std::string(key) != "group") j["groups"] = s->groups;
    if (std::string(key) == "feed") j["removed"] = s->removed;
    out.push_back(std::move(j));
  }
  return out;
}

json finish(Accumulator& acc, const ReportQuery& q, const ReportCatalog& c, const HitScanStats& scanned,
            bool all_current) {
  std::set<std::string> current;
  for (const ReportCatalog::Feed& f : c.current) current.insert(f.name);

  std::map<std::string, Host>& hosts = acc.hosts_;
  for (const auto& [k, ct] : acc.contacts_) hosts.at(ct.r.host).contacts.push_back(&ct);
  for (const auto& [key, d] : acc.beacons_) {
    if (!d.repeated()) continue;
    Host& h = hosts[key.first];
    const int64_t iv = d.regular_interval_ms();
    const bool stronger = !h.beaconing || (iv != 0) > (h.beacon_interval_ms != 0) ||
                          ((iv != 0) == (h.beacon_interval_ms != 0) &&
                           std::pair(d.hours(), d.contacts()) > std::pair(h.beacon_hours, h.beacon_contacts));
    h.beaconing = true;
    if (!stronger) continue;
    h.beacon_interval_ms = iv;
    h.beacon_hours = d.hours();
    h.beacon_contacts = d.contacts();
    json r = {{"kind", "beaconing"}, {"ioc", key.second}, {"contacts", d.contacts()}, {"hours", d.hours()},
              {"interval_s", iv / 1000}};
    // One beaconing reason per host: the strongest replaces the one before.
    auto& rs = h.reasons;
    rs.erase(std::remove_if(rs.begin(), rs.end(), [](const json& x) { return x["kind"] == "beaconing"; }), rs.end());
    rs.push_back(std::move(r));
  }
  std::vector<Host*> order;
  std::map<std::string, Host*> by_name;
  for (auto& [name, h] : hosts) {
    const bool only_allowed = h.f.flows == h.f.allowed && h.f.allowed > 0;
    h.cls = h.infected ? HostClass::kInfected
            : h.beaconing ? HostClass::kBeaconing
            : only_allowed ? HostClass::kAllowed
                           : HostClass::kOneOff;
    if (h.cls == HostClass::kOneOff) h.reasons.push_back({{"kind", "one-off"}, {"flows", h.f.flows}, {"iocs", h.iocs.size()}});
    if (h.cls == HostClass::kAllowed) h.reasons.push_back({{"kind", "allowed"}, {"flows", h.f.flows}});
    order.push_back(&h);
    by_name[name] = &h;
  }
  // Within a class, hosts whose contacts went through (alert-only) before those blocked.
  std::stable_sort(order.begin(), order.end(), [](const Host* a, const Host* b) {
    if (a->cls != b->cls) return a->cls < b->cls;
    if (a->cls == HostClass::kBeaconing) {
      if ((a->beacon_interval_ms != 0) != (b->beacon_interval_ms != 0)) return a->beacon_interval_ms != 0;
      if (a->beacon_hours != b->beacon_hours) return a->beacon_hours > b->beacon_hours;
    }
    if ((a->f.alerted > 0) != (b->f.alerted > 0)) return a->f.alerted > 0;
    return a->f.flows > b->f.flows;
  });

  std::map<std::string, Summary>& by_advisory = acc.by_advisory_;
  std::map<std::string, Summary>& by_group = acc.by_group_;
  std::map<std::string, Summary>& by_feed = acc.by_feed_;
  const Flows& total = acc.total_;
  const std::set<std::string>& all_iocs = acc.all_iocs_;
  const std::set<std::string>& hosts_alerted = acc.hosts_alerted_;
  for (auto& [n, s] : by_feed) s.removed = !all_current && current.count(n) == 0;

  json out = {{"schema", 2},
              {"instance", q.instance},
              {"generated", utc(q.generated_ms)},
              {"generated_ms", q.generated_ms},
              {"since", utc(q.since_ms)},
              {"since_ms", q.since_ms},
              {"until", utc(q.until_ms)},
              {"until_ms", q.until_ms},
              {"utc_offset", format_utc_offset(q.utc_offset_minutes)},
              {"utc_offset_minutes", q.utc_offset_minutes},
              {"filters", {{"feeds", q.feeds}, {"advisories", q.advisories}, {"groups", q.groups}, {"hosts", q.hosts}}},
              {"feed", q.feeds.size() == 1 ? q.feeds[0] : ""},
              {"definitions",
               {{"contact_gap_s", BeaconDetector::kContactGapMs / 1000},
                {"beacon_min_hours", BeaconDetector::kMinHours},
                {"beacon_min_contacts", BeaconDetector::kMinContacts},
                {"beacon_regular_share", BeaconDetector::kRegularShare},
                {"beacon_spread", BeaconDetector::kSpread}}},
              {"store", {{"lines", scanned.lines}, {"damaged_lines", scanned.damaged}, {"files", scanned.files}}},
              {"limits",
               {{"max_hosts", Accumulator::kMaxHosts},
                {"max_contacts", Accumulator::kMaxContacts},
                {"lines_of_hosts_over_limit", acc.over_lines_},
                {"flows_of_hosts_over_limit", acc.over_.flows},
                {"lines_in_other_contacts", acc.folded_lines_}}}};

  json hl = json::array();
  uint64_t n_infected = 0, n_beaconing = 0, n_one_off = 0, n_allowed = 0;
  size_t rank = 0;
  for (Host* h : order) {
    n_infected += h->cls == HostClass::kInfected;
    n_beaconing += h->cls == HostClass::kBeaconing;
    n_one_off += h->cls == HostClass::kOneOff;
    n_allowed += h->cls == HostClass::kAllowed;
    std::sort(h->contacts.begin(), h->contacts.end(), [](const Contact* a, const Contact* b) {
      return std::tie(a->r.first_ms, a->r.ioc, a->r.peer) < std::tie(b->r.first_ms, b->r.ioc, b->r.peer);
    });
    json contacts = json::array();
    for (const Contact* ct : h->contacts) {
      const HitRecord& r = ct->r;
      json ls = json::array();
      const auto match = matching_listings(r, q);
      for (const HitListing& l : ct->folded ? std::vector<HitListing>{} : r.listings()) {
        json lj = listing_json(l, l.feed == r.feed, current, all_current);
        lj["matches_filter"] = std::any_of(match.begin(), match.end(), [&](const HitListing& m) { return m.feed == l.feed; });
        ls.push_back(std::move(lj));
      }
      contacts.push_back({{"folded", ct->folded},
                          {"ioc", r.ioc},
                          {"matched", r.kind},
                          {"seen", r.seen},
                          {"peer", r.peer},
                          {"port", r.port},
                          {"proto", r.proto},
                          {"action", r.action},
                          {"outcome", action_outcome(r.action)},
                          {"direction", r.direction},
                          {"feed", r.feed},
                          {"advisory", r.advisory},
                          {"group", r.group},
                          {"line", r.line},
                          {"listings", std::move(ls)},
                          {"removed_feed", !ct->folded && !all_current && current.count(r.feed) == 0},
                          {"ioc_is_host", r.ioc_is_host},
                          {"infected", r.infected()},
                          {"first_seen", utc(r.first_ms)},
                          {"last_seen", utc(r.last_ms)},
                          {"first_ms", r.first_ms},
                          {"last_ms", r.last_ms},
                          {"flows", r.flows},
                          {"packets", r.packets},
                          {"schema", r.schema}});
    }
    json tl = json::array();
    for (const auto& [i, b] : h->bins) tl.push_back({i, b.flows, b.blocked, b.alerted});
    hl.push_back({{"rank", ++rank},
                  {"host", h->name},
                  {"class", class_name(h->cls)},
                  {"reasons", h->reasons},
                  {"infected", h->infected},
                  {"beaconing", h->beaconing},
                  {"flows", h->f.flows},
                  {"packets", h->f.packets},
                  {"blocked_flows", h->f.blocked},
                  {"alerted_flows", h->f.alerted},
                  {"allowed_flows", h->f.allowed},
                  {"iocs", h->iocs.size()},
                  {"first_seen", utc(h->first)},
                  {"last_seen", utc(h->last)},
                  {"first_ms", h->first},
                  {"last_ms", h->last},
                  {"timeline", std::move(tl)},
                  {"contacts", std::move(contacts)}});
  }
  out["hosts"] = std::move(hl);
  out["totals"] = {{"hosts", order.size()},
                   {"infected", n_infected},
                   {"beaconing", n_beaconing},
                   {"one_off", n_one_off},
                   {"allowed_only", n_allowed},
                   {"hosts_alerted", hosts_alerted.size()},
                   {"contacts", acc.contacts_.size()},
                   {"iocs", all_iocs.size()},
                   {"flows", total.flows},
                   {"packets", total.packets},
                   {"blocked_flows", total.blocked},
                   {"alerted_flows", total.alerted},
                   {"allowed_flows", total.allowed}};
  out["advisories"] = summary_json(by_advisory, by_name, "advisory");
  out["groups"] = summary_json(by_group, by_name, "group");
  out["feeds"] = summary_json(by_feed, by_name, "feed");
  json t = {{"start_ms", acc.axis_.start_ms}, {"start", utc(acc.axis_.start_ms)}, {"bin_ms", acc.axis_.bin_ms},
            {"bins", acc.axis_.bins}};
  json fl = json::array(), bl = json::array(), al = json::array();
  for (const Bin& b : acc.global_) {
    fl.push_back(b.flows);
    bl.push_back(b.blocked);
    al.push_back(b.alerted);
  }
  t["flows"] = std::move(fl);
  t["blocked"] = std::move(bl);
  t["alerted"] = std::move(al);
  out["timeline"] = std::move(t);
  json forgotten = json::array();
  for (const ForgetEntry& e : c.forgotten)
    if (e.state != "started")
      forgotten.push_back({{"feed", e.feed}, {"by", e.by}, {"time", utc(e.time_ms)}, {"time_ms", e.time_ms},
                           {"state", e.state}, {"records", e.records}, {"flows", e.flows}, {"packets", e.packets}});
  out["forgotten"] = std::move(forgotten);
  return out;
}

template <class Scan>
Result<json> build(const Scan& scan, const ReportQuery& q, const ReportCatalog& c, bool all_current) {
  if (Status s = check_report_query(q, c); !s.ok()) return s;
  HostFilter hosts;
  std::string error;
  if (!hosts.parse(q.hosts, &error)) return Status::error(error);
  Accumulator acc(q, hosts);
  const HitScanStats st = scan([&](const HitRecord& r) { acc.add(r); });
  return finish(acc, q, c, st, all_current);
}

}  // namespace

Result<json> build_review_report(const HitStore& store, const ReportQuery& q, const ReportCatalog& c) {
  return build([&](const HitVisitor& v) { return store.scan(q.since_ms, q.until_ms, v); }, q, c, false);
}

Result<json> build_review_report_from_files(const std::string& dir, const ReportQuery& q, const ReportCatalog& c) {
  return build([&](const HitVisitor& v) { return scan_hit_files(dir, q.since_ms, q.until_ms, v); }, q, c, false);
}

Result<json> build_review_report(const std::vector<HitRecord>& lines, const ReportQuery& q, const ReportCatalog& c) {
  return build(
      [&](const HitVisitor& v) {
        HitScanStats st;
        for (const HitRecord& r : lines) {
          const int64_t t = time_of(r);
          if (r.last_ms < q.since_ms || t > q.until_ms) continue;
          ++st.lines;
          v(r);
        }
        return st;
      },
      q, c, false);
}

json build_review_report(const std::vector<HitRecord>& records, const ReportScope& scope) {
  ReportQuery q;
  q.since_ms = scope.since_ms;
  q.until_ms = scope.generated_ms;
  q.generated_ms = scope.generated_ms;
  q.instance = scope.instance;
  if (!scope.feed.empty()) q.feeds.push_back(scope.feed);
  ReportCatalog c;
  for (const HitRecord& r : records) c.seen.add(r);
  if (!scope.feed.empty()) c.seen.feeds.insert(scope.feed);  // the first interface: an unknown feed is empty
  Result<json> r = build(
      [&](const HitVisitor& v) {
        HitScanStats st;
        for (const HitRecord& x : records) {
          ++st.lines;
          v(x);
        }
        return st;
      },
      q, c, true);
  return r.ok() ? *r : json{{"error", r.message()}};
}

}  // namespace iocgate
