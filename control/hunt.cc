// control/hunt.cc — the IoCs compiled into a table (the dataplane's own lookups: prefixes
// most specific first, names by label-boundary suffix), then two passes over the history's
// blocks on every core: the first finds address and name contacts and the answers that bound
// listed names to addresses, the second (only when there are such answers) the flows to them.

#include "control/hunt.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "control/ioc_table_builder.h"
#include "shm/event_text.h"
#include "table/ioc_table_view.h"

namespace iocgate {

namespace {

using nlohmann::json;

std::string utc(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

const char* how_of(FlowNameKind k) {
  switch (k) {
    case FlowNameKind::kSni: return kHowSni;
    case FlowNameKind::kHttpHost: return kHowHttpHost;
    case FlowNameKind::kDnsQuery: break;
  }
  return kHowDns;
}

// An address as a hash key: version and 16 bytes.
struct AddrKey {
  uint64_t hi, lo;
  uint8_t v;
  bool operator==(const AddrKey& o) const { return hi == o.hi && lo == o.lo && v == o.v; }
};
struct AddrHash {
  size_t operator()(const AddrKey& k) const { return table::mix64(k.hi ^ table::mix64(k.lo + k.v)); }
};
AddrKey key_of(uint8_t version, const uint8_t* a) {
  AddrKey k;
  std::memcpy(&k.hi, a, 8);
  std::memcpy(&k.lo, a + 8, 8);
  k.v = version;
  return k;
}

// A listed name's DNS answer held this address over [from_ms, to_ms].
struct Binding {
  int64_t from_ms, to_ms;
  uint32_t match;          // the name's record in the hunt table
  std::string name;        // the name that was asked
};

using ContactKey = std::tuple<std::string, std::string, std::string, std::string, std::string, std::string>;

// One worker's findings.
struct Partial {
  std::map<ContactKey, HuntContact> contacts;
  std::vector<std::pair<AddrKey, Binding>> bindings;
  uint64_t records = 0, blocks = 0, damaged = 0;
  std::vector<std::string> problems;
};

class Hunter {
 public:
  Hunter(const table::IocTableView& view, const std::vector<uint32_t>& index, const InternalNetworks& nets,
         const HuntQuery& q)
      : view_(view), index_(index), nets_(nets), q_(q) {}

  // Pass 1 over one block's rows.
  void first_pass(const std::string& raw, int64_t base_ms, Partial& out) const {
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), base_ms);
    FlowRow r;
    while (rd.next(&r)) {
      ++out.records;
      if (r.last_ms < q_.since_ms || r.first_ms > q_.until_ms) continue;
      const bool ci = internal(r.ip_version, r.client), si = internal(r.ip_version, r.server);
      if (!ci && !si && !nets_.empty()) continue;  // neither end is ours
      const uint32_t mc = lookup(r.ip_version, r.client), ms = lookup(r.ip_version, r.server);
      if (mc != table::kNoMatch && (si || (nets_.empty() && ms == table::kNoMatch)))
        add(out, r, format_address(r.ip_version, r.server), mc, kHowAddress, format_address(r.ip_version, r.client), "");
      if (ms != table::kNoMatch && (ci || (nets_.empty() && mc == table::kNoMatch)))
        add(out, r, format_address(r.ip_version, r.client), ms, kHowAddress, format_address(r.ip_version, r.server), "");
      if (r.name_count == 0) continue;
      for_each_name(r, [&](FlowNameKind kind, const char* name, size_t len) {
        const table::Match m = view_.lookup_domain(name, len);
        if (!m.hit()) return;
        const std::string seen(name, len);
        // The name's asker: the internal end, the client when both are.
        add(out, r, format_address(r.ip_version, ci || !si ? r.client : r.server), m.value, how_of(kind), seen, "");
        if (kind != FlowNameKind::kDnsQuery) return;
        const int64_t ttl_ms = int64_t{r.answer_ttl} * 1000;
        for (uint8_t i = 0; i < r.answer_count; ++i) {
          const uint8_t v = (r.answer_v6 >> i) & 1 ? 6 : 4;
          uint8_t a[16] = {};
          std::memcpy(a, r.answers[i], v == 6 ? 16 : 4);
          out.bindings.push_back({key_of(v, a), Binding{r.first_ms, r.last_ms + std::max(ttl_ms, q_.resolved_window_ms),
                                                         m.value, seen}});
        }
      });
    }
    if (rd.error()) note_damage(out, "a row of a block is damaged; the rest of that block is skipped");
  }

