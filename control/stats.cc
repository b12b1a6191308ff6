// control/stats.cc — summing, top N, and the Prometheus text exposition format (0.0.4).

#include "control/stats.h"

#include <algorithm>
#include <fmt/format.h>

namespace iocgate {

namespace {

std::string label_value(const std::string& v) {
  std::string o;
  for (char c : v) {
    if (c == '\\') o += "\\\\";
    else if (c == '"') o += "\\\"";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

class Exposition {
 public:
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    name_ = name;
  }
  // labels: {{"port","a"},...}
  void sample(std::initializer_list<std::pair<const char*, std::string>> labels, uint64_t v) {
    out_ += name_;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [k, val] : labels) {
        out_ += fmt::format("{}{}=\"{}\"", first ? "" : ",", k, label_value(val));
        first = false;
      }
      out_ += '}';
    }
    out_ += fmt::format(" {}\n", v);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  std::string name_;
};

}  // namespace

void HitStats::add(const std::string& feed, const std::string& advisory, const std::string& group,
                   const std::string& ioc, const std::string& kind, const std::string& host, uint64_t flows,
                   uint64_t packets) {
  std::lock_guard<std::mutex> lock(mu_);
  StatsSnapshot::Feed& f = feeds_[feed];
  if (f.feed.empty()) f = {feed, advisory, group, {}};
  f.hits.flows += flows;
  f.hits.packets += packets;
  HitCount& i = iocs_[{ioc, feed, kind}];
  i.flows += flows;
  i.packets += packets;
  HitCount& h = hosts_[host];
  h.flows += flows;
  h.packets += packets;
}

void HitStats::count_event(bool summary, bool resolved) {
  std::lock_guard<std::mutex> lock(mu_);
  (summary ? summaries_ : flows_) += 1;
  if (!resolved) ++unresolved_;
}

void HitStats::set_log_counts(uint64_t logged, uint64_t suppressed) {
  std::lock_guard<std::mutex> lock(mu_);
  logged_ = logged;
  suppressed_ = suppressed;
}

void HitStats::fill(StatsSnapshot* s) const {
  std::lock_guard<std::mutex> lock(mu_);
  s->feeds.clear();
  for (const auto& [name, f] : feeds_) s->feeds.push_back(f);
  s->iocs.clear();
  for (const auto& [k, h] : iocs_) s->iocs.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), h});
  s->hosts.clear();
  for (const auto& [k, h] : hosts_) s->hosts.push_back({k, h});
  s->iocs_seen = s->iocs.size();
  s->hosts_seen = s->hosts.size();
  auto by_flows = [](const auto& a, const auto& b) {
    return a.hits.flows != b.hits.flows ? a.hits.flows > b.hits.flows : a.hits.packets > b.hits.packets;
  };
  std::stable_sort(s->iocs.begin(), s->iocs.end(), by_flows);
  std::stable_sort(s->hosts.begin(), s->hosts.end(), by_flows);
  if (s->iocs.size() > kTopN) s->iocs.resize(kTopN);
  if (s->hosts.size() > kTopN) s->hosts.resize(kTopN);
  s->events_flows = flows_;
  s->events_summaries = summaries_;
  s->events_unresolved = unresolved_;
  s->events_logged = logged_;
  s->events_suppressed = suppressed_;
}

void read_control_block(const ControlBlock& cb, bool dataplane_running, StatsSnapshot* s) {
  s->dataplane_running = dataplane_running;
  s->published_generation = cb.published_generation.load(std::memory_order_acquire);
  s->active_generation = cb.active_generation.load(std::memory_order_acquire);
  switch (static_cast<TableSource>(cb.table_source.load(std::memory_order_relaxed))) {
    case TableSource::kPublished: s->table_source = "published"; break;
    case TableSource::kStore: s->table_source = "store"; break;
    case TableSource::kOlderStore: s->table_source = "older_store"; break;
    case TableSource::kFailClosed: s->table_source = "fail_closed"; break;
    case TableSource::kNone: s->table_source = "none"; break;
  }
  s->workers.clear();
  s->ports.clear();
  s->total = DataplaneCounters{};
  // The counters of a stopped dataplane stay readable (its final copy), so they are summed
  // whenever the slots are initialised; liveness is reported separately.
  const uint64_t hz = cb.tsc_hz.load();
  const uint32_t n = std::min(cb.worker_count.load(), kMaxWorkers);
  for (uint32_t i = 0; i < n; ++i) {
    const WorkerSlot& w = cb.workers[i];
    StatsSnapshot::Worker x;
    x.index = i;
    x.alive = dataplane_running && w.running.load() != 0 && tsc_fresh(w.heartbeat_tsc.load(), hz, 2.0);
    x.generation = w.generation.load();
    // A plain copy of monotonic, aligned 64-bit values: each may be slightly stale, never torn.
    x.counters = w.counters;
    uint64_t* sum = reinterpret_cast<uint64_t*>(&s->total);
    const uint64_t* c = counter_array(x.counters);
    for (size_t k = 0; k < kDataplaneCounterCount; ++k) sum[k] += c[k];
    s->workers.push_back(x);
  }
  const uint32_t np = std::min(cb.port_count.load(), kMaxPorts);
  for (uint32_t i = 0; i < np; ++i) {
    const PortSlot& p = cb.ports[i];
    s->ports.push_back({std::string(p.name, strnlen(p.name, sizeof(p.name))), dataplane_running && p.link_up.load() != 0,
                        p.link_speed_mbps.load(), p.ipackets.load(), p.opackets.load(), p.imissed.load(),
                        p.ierrors.load(), p.oerrors.load()});
  }
}

