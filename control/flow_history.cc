// control/flow_history.cc — start/stop of store, export and collector; the hunt requests.

#include "control/flow_history.h"

#include <cstdio>
#include <ctime>
#include <fmt/format.h>

#include "control/review_report.h"
#include "control/tsc_clock.h"
#include "feeds/feed_parser.h"
#include "feeds/rfc3339_time.h"

namespace iocgate {

namespace {

using nlohmann::json;

json fail(const std::string& e) { return {{"ok", false}, {"error", e}}; }

constexpr const char* kOff = "the flow history is off ([history] enabled = false): nothing to hunt in";

}  // namespace

Result<int64_t> parse_hunt_time(const std::string& text, int64_t now_ms, const char* what) {
  const int64_t s = parse_duration_seconds(text);
  if (s >= 0) return now_ms - s * 1000;
  std::optional<int64_t> t = text.size() == 10 ? parse_rfc3339(text + "T00:00:00Z") : parse_rfc3339(text);
  if (!t) return Status::error(fmt::format("{} '{}': use a duration back from now (30d, 36h, 90m) or a date "
                                           "(2024-06-01, UTC) or an RFC 3339 time", what, text));
  return *t * 1000;
}

FlowHistory::FlowHistory(const ApplianceConfig& cfg, ControlBlock* cb) : cfg_(cfg), cb_(cb) {}

FlowHistory::~FlowHistory() { stop(); }

Status FlowHistory::start() {
  if (!cfg_.history_enabled) return Status();
  if (Status s = nets_.parse(cfg_.internal_networks); !s.ok()) return s.prefixed(cfg_.path + ": ");
  HistoryConfig hc;
  hc.dir = cfg_.history_path();
  hc.max_age_ms = int64_t{cfg_.history_days} * 86400 * 1000;
  hc.max_bytes = cfg_.history_max_bytes;
  auto store = std::make_unique<HistoryStore>(hc);
  if (Status s = store->open(TscClock::wall_now_ms()); !s.ok()) return s;
  store_ = std::move(store);
  if (!cfg_.history_ipfix.empty()) {
    Result<std::unique_ptr<IpfixExporter>> x = IpfixExporter::open(cfg_.history_ipfix);
    // The history does not depend on a collector elsewhere: a bad target is said and skipped.
    if (x.ok()) ipfix_ = std::move(*x);
    else std::fprintf(stderr, "iocgate control: %s: IPFIX export is OFF\n", x.message().c_str());
  }
  if (cb_ != nullptr) {
    collector_ = std::make_unique<FlowCollector>(cb_, *store_, ipfix_.get());
    if (Status s = collector_->start(); !s.ok()) return s;
  }
  const HistoryCounters c = store_->counters();
  std::fprintf(stderr, "iocgate control: flow history %s: %llu flows in %llu partitions (%llu MiB)%s\n",
               hc.dir.c_str(), static_cast<unsigned long long>(c.records_stored),
               static_cast<unsigned long long>(c.partitions), static_cast<unsigned long long>(c.bytes_on_disk >> 20),
               ipfix_ ? (", IPFIX to " + ipfix_->target()).c_str() : "");
  return Status();
}

void FlowHistory::stop() {
  if (collector_) collector_->stop();
}

HuntQuery FlowHistory::query_for(const std::vector<const StoredFeed*>& feeds, int64_t since_ms, int64_t until_ms) const {
  HuntQuery q;
  q.since_ms = since_ms;
  q.until_ms = until_ms;
  for (const StoredFeed* f : feeds) q.feeds.push_back({f->name, f->advisory, f->group, f->parsed.iocs});
  return q;
}

json FlowHistory::hunt(const HuntRequest& req, const std::string& content, const FeedStore& feeds) const {
  if (!store_) return fail(kOff);
  const int64_t now = TscClock::wall_now_ms();
  Result<int64_t> since = parse_hunt_time(req.since, now, "--since");
  if (!since.ok()) return fail(since.message());
  int64_t until = std::numeric_limits<int64_t>::max();
  if (!req.until.empty()) {
    Result<int64_t> u = parse_hunt_time(req.until, now, "--until");
    if (!u.ok()) return fail(u.message());
    until = *u;
  }
  if (until < *since) return fail("--until is before --since: nothing to hunt in");
  HuntQuery q;
  q.since_ms = *since;
  q.until_ms = until;
  for (const std::string& name : req.feeds) {
    const StoredFeed* f = feeds.find(name);
    if (f == nullptr) return fail("no feed named '" + name + "' (`iocctl feed list` lists them; or hunt for a FILE)");
    q.feeds.push_back({f->name, f->advisory, f->group, f->parsed.iocs});
  }
  size_t at = 0;
  for (size_t i = 0; i < req.sources.size(); ++i) {
    const size_t n = std::stoull(req.source_bytes[i]);  // checked by parse_ctl_request
    const std::string_view bytes(content.data() + at, std::min(n, content.size() - at));
    at += bytes.size();
    ParseOptions o;
    o.file_name = req.sources[i];
    // Read as a push reads it, without the guards: a hunt for an over-broad entry only
    // finds more, it blocks nothing.
    FeedParseResult p = parse_feed(bytes, o);
    if (!p.ok()) return fail(p.error->message() + " (nothing was hunted)");
    q.feeds.push_back({req.sources[i], p.feed.advisory, p.feed.group, std::move(p.feed.iocs)});
  }
  Result<HuntResult> r = run_hunt(*store_, q, nets_);
  if (!r.ok()) return fail(r.message());
  return {{"ok", true}, {"hunt", hunt_json(*r, q)}};
}

json FlowHistory::after_push(const StoredFeed& feed) const {
  if (!store_) return {{"line", "no flow history to look back in ([history] enabled = false)"}, {"host_count", 0}};
  const int64_t now = TscClock::wall_now_ms();
  HuntQuery q = query_for({&feed}, now - int64_t{cfg_.history_days} * 86400 * 1000, now);
  // The push has been enforced already; its reply (and the one control socket thread) must
  // not wait on a look-back through a large history.
  q.budget_seconds = kPushLookBackSeconds;
  Result<HuntResult> r = run_hunt(*store_, q, nets_);
  if (!r.ok()) return {{"line", "the look back in the flow history failed: " + r.message()}, {"host_count", 0}};
  json j = hunt_json(*r, q);
  j["line"] = hunt_summary_line(j, feed.name, cfg_.history_days);
  return j;
}

json FlowHistory::before_advisory(const FeedStore& feeds, const std::string& feed) const {
  json sections = json::array();
  if (!store_) return sections;
  for (const auto& [name, f] : feeds.feeds()) {
    if (!feed.empty() && name != feed) continue;
    const int64_t pushed = f.pushed_unix * 1000;
    HuntQuery q = query_for({&f}, pushed - int64_t{cfg_.history_days} * 86400 * 1000, pushed);
    q.budget_seconds = kPushLookBackSeconds;
    Result<HuntResult> r = run_hunt(*store_, q, nets_);
    json s = {{"feed", name}, {"advisory", f.advisory}, {"group", f.group}, {"pushed_ms", pushed},
              {"days", cfg_.history_days}};
    if (r.ok()) s["hunt"] = hunt_json(*r, q);
    else s["error"] = r.message();
    sections.push_back(std::move(s));
  }
  return sections;
}

std::string FlowHistory::prometheus() const {
  if (!store_) return {};
  const HistoryCounters c = store_->counters();
  std::string o;
  auto family = [&](const char* name, const char* type, const char* help) {
    o += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  auto sample = [&](const char* name, uint64_t v, const char* labels = "") { o += fmt::format("{}{} {}\n", name, labels, v); };
  family("iocgate_history_records_written_total", "counter", "flow records written to the history");
  sample("iocgate_history_records_written_total", c.records_written);
  family("iocgate_history_bytes_written_total", "counter", "compressed bytes appended to the history");
  sample("iocgate_history_bytes_written_total", c.bytes_written);
  family("iocgate_history_bytes", "gauge", "bytes the history holds on disk ([history] max_bytes bounds it)");
  sample("iocgate_history_bytes", c.bytes_on_disk);
  family("iocgate_history_records", "gauge", "flow records the history holds");
  sample("iocgate_history_records", c.records_stored);
  family("iocgate_history_partitions", "gauge", "partitions (files) of the history");
  sample("iocgate_history_partitions", c.partitions);
  family("iocgate_history_oldest_seconds", "gauge", "unix time of the oldest flow in the history (0: empty)");
  sample("iocgate_history_oldest_seconds", static_cast<uint64_t>(c.oldest_ms / 1000));
  family("iocgate_history_pending_records", "gauge", "flow records not yet written (the next flush takes them)");
  sample("iocgate_history_pending_records", c.pending_records);
  family("iocgate_history_dropped_records_total", "counter", "flow records dropped with their partition, by bound");
  sample("iocgate_history_dropped_records_total", c.records_dropped_age, "{reason=\"age\"}");
  sample("iocgate_history_dropped_records_total", c.records_dropped_size, "{reason=\"size\"}");
  family("iocgate_history_dropped_partitions_total", "counter", "partitions dropped, by bound");
  sample("iocgate_history_dropped_partitions_total", c.partitions_dropped_age, "{reason=\"age\"}");
  sample("iocgate_history_dropped_partitions_total", c.partitions_dropped_size, "{reason=\"size\"}");
  family("iocgate_history_lost_records_total", "counter",
         "flow records lost: taken by a control process that died before writing them (crash, counted at the next "
         "start; this includes a block the crash cut), or given up after writes kept failing (write); the "
         "dataplane's full rings are iocgate_dataplane_flow_records_lost_total");
  sample("iocgate_history_lost_records_total", c.records_lost_crash, "{reason=\"crash\"}");
  sample("iocgate_history_lost_records_total", c.records_lost_write, "{reason=\"write\"}");
  family("iocgate_history_write_errors_total", "counter", "history flushes that failed (records kept and retried)");
  sample("iocgate_history_write_errors_total", c.write_errors);
  family("iocgate_history_damaged_total", "counter",
         "damage found: partitions set aside as .bad at start, blocks cut at start (torn), blocks a hunt could not read");
  sample("iocgate_history_damaged_total", c.damaged_partitions, "{what=\"partition\"}");
  sample("iocgate_history_damaged_total", c.torn_blocks, "{what=\"torn_block\"}");
  sample("iocgate_history_damaged_total", c.damaged_blocks_read, "{what=\"block_read\"}");
  if (ipfix_) {
    const IpfixCounters x = ipfix_->counters();
    family("iocgate_ipfix_records_total", "counter", "flow records exported over IPFIX");
    sample("iocgate_ipfix_records_total", x.records);
    family("iocgate_ipfix_messages_total", "counter", "IPFIX messages sent");
    sample("iocgate_ipfix_messages_total", x.messages);
    family("iocgate_ipfix_send_errors_total", "counter", "IPFIX messages the socket refused (collector down, no route)");
    sample("iocgate_ipfix_send_errors_total", x.send_errors);
  }
  return o;
}

}  // namespace iocgate