  // Pass 2: flows to an address a listed name resolved to, while the answer held.
  void second_pass(const std::string& raw, int64_t base_ms, Partial& out,
                   const std::unordered_map<AddrKey, std::vector<Binding>, AddrHash>& bound) const {
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(raw.data()), raw.size(), base_ms);
    FlowRow r;
    while (rd.next(&r)) {
      ++out.records;
      if (r.last_ms < q_.since_ms || r.first_ms > q_.until_ms) continue;
      for (int side = 0; side < 2; ++side) {
        const uint8_t* remote = side == 0 ? r.server : r.client;
        const uint8_t* local = side == 0 ? r.client : r.server;
        auto it = bound.find(key_of(r.ip_version, remote));
        if (it == bound.end()) continue;
        if (!internal(r.ip_version, local) && !nets_.empty()) continue;
        for (const Binding& b : it->second) {
          if (r.last_ms < b.from_ms || r.first_ms > b.to_ms) continue;
          add(out, r, format_address(r.ip_version, local), b.match, kHowResolved, format_address(r.ip_version, remote),
              b.name);
          break;  // one binding of the address names the flow
        }
      }
    }
    if (rd.error()) note_damage(out, "a row of a block is damaged; the rest of that block is skipped");
  }

  static void note_damage(Partial& out, const std::string& what) {
    ++out.damaged;
    if (out.problems.size() < 20) out.problems.push_back(what);
  }

 private:
  bool internal(uint8_t v, const uint8_t* a) const { return nets_.contains(v, a); }
  uint32_t lookup(uint8_t v, const uint8_t* a) const {
    return (v == 4 ? view_.lookup_v4(load_be32(a)) : view_.lookup_v6(a)).value;
  }

  void add(Partial& out, const FlowRow& r, const std::string& host, uint32_t match, const char* how,
           const std::string& seen, const std::string& resolved_from) const {
    const table::Match m{match};
    const uint32_t rec = m.record();
    const table::MatchRecord& mr = view_.record(rec);
    const table::FeedRecord& f = view_.feed(mr.feed);
    const std::string feed = view_.string_at(f.name_off);
    const std::string ioc = view_.describe(rec, index_);
    auto [it, created] = out.contacts.try_emplace(ContactKey{host, ioc, how, seen, resolved_from, feed});
    HuntContact& c = it->second;
    if (created) {
      c.host = host;
      c.ioc = ioc;
      c.how = how;
      c.seen = seen;
      c.resolved_from = resolved_from;
      c.feed = feed;
      c.advisory = view_.string_at(f.advisory_off);
      c.group = view_.string_at(f.group_off);
      c.first_ms = r.first_ms;
      c.last_ms = r.last_ms;
    }
    c.first_ms = std::min(c.first_ms, r.first_ms);
    c.last_ms = std::max(c.last_ms, r.last_ms);
    // A record that continues a flow (active timeout) is not another flow.
    if (!(r.flags & kFlowContinued)) ++c.flows;
    c.bytes += r.bytes[0] + r.bytes[1];
    c.packets += uint64_t{r.packets[0]} + r.packets[1];
  }

  const table::IocTableView& view_;
  const std::vector<uint32_t>& index_;
  const InternalNetworks& nets_;
  const HuntQuery& q_;
};

void merge(Partial& into, Partial& from) {
  for (auto& [k, c] : from.contacts) {
    auto [it, created] = into.contacts.try_emplace(k, c);
    if (created) continue;
    HuntContact& d = it->second;
    d.first_ms = std::min(d.first_ms, c.first_ms);
    d.last_ms = std::max(d.last_ms, c.last_ms);
    d.flows += c.flows;
    d.bytes += c.bytes;
    d.packets += c.packets;
  }
  into.bindings.insert(into.bindings.end(), std::make_move_iterator(from.bindings.begin()),
                       std::make_move_iterator(from.bindings.end()));
  into.records += from.records;
  into.blocks += from.blocks;
  into.damaged += from.damaged;
  for (std::string& p : from.problems)
    if (into.problems.size() < 20) into.problems.push_back(std::move(p));
}