std::string render_prometheus(const StatsSnapshot& s) {
  Exposition e;
  const DataplaneCounters& c = s.total;
  e.family("iocgate_dataplane_up", "gauge", "1 when the dataplane process is alive");
  e.sample({}, s.dataplane_running ? 1 : 0);
  e.family("iocgate_worker_alive", "gauge", "1 when the worker's heartbeat is fresh");
  for (const auto& w : s.workers) e.sample({{"worker", std::to_string(w.index)}}, w.alive ? 1 : 0);
  e.family("iocgate_worker_generation", "gauge", "Table generation the worker runs");
  for (const auto& w : s.workers) e.sample({{"worker", std::to_string(w.index)}}, w.generation);
  e.family("iocgate_table_generation", "gauge", "Table generation: published by control, active in the dataplane");
  e.sample({{"state", "published"}}, s.published_generation);
  e.sample({{"state", "active"}}, s.active_generation);
  e.family("iocgate_table_source", "gauge",
           "1 for why the dataplane enforces what it enforces: published, store, older_store (newer ones damaged), "
           "fail_closed (no valid table: every packet dropped), none");
  for (const char* src : {"none", "published", "store", "older_store", "fail_closed"})
    e.sample({{"source", src}}, s.table_source == src ? 1 : 0);
  e.family("iocgate_feeds_degraded", "gauge",
           "Feeds whose stored copy is damaged (enforced from the last good table, or held when no table has them)");
  e.sample({}, s.feeds_degraded);
  e.family("iocgate_feed_expired", "gauge", "1 when the feed has expired and is no longer enforced");
  for (const auto& f : s.feed_states) e.sample({{"feed", f.feed}}, f.expired ? 1 : 0);
  e.family("iocgate_feed_degraded", "gauge", "1 when the feed's stored copy is damaged (see iocctl feed list)");
  for (const auto& f : s.feed_states) e.sample({{"feed", f.feed}}, f.degraded ? 1 : 0);
  e.family("iocgate_feed_expires_timestamp_seconds", "gauge", "When the feed stops being enforced (0: never)");
  for (const auto& f : s.feed_states) e.sample({{"feed", f.feed}}, static_cast<uint64_t>(std::max<int64_t>(f.expires_unix, 0)));
  e.family("iocgate_publish_pending", "gauge", "1 when the last start-up publish failed and is retried");
  e.sample({}, s.publish_pending ? 1 : 0);
  e.family("iocgate_table_entries", "gauge", "Entries in the newest table, by kind");
  e.sample({{"kind", "ipv4"}}, s.table.ipv4);
  e.sample({{"kind", "ipv6"}}, s.table.ipv6);
  e.sample({{"kind", "domain"}}, s.table.domains);

  e.family("iocgate_packets_total", "counter", "Packets through each port, as the NIC counts them");
  for (const auto& p : s.ports) {
    e.sample({{"port", p.name}, {"direction", "rx"}}, p.rx);
    e.sample({{"port", p.name}, {"direction", "tx"}}, p.tx);
  }
  e.family("iocgate_port_missed_total", "counter", "Packets the NIC dropped for lack of RX descriptors");
  for (const auto& p : s.ports) e.sample({{"port", p.name}}, p.missed);
  e.family("iocgate_port_errors_total", "counter", "Port errors");
  for (const auto& p : s.ports) {
    e.sample({{"port", p.name}, {"direction", "rx"}}, p.rx_errors);
    e.sample({{"port", p.name}, {"direction", "tx"}}, p.tx_errors);
  }
  e.family("iocgate_port_up", "gauge", "1 when the link is up");
  for (const auto& p : s.ports) e.sample({{"port", p.name}}, p.up ? 1 : 0);

  e.family("iocgate_dataplane_packets_total", "counter", "Packets the workers handled, by outcome");
  e.sample({{"outcome", "received"}}, c.rx_packets);
  e.sample({{"outcome", "forwarded"}}, c.tx_packets);
  e.sample({{"outcome", "dropped"}}, c.dropped_packets);
  e.sample({{"outcome", "rejected"}}, c.rejected_packets);
  // Not forwarded without an IoC verdict; received = forwarded + dropped + these.
  e.sample({{"outcome", "held"}}, c.reasm_out_of_order);
  e.sample({{"outcome", "unreadable"}}, c.unreadable_dropped);
  e.sample({{"outcome", "no_table"}}, c.dropped_no_table);
  e.sample({{"outcome", "tx_failed"}}, c.tx_failed);
  e.family("iocgate_action_packets_total", "counter", "Packets by the action of the feed that decided");
  e.sample({{"action", "drop"}}, c.dropped_packets);
  e.sample({{"action", "reject"}}, c.rejected_packets);
  e.sample({{"action", "mirror"}}, c.mirrored_packets);
  e.sample({{"action", "alert"}}, c.alerted_packets);
  e.sample({{"action", "allow"}}, c.allowed_packets);
  e.family("iocgate_matches_total", "counter", "Packets matched, by how the IoC matched");
  e.sample({{"kind", "ip"}}, c.match_ip);
  e.sample({{"kind", "dns"}}, c.match_dns);
  e.sample({{"kind", "sni"}}, c.match_sni);
  e.sample({{"kind", "host"}}, c.match_host);
  for (size_t k = 0; k < kDataplaneCounterCount; ++k) {
    e.family(fmt::format("iocgate_dataplane_{}_total", kDataplaneCounterInfo[k].name), "counter",
             kDataplaneCounterInfo[k].help);
    e.sample({}, counter_array(c)[k]);
  }

  e.family("iocgate_feed_hits_total", "counter", "Matched flows by feed (since the control process started)");
  for (const auto& f : s.feeds) e.sample({{"feed", f.feed}, {"advisory", f.advisory}, {"group", f.group}}, f.hits.flows);
  e.family("iocgate_feed_packets_total", "counter", "Matched packets by feed, counted when a flow ends");
  for (const auto& f : s.feeds) e.sample({{"feed", f.feed}, {"advisory", f.advisory}, {"group", f.group}}, f.hits.packets);
  e.family("iocgate_ioc_hits_total", "counter", fmt::format("Matched flows by IoC, the {} most hit", kTopN));
  for (const auto& i : s.iocs) e.sample({{"ioc", i.ioc}, {"feed", i.feed}, {"kind", i.kind}}, i.hits.flows);
  e.family("iocgate_host_hits_total", "counter",
           fmt::format("Matched flows by internal host, the {} most hit", kTopN));
  for (const auto& h : s.hosts) e.sample({{"host", h.host}}, h.hits.flows);
  e.family("iocgate_host_packets_total", "counter",
           fmt::format("Matched packets by internal host (the {} most hit), counted when a flow ends", kTopN));
  for (const auto& h : s.hosts) e.sample({{"host", h.host}}, h.hits.packets);
  e.family("iocgate_events_total", "counter", "Match events the control process handled, by outcome");
  e.sample({{"outcome", "flow"}}, s.events_flows);
  e.sample({{"outcome", "summary"}}, s.events_summaries);
  e.sample({{"outcome", "unresolved"}}, s.events_unresolved);
  e.sample({{"outcome", "logged"}}, s.events_logged);
  e.sample({{"outcome", "suppressed"}}, s.events_suppressed);
  return e.take();
}

nlohmann::json stats_json(const StatsSnapshot& s) {
  using nlohmann::json;
  auto counters = [](const DataplaneCounters& c) {
    json j = json::object();
    for (size_t k = 0; k < kDataplaneCounterCount; ++k) j[kDataplaneCounterInfo[k].name] = counter_array(c)[k];
    return j;
  };
  json j = {{"dataplane_running", s.dataplane_running},
            {"generation", {{"published", s.published_generation}, {"active", s.active_generation}}},
            {"table", {{"generation", s.table.generation}, {"ipv4", s.table.ipv4}, {"ipv6", s.table.ipv6},
                       {"domains", s.table.domains}}},
            {"counters", counters(s.total)}};
  j["workers"] = json::array();
  for (const auto& w : s.workers)
    j["workers"].push_back({{"worker", w.index}, {"alive", w.alive}, {"generation", w.generation},
                            {"counters", counters(w.counters)}});
  j["ports"] = json::array();
  for (const auto& p : s.ports)
    j["ports"].push_back({{"name", p.name}, {"up", p.up}, {"rx_packets", p.rx}, {"tx_packets", p.tx},
                          {"missed", p.missed}, {"rx_errors", p.rx_errors}, {"tx_errors", p.tx_errors}});
  j["feeds"] = json::array();
  for (const auto& f : s.feeds)
    j["feeds"].push_back({{"feed", f.feed}, {"advisory", f.advisory}, {"group", f.group}, {"flows", f.hits.flows},
                          {"packets", f.hits.packets}});
  j["iocs"] = json::array();
  for (const auto& i : s.iocs)
    j["iocs"].push_back({{"ioc", i.ioc}, {"feed", i.feed}, {"matched", i.kind}, {"flows", i.hits.flows},
                         {"packets", i.hits.packets}});
  j["hosts"] = json::array();
  for (const auto& h : s.hosts) j["hosts"].push_back({{"host", h.host}, {"flows", h.hits.flows}, {"packets", h.hits.packets}});
  j["iocs_seen"] = s.iocs_seen;
  j["hosts_seen"] = s.hosts_seen;
  j["events"] = {{"flows", s.events_flows}, {"summaries", s.events_summaries}, {"unresolved", s.events_unresolved},
                 {"logged", s.events_logged}, {"suppressed", s.events_suppressed},
                 {"lost_in_dataplane", s.total.events_lost}};
  return j;
}

}  // namespace iocgate