// Runs fn(raw, base_ms, partial) over every block (stored ones in parallel, then the rows not
// yet written) and merges the partials.
template <class Fn>
Partial over_blocks(const HistoryStore& store, const std::vector<HistoryBlock>& blocks,
                    const std::vector<HistoryStore::Unwritten>& pending, unsigned threads,
                    std::chrono::steady_clock::time_point deadline, std::atomic<uint64_t>& unread, Fn&& fn) {
  std::atomic<size_t> next{0};
  std::vector<Partial> parts(threads);
  auto work = [&](Partial& out) {
    std::string raw;
    for (size_t i = next++; i < blocks.size(); i = next++) {
      if (std::chrono::steady_clock::now() > deadline) {
        unread.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      ++out.blocks;
      if (Status s = store.read_block(blocks[i], &raw); !s.ok()) {
        store.count_damaged_read();
        Hunter::note_damage(out, s.message());
        continue;
      }
      fn(raw, blocks[i].base_ms, out);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, std::ref(parts[t]));
  work(parts[0]);
  for (std::thread& t : pool) t.join();
  for (const HistoryStore::Unwritten& u : pending) {
    ++parts[0].blocks;
    fn(u.raw, u.base_ms, parts[0]);
  }
  for (unsigned t = 1; t < threads; ++t) merge(parts[0], parts[t]);
  return std::move(parts[0]);
}

}  // namespace

constexpr uint64_t kHuntDirectMinRecords = 4'000'000;

Result<HuntResult> run_hunt(const HistoryStore& store, const HuntQuery& q, const InternalNetworks& nets) {
  const auto t0 = std::chrono::steady_clock::now();
  HuntResult result;
  result.history_from_ms = store.counters().oldest_ms;
  const std::vector<HistoryBlock> blocks = store.blocks(q.since_ms, q.until_ms);
  const std::vector<HistoryStore::Unwritten> pending = store.pending();
  // No record in the window (a new appliance, a history just enabled): compiling a million
  // IoCs to look through nothing would only delay the push's reply.
  if (blocks.empty() && pending.empty()) {
    for (const HuntFeed& f : q.feeds) result.iocs += f.iocs.size();
    return result;
  }
  table::IocTableBuilder builder;
  uint64_t n = 0;
  for (const HuntFeed& f : q.feeds) {
    const uint32_t id = builder.add_feed({f.name, table::Action::kAlert, f.advisory, f.group});
    builder.add_all(id, f.iocs);
    n += f.iocs.size();
  }
  if (n == 0) return result;
  // The IPv4 direct index costs about half a second to build at 1M IoCs and saves ~0.3 µs
  // per record against a large set: worth it only over a long history.
  builder.set_v4_direct(store.counters().records_written >= kHuntDirectMinRecords ? table::IocTableBuilder::V4Direct::kAuto
                                                                                   : table::IocTableBuilder::V4Direct::kNever);
  Result<table::TableBlob> blob = builder.build();
  if (!blob.ok()) return Status::error("cannot compile the IoCs to hunt: " + blob.message());
  std::string error;
  table::IocTableView view;
  if (!view.attach(blob->data(), blob->size(), &error)) return Status::error("the hunt table: " + error);
  const std::vector<uint32_t> index = view.build_describe_index();
  result.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const table::Header& h = view.header();
  result.iocs = h.v4_entries + h.v6_entries + h.domain_entries;

  const unsigned threads = q.threads != 0 ? q.threads : std::max(1u, std::thread::hardware_concurrency());
  const Hunter hunter(view, index, nets, q);
  const auto deadline = q.budget_seconds > 0
                            ? t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                       std::chrono::duration<double>(q.budget_seconds))
                            : std::chrono::steady_clock::time_point::max();
  std::atomic<uint64_t> unread{0};
  Partial found = over_blocks(store, blocks, pending, threads, deadline, unread,
                              [&](const std::string& raw, int64_t base, Partial& out) { hunter.first_pass(raw, base, out); });
  result.bindings = found.bindings.size();
  if (!found.bindings.empty()) {
    std::unordered_map<AddrKey, std::vector<Binding>, AddrHash> bound;
    int64_t from = std::numeric_limits<int64_t>::max(), to = std::numeric_limits<int64_t>::min();
    for (auto& [k, b] : found.bindings) {
      from = std::min(from, b.from_ms);
      to = std::max(to, b.to_ms);
      bound[k].push_back(std::move(b));
    }
    // Only the blocks that overlap some answer's validity can hold a resolved contact.
    std::vector<HistoryBlock> later;
    for (const HistoryBlock& b : blocks)
      if (b.max_ms >= from && b.min_ms <= to) later.push_back(b);
    std::vector<HistoryStore::Unwritten> later_pending;
    for (const HistoryStore::Unwritten& u : pending)
      if (u.max_ms >= from && u.min_ms <= to) later_pending.push_back(u);
    Partial resolved = over_blocks(store, later, later_pending, threads, deadline, unread, [&](const std::string& raw, int64_t base, Partial& out) {
      hunter.second_pass(raw, base, out, bound);
    });
    found.bindings.clear();
    merge(found, resolved);
  }
  for (auto& [k, c] : found.contacts) result.contacts.push_back(std::move(c));
  std::stable_sort(result.contacts.begin(), result.contacts.end(), [](const HuntContact& a, const HuntContact& b) {
    return a.host != b.host ? a.host < b.host : a.first_ms < b.first_ms;
  });
  result.records = found.records;
  result.blocks = found.blocks;
  result.damaged = found.damaged;
  result.unread = unread.load();
  result.problems = std::move(found.problems);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

json hunt_json(const HuntResult& r, const HuntQuery& q) {
  std::map<std::string, json> hosts;
  for (const HuntContact& c : r.contacts) {
    json& h = hosts[c.host];
    if (h.is_null()) {
      h = {{"host", c.host}, {"first_ms", c.first_ms}, {"last_ms", c.last_ms}, {"flows", 0}, {"bytes", 0},
           {"packets", 0}, {"how", json::array()}, {"contacts", json::array()}};
    }
    h["first_ms"] = std::min(h["first_ms"].get<int64_t>(), c.first_ms);
    h["last_ms"] = std::max(h["last_ms"].get<int64_t>(), c.last_ms);
    h["flows"] = h["flows"].get<uint64_t>() + c.flows;
    h["bytes"] = h["bytes"].get<uint64_t>() + c.bytes;
    h["packets"] = h["packets"].get<uint64_t>() + c.packets;
    if (std::find(h["how"].begin(), h["how"].end(), c.how) == h["how"].end()) h["how"].push_back(c.how);
    json x = {{"ioc", c.ioc},         {"how", c.how},          {"seen", c.seen},
              {"feed", c.feed},       {"advisory", c.advisory}, {"group", c.group},
              {"first_ms", c.first_ms}, {"last_ms", c.last_ms}, {"first_seen", utc(c.first_ms)},
              {"last_seen", utc(c.last_ms)}, {"flows", c.flows}, {"bytes", c.bytes}, {"packets", c.packets}};
    if (!c.resolved_from.empty()) x["resolved_from"] = c.resolved_from;
    h["contacts"].push_back(std::move(x));
  }
  json list = json::array();
  for (auto& [name, h] : hosts) {
    h["first_seen"] = utc(h["first_ms"].get<int64_t>());
    h["last_seen"] = utc(h["last_ms"].get<int64_t>());
    list.push_back(std::move(h));
  }
  // Most flows first: what a reviewer looks at first.
  std::stable_sort(list.begin(), list.end(),
                   [](const json& a, const json& b) { return a["flows"].get<uint64_t>() > b["flows"].get<uint64_t>(); });
  json feeds = json::array();
  for (const HuntFeed& f : q.feeds) feeds.push_back({{"name", f.name}, {"advisory", f.advisory}, {"iocs", f.iocs.size()}});
  const bool open_until = q.until_ms == std::numeric_limits<int64_t>::max();
  return {{"hosts", list},
          {"host_count", list.size()},
          {"feeds", feeds},
          {"since_ms", q.since_ms},
          {"since", utc(q.since_ms)},
          {"until_ms", open_until ? json(nullptr) : json(q.until_ms)},
          {"until", open_until ? json(nullptr) : json(utc(q.until_ms))},
          {"history_from_ms", r.history_from_ms},
          {"history_from", r.history_from_ms == 0 ? json(nullptr) : json(utc(r.history_from_ms))},
          {"scanned", {{"records", r.records}, {"blocks", r.blocks}, {"damaged_blocks", r.damaged},
                       {"unread_blocks", r.unread},
                       {"iocs", r.iocs}, {"answer_bindings", r.bindings}, {"seconds", r.seconds},
                       {"compile_seconds", r.compile_seconds}}},
          {"problems", r.problems}};
}

std::string hunt_summary_line(const json& hunt, const std::string& feed, int64_t days) {
  const uint64_t n = hunt.value("host_count", uint64_t{0});
  std::string line = fmt::format("{} internal host{} contacted these IoCs in the last {} days", n, n == 1 ? "" : "s", days);
  const int64_t from = hunt.value("history_from_ms", int64_t{0}), since = hunt.value("since_ms", int64_t{0});
  if (from == 0) line += " (the flow history is empty)";
  else if (from > since) line += " (the flow history starts " + utc(from) + ")";
  const uint64_t unread = hunt.contains("scanned") ? hunt["scanned"].value("unread_blocks", uint64_t{0}) : 0;
  if (unread != 0)
    line += fmt::format(" in the part read within the push's time budget ({} blocks left unread); "
                        "`iocctl hunt --feed {}` reads all of it", unread, feed);
  else if (n != 0) line += fmt::format("; `iocctl hunt --feed {}` lists them", feed);
  return line;
}

}  // namespace iocgate
