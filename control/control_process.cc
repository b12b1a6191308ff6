// control/control_process.cc — `iocgate control`: recovers the stored feeds (carrying a
// damaged one from the last good table), publishes the table, and serves iocctl on a unix
// socket, one request at a time (pushes are serialised, so generations never interleave).
// Two threads beside it: the event collector (drains the workers' event rings) and the
// /metrics server.

#include "control/control_process.h"

#include <arpa/inet.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/ctl_protocol.h"
#include "control/ctl_request.h"
#include "control/ctl_server.h"
#include "control/fd_budget.h"
#include "control/event_collector.h"
#include "control/feed_file.h"
#include "control/feed_recovery.h"
#include "control/feed_store.h"
#include "control/flow_history.h"
#include "control/hit_store.h"
#include "control/hit_totals.h"
#include "control/ioc_explain.h"
#include "control/metrics_server.h"
#include "control/privileges.h"
#include "control/review_report.h"
#include "control/stats.h"
#include "control/table_history.h"
#include "control/table_publisher.h"
#include "control/feed_check.h"
#include "feeds/feed_guards.h"
#include "feeds/feed_verdict.h"
#include "feeds/ioc_key.h"
#include "feeds/feed_parser.h"
#include "feeds/ioc_text.h"
#include "feeds/ip_prefix.h"
#include "feeds/rfc3339_time.h"

namespace iocgate {

namespace {

using nlohmann::json;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true); }

void log_line(const std::string& s) {
  std::fprintf(stderr, "iocgate control: %s\n", s.c_str());
  std::fflush(stderr);
}

// "2026-12-31" (the IoCs stop being enforced at 00:00 UTC that day) or an RFC 3339 time.
std::optional<int64_t> parse_expiry(const std::string& text) {
  if (text.size() == 10) return parse_rfc3339(text + "T00:00:00Z");
  return parse_rfc3339(text);
}

// How a degraded feed is repaired, in the operator's words.
std::string repair_hint(const StoredFeed& f) {
  return fmt::format("push it again: iocctl feed push FILE --name {} --action {}{}  (or iocctl feed remove {})",
                     f.name, table::action_name(f.action),
                     f.advisory.empty() ? "" : " --advisory '" + f.advisory + "'", f.name);
}

json feed_json(const StoredFeed& f, int64_t now) {
  json skipped = json::object();
  for (const auto& [why, n] : f.parsed.skipped) skipped[why] = n;
  json j = {{"name", f.name},
            {"action", table::action_name(f.action)},
            {"advisory", f.advisory},
            {"group", f.group},
            {"source", f.source},
            {"format", feed_format_name(f.options.format)},
            {"pushed_unix", f.pushed_unix},
            {"pushed_by", f.pushed_by},
            {"expires_unix", f.expires_unix},
            {"expired", f.expired(now)},
            {"iocs", f.parsed.iocs.size()},
            {"baseline_iocs", f.baseline_iocs},
            {"by_kind", summarize_iocs(f.parsed)},
            {"skipped", skipped},
            {"degraded", !f.degraded.empty()},
            {"role", f.options.infected_hosts ? "infected" : "block"}};
  if (!f.degraded.empty()) {
    j["problem"] = f.degraded;
    j["repair"] = repair_hint(f);
  }
  return j;
}

// The peer of a request, as an operator reads it in the feed's history and the log.
std::string peer_name(const CtlPeer& peer) {
  const passwd* pw = getpwuid(peer.uid);
  return fmt::format("uid {} ({}), pid {}", peer.uid, pw != nullptr ? pw->pw_name : "?", peer.pid);
}

// Distinct keys of a feed: what the shrink guard counts.
uint64_t distinct_iocs(const ParsedFeed& f) {
  DistinctIocs keys(f.iocs.size());
  for (const Ioc& i : f.iocs) keys.insert(i);
  return keys.size();
}

class ControlServer {
 public:
  ControlServer(const ApplianceConfig& cfg, ControlBlock* cb, const TrustedOwners& owners)
      : cfg_(cfg),
        cb_(cb),
        owners_(owners),
        store_(cfg.feeds_dir(), owners),
        publisher_(cfg, cb, owners),
        hits_(cfg.hits_dir()),
        collector_(cfg, cb, history_, hits_, stats_),
        flows_(cfg, cb),
        metrics_([this] { return render_prometheus(snapshot()) + flows_.prometheus(); }, [this] { return health(); }) {}

  Status start() {
    std::map<std::string, std::string> problems;
    if (Status s = store_.load([this](const StoredFeed& f) { return read_stored(f); }, &problems); !s.ok()) {
      return Status::error(s.message());
    }
    publisher_.recover();
    // The last good table: the one the dataplane runs or starts from. Its events resolve
    // through it, and a feed whose stored copy failed its checks is carried from it.
    Result<TableStore::Found> found = publisher_.table_store().newest_valid();
    if (found.ok()) {
      for (const std::string& r : found->refused) log_line("table store: REFUSED " + r);
      // Every stored generation the workers' rings may still name, oldest first.
      std::vector<uint64_t> gens = publisher_.table_store().generations();
      for (auto g = gens.rbegin(); g != gens.rend(); ++g)
        if (*g < found->table->generation())
          if (Status s = history_.add_file(publisher_.table_store().path_of(*g), owners_, {cfg_.instance, *g}); !s.ok())
            log_line("table store: an older generation cannot resolve events: " + s.message());
      if (Status s = history_.add_file(found->table->path(), owners_, {cfg_.instance, found->table->generation()});
          !s.ok())
        log_line("cannot keep the stored table for event reports: " + s.message());
      carry_degraded(found->table->view(), problems);
    } else if (publisher_.table_store().has_enforced_before()) {
      log_line("the table store holds no valid table: " + found.message());
    }
    for (const auto& [name, why] : problems)
      if (store_.find(name) == nullptr) {
        log_line("feed store: " + why + "; no valid table holds feed '" + name + "' to carry it from: left on disk");
        stray_[name] = why;
      }
    {
      // The counters continue from what the review store holds (a restart does not reset
      // them), and a host already flagged infected is not new.
      const HitTotals totals = rebuild_hit_totals(hits_);
      seed_hit_stats(totals, &stats_);
      stats_.seed_infected(totals);
      if (totals.scanned.damaged != 0)
        log_line("review store: " + std::to_string(totals.scanned.damaged) + " damaged line(s) skipped in the counters");
    }
    if (Status s = collector_.start(); !s.ok()) return s;
    if (Status s = flows_.start(); !s.ok()) return Status::error("flow history: " + s.message());
    live_feeds_ = live_feed_names(std::time(nullptr));
    // Publishing at start-up also completes a publish that a crash interrupted. A compile
    // equal to the newest stored table writes nothing: a full state disk does not stop us.
    publish_at_start();
    // Descriptors: the connections of both servers are capped so that the control socket and
    // the state files always find one, whatever the metrics port receives.
    const FdBudget budget = plan_fd_budget();
    log_line(describe(budget));
    CtlServerOptions o;
    o.socket_path = cfg_.socket_path;
    o.socket_group = cfg_.socket_group;
    o.max_connections = budget.control_connections;
    o.log = log_line;
    Result<std::unique_ptr<CtlServer>> server = CtlServer::start(std::move(o));
    if (!server.ok()) {
      return Status::error(server.message() + (cfg_.socket_path.empty() ? "" : " (its directory must be writable by [control] user '" +
                                                                       cfg_.control_user + "')"));
    }
    ctl_ = std::move(*server);
    log_line("listening on " + cfg_.socket_path);
    if (!cfg_.metrics_listen.empty()) {
      MetricsLimits limits;
      limits.max_connections = budget.metrics_connections;
      metrics_.set_limits(limits);
      if (Status st = metrics_.start(cfg_.metrics_listen); st.ok())
        log_line("metrics on http://" + cfg_.metrics_listen + "/metrics");
      else
        log_line(st.message() + ": /metrics is NOT served");
    }
    log_line("event log " + cfg_.events_path + ", review store " + cfg_.hits_dir());
    refresh_health();
    return Status();
  }

  // /healthz: the control process serves requests.
  Status health() const {
    if (!ctl_ || !ctl_->responsive()) return Status::error("the control socket's server is not responding");
    return Status();
  }

  void serve() {
    const CtlHandler handler = [this](CtlCall& call) { return handle(call); };
    while (!g_stop.load()) {
      ctl_->serve_next(handler, std::chrono::milliseconds(1000));
      retry_pending();
      republish_on_expiry();
      refresh_health();
    }
    ctl_->stop();
    metrics_.stop();
    collector_.stop();  // drains the rings and flushes the review store
    flows_.stop();      // drains the flow rings and writes the history
  }

 private:
  // The one rule for what a feed enforces, shared by `feed check`: parse, then the guards
  // of this appliance's config (feeds/feed_verdict.h check_feed).
  FeedVerdict verdict_of(std::string_view content, const std::string& source, const FeedOptions& o,
                         const GuardConfig& base) const {
    ParseOptions opts;
    opts.file_name = source;
    opts.format = o.format;
    opts.include_not_for_ids = o.include_not_for_ids;
    GuardConfig guards = base;
    if (o.skip_refused) guards.mode = GuardMode::kSkipRefused;
    // A watch list names the operator's own hosts: the own-network guard would refuse them
    // all. Every other guard still applies (loopback, multicast, over-broad prefixes, ...).
    if (o.infected_hosts) guards.own_networks.clear();
    return check_feed(content, opts, guards, std::set<std::string>(o.force.begin(), o.force.end()));
  }

  // A stored feed read exactly as its push read it: same parser, options and guards.
  Result<ParsedFeed> read_stored(const StoredFeed& f) const {
    Result<GuardConfig> guards = guard_config_from(cfg_);
    if (!guards.ok()) return guards.status();
    FeedVerdict v = verdict_of(f.content, f.source.empty() ? f.name : f.source, f.options, *guards);
    if (!v.accepted)
      return Status::error((v.errors.empty() ? std::string("refused") : v.errors.front()) +
                           (v.errors.size() > 1 ? " (and " + std::to_string(v.errors.size() - 1) + " more)" : ""));
    ParsedFeed out = std::move(v.feed);
    out.iocs = std::move(v.enforce);
    return with_edits(std::move(out), f, *guards);
  }

  // Every feed the last good table lists whose stored copy failed its checks keeps being
  // enforced from that table, as it was: same IoCs, same action.
  void carry_degraded(const table::IocTableView& view, const std::map<std::string, std::string>& problems) {
    for (uint32_t i = 0; i < view.feed_count(); ++i) {
      const std::string name = view.string_at(view.feed(i).name_off);
      if (store_.find(name) != nullptr) continue;
      RecoveredFeed rec = recover_feed(view, name);
      StoredFeed f;
      f.name = name;
      f.action = rec.action;
      f.advisory = rec.advisory;
      f.group = rec.group;
      f.source = "(recovered from table generation " + std::to_string(view.header().generation) + ")";
      f.options.infected_hosts = (view.feed(i).flags & table::kFeedInfectedHosts) != 0;
      f.parsed.iocs = std::move(rec.iocs);
      f.baseline_iocs = f.parsed.iocs.size();
      auto p = problems.find(name);
      f.degraded = p != problems.end() ? p->second : store_.dir() + "/" + name + ".json and .feed are missing";
      log_line(fmt::format("DEGRADED feed '{}': {}; still enforcing its {} IoCs ({}) from table generation {}; {}",
                           name, f.degraded, f.parsed.iocs.size(), table::action_name(f.action),
                           view.header().generation, repair_hint(f)));
      store_.keep_degraded(std::move(f));
    }
  }

  void publish_at_start() {
    // A damaged feed that no table can stand in for would be dropped silently by a new
    // table: hold the publish (the dataplane keeps what it enforces, or stays fail-closed)
    // until the operator pushes or removes it.
    if (!stray_.empty()) {
      std::string names;
      for (const auto& [name, why] : stray_) names += (names.empty() ? "" : ", ") + name;
      pending_ = "publishing is held: feed(s) " + names +
                 " are damaged on disk and no valid table holds them; push each again (iocctl feed push FILE --name "
                 "NAME) or remove it (iocctl feed remove NAME)";
      log_line(pending_);
      return;
    }
    PublishResult r = publisher_.publish(store_, std::time(nullptr), /*reuse_same_content=*/true);
    remember(r);
    if (!r.ok) {
      pending_ = r.error;
      log_line("initial publish failed (retrying every 10 s; the dataplane keeps its table): " + r.error);
      return;
    }
    pending_.clear();
    log_line(fmt::format("{} feed(s) recovered; generation {} {}{}", store_.feeds().size(), r.generation,
                         r.reused ? "republished (unchanged: nothing written to disk)" : "published",
                         r.warning.empty() ? "" : " (" + r.warning + ")"));
  }

  void refresh_health() {
    uint64_t n = stray_.size();
    for (const auto& [name, f] : store_.feeds()) n += !f.degraded.empty();
    degraded_count_.store(n);
    pending_flag_.store(!pending_.empty());
    std::vector<StatsSnapshot::FeedState> states;
    const int64_t now = std::time(nullptr);
    for (const auto& [name, f] : store_.feeds()) states.push_back({name, f.expired(now), !f.degraded.empty(), f.expires_unix});
    for (const auto& [name, why] : stray_) states.push_back({name, false, true, 0});
    std::lock_guard<std::mutex> lock(health_mu_);
    feed_states_ = std::move(states);
  }

  void retry_pending() {
    if (pending_.empty() || !stray_.empty() || std::time(nullptr) - last_retry_ < 10) return;
    last_retry_ = std::time(nullptr);
    publish_at_start();
  }

  std::vector<std::string> live_feed_names(int64_t now) const {
    std::vector<std::string> v;
    for (const auto& [name, f] : store_.feeds())
      if (!f.expired(now)) v.push_back(name);
    return v;
  }

  void republish_on_expiry() {
    const int64_t now = std::time(nullptr);
    auto live = live_feed_names(now);
    if (live == live_feeds_) return;
    live_feeds_ = live;
    PublishResult r = publisher_.publish(store_, now);
    remember(r);
    log_line(r.ok ? fmt::format("a feed expired: generation {} published", r.generation)
                  : "a feed expired but the republish failed: " + r.error);
  }

  // One complete request; the server's guard turns anything thrown into an error reply.
  json handle(CtlCall& call) {
    return std::visit(
        [&](auto& r) -> json {
          using R = std::decay_t<decltype(r)>;
          if constexpr (std::is_same_v<R, FeedPushRequest>) return push(r, call.content, call.peer);
          else if constexpr (std::is_same_v<R, FeedListRequest>) return list();
          else if constexpr (std::is_same_v<R, FeedShowRequest>) return show(r);
          else if constexpr (std::is_same_v<R, FeedRemoveRequest>) return remove(r.name, call.peer);
          else if constexpr (std::is_same_v<R, StatusRequest>) return status();
          else if constexpr (std::is_same_v<R, StatsRequest>) return stats();
          else if constexpr (std::is_same_v<R, ExplainRequest>) return explain(r);
          else if constexpr (std::is_same_v<R, IocAddRequest>) return ioc_add(r, call.peer);
          else if constexpr (std::is_same_v<R, IocRemoveRequest>) return ioc_remove(r, call.peer);
          else if constexpr (std::is_same_v<R, HuntRequest>) return flows_.hunt(r, call.content, store_);
          else if constexpr (std::is_same_v<R, HitsForgetRequest>) return hits_forget(r, call.peer);
          else return report(r);
        },
        call.request.body);
  }

  static json fail(const std::string& e) { return {{"ok", false}, {"error", e}}; }

  json publish_reply(const PublishResult& r) {
    json j = {{"ok", r.ok},
              {"generation", r.generation},
              {"compile_seconds", r.compile_seconds},
              {"enforce_seconds", r.enforce_seconds},
              {"dataplane_running", r.dataplane_running},
              {"enforced", r.enforced},
              {"table", {{"ipv4", r.v4}, {"ipv6", r.v6}, {"domains", r.domains}}}};
    if (!r.warning.empty()) j["warning"] = r.warning;
    if (!r.ok) j["error"] = r.error;
    return j;
  }

  json push(const FeedPushRequest& req, std::string& content, const CtlPeer& peer) {
    const StoredFeed* current = store_.find(req.name);
    StoredFeed f;
    f.name = req.name;
    f.source = req.source;
    f.pushed_by = peer_name(peer);
    if (!valid_feed_name(f.name)) return fail("feed name '" + f.name + "': use 1 to 64 letters, digits, '_', '.', '-'");
    // A re-push keeps what it does not say: action, advisory, group and expiry.
    if (current != nullptr) {
      f.action = current->action;
      f.advisory = current->advisory;
      f.group = current->group;
      f.expires_unix = current->expires_unix;
    }
    if (req.action) {
      auto action = parse_action(*req.action);
      if (!action) return fail("\"action\": '" + *req.action + "': use drop, reject, mirror, alert or allow");
      f.action = *action;
    }
    if (req.advisory) f.advisory = *req.advisory;
    if (req.group) f.group = *req.group;
    if (current != nullptr) f.options.infected_hosts = current->options.infected_hosts;
    if (req.role) {
      if (*req.role != "block" && *req.role != "infected")
        return fail("\"role\": '" + *req.role + "': use block (a list of IoCs) or infected (own hosts to watch)");
      f.options.infected_hosts = *req.role == "infected";
      // A new watch list alerts unless told to mirror; it never blocks the operator's hosts.
      if (f.options.infected_hosts && !req.action && current == nullptr) f.action = table::Action::kAlert;
    }
    if (f.options.infected_hosts && f.action != table::Action::kAlert && f.action != table::Action::kMirror)
      return fail(std::string("a list of infected own hosts (--role infected) is watched, never blocked: use --action alert "
                              "(record every flow) or mirror (and copy it to the mirror port), not ") +
                  table::action_name(f.action));
    const bool confirm = req.confirm;
    const int64_t now = std::time(nullptr);
    if (req.expires) {
      const std::string& expires = *req.expires;
      f.expires_unix = 0;
      if (!expires.empty()) {
        auto t = parse_expiry(expires);
        if (!t) return fail("expiry '" + expires + "': use YYYY-MM-DD or an RFC 3339 time");
        f.expires_unix = *t;
      }
    }
    if (f.expired(now) && !confirm)
      return fail("the feed's expiry (" + std::to_string(f.expires_unix) +
                  ") has already passed: it would not be enforced at all; give a later --expires, or --confirm to "
                  "store it anyway (the live table is unchanged)");
    f.pushed_unix = now;
    if (!req.format.empty()) {
      // The same names `iocgate feed check --format` takes; anything else is refused.
      const std::optional<FeedFormat> ff = feed_format_from_name(req.format);
      if (!ff) return fail("\"format\": unknown format '" + req.format + "' (`iocgate feed check --help` lists them)");
      f.options.format = *ff;
    }
    const bool infected_hosts = f.options.infected_hosts;
    f.options.force = req.force;
    f.options.include_not_for_ids = req.include_not_for_ids;
    f.options.skip_refused = req.skip_refused;
    f.options.infected_hosts = infected_hosts;
    // Guards: nothing over-broad, special-purpose, own or allowlisted reaches the table
    // unless the operator forced that entry: the same verdict `feed check --config` gives.
    Result<GuardConfig> guards = guard_config_from(cfg_);
    if (!guards.ok()) return fail(guards.message() + " (the live table is unchanged)");
    FeedVerdict v = verdict_of(content, f.source, f.options, *guards);
    if (!v.accepted) {
      std::string msg;
      for (size_t i = 0; i < v.errors.size() && i < 20; ++i) msg += (i ? "\n" : "") + v.errors[i];
      if (v.errors.size() > 20) msg += "\n... " + std::to_string(v.errors.size() - 20) + " more refusals";
      return fail(msg + "\n(the feed is refused as a whole; the live table is unchanged)");
    }
    if (v.feed.expired && !confirm)
      return fail("every IoC of this feed has already expired (its valid_until dates have passed): it would enforce "
                  "nothing; --confirm to store it anyway (the live table is unchanged)");
    if (f.options.infected_hosts)
      for (const Ioc& i : v.enforce)
        if (i.kind == IocKind::kDomain)
          return fail(f.source + ":" + std::to_string(i.line) + ": '" + ioc_text(i) +
                      "' is a name; a list of infected own hosts (--role infected) holds addresses (the live table is "
                      "unchanged)");
    // The stored format is the one read, so a reload reads it the same way.
    f.options.format = v.format;
    ParsedFeed parsed = std::move(v.feed);
    parsed.iocs = std::move(v.enforce);
    json notes = json::array();
    for (const std::string& w : v.warnings) notes.push_back(w);
    for (const std::string& l : v.left_out) notes.push_back("left out: " + l);
    for (const std::string& e : v.forced) notes.push_back("forced: " + e);
    FeedParseResult pr{std::nullopt, std::move(parsed)};

    // The shrink guard, against the previous version and against the baseline: a feed can
    // not be walked down in small steps without one confirmation.
    // Distinct already: the parser drops repeats and the guards only take some out.
    const uint64_t count = pr.feed.iocs.size();
    f.baseline_iocs = count;
    if (current != nullptr) {
      if (!confirm) {
        const ShrinkDecision d = check_shrink(current->parsed, pr.feed, *guards);
        if (d.hold) return fail(d.message + "; push again with --confirm to apply it (the live table is unchanged)");
        const double floor = static_cast<double>(current->baseline_iocs) * (1.0 - guards->max_shrink_fraction);
        if (static_cast<double>(count) < floor)
          return fail(fmt::format(
              "the update has {} IoCs, {:.0f}% fewer than the {} this feed had in the largest version pushed without a "
              "hold or confirmed (its baseline), more than max_shrink_percent = {} allows; held for confirmation; "
              "push again with --confirm to apply it (the live table is unchanged)",
              count, 100.0 * (1.0 - static_cast<double>(count) / static_cast<double>(current->baseline_iocs)),
              current->baseline_iocs, cfg_.guards_max_shrink_percent));
        f.baseline_iocs = std::max(current->baseline_iocs, count);
      }
    }
    f.content = std::move(content);
    f.parsed = std::move(pr.feed);

    // What the push adds and removes, against what the feed enforced before (its edits
    // included); a push replaces the single-IoC edits too.
    json diff = diff_of(current != nullptr ? current->parsed.iocs : std::vector<Ioc>{}, f.parsed.iocs);
    if (current != nullptr && (!current->added.empty() || !current->removed.empty()))
      notes.push_back(fmt::format("{} single-IoC edits (iocctl ioc add/remove) replaced by this file",
                                  current->added.size() + current->removed.size()));
    json j = commit(std::move(f), current, now, "pushed");
    if (j.value("ok", false)) {
      j["notes"] = notes;
      j["diff"] = diff;
      // Looking back: which hosts contacted these IoCs before they were enforced.
      if (const StoredFeed* pushed = store_.find(req.name)) j["hunt"] = flows_.after_push(*pushed);
    }
    return j;
  }

  // Stores `f` and publishes; on a publish that wrote nothing, the store goes back to
  // `current` (or loses `f`), so the feed store never says more than the table holds.
  json commit(StoredFeed f, const StoredFeed* current, int64_t now, const char* what) {
    std::optional<StoredFeed> previous;
    if (current != nullptr) previous = *current;
    const std::string name = f.name;
    if (Status s = store_.put(f); !s.ok()) return fail(s.message() + " (the live table is unchanged)");
    stray_.erase(name);
    log_line(fmt::format("feed {} {} by {}: {} IoCs ({})", name, what, f.pushed_by, f.parsed.iocs.size(),
                         table::action_name(f.action)));
    PublishResult r = publisher_.publish(store_, now);
    remember(r);
    if (!r.ok && r.generation == 0) {
      // Nothing was published: put the store back as it was. If that fails too, say so:
      // the stored copy no longer matches the table, and the next start marks it degraded.
      Status undo = previous ? (previous->degraded.empty() ? store_.put(*previous) : Status()) : store_.remove(name);
      if (previous && !previous->degraded.empty()) store_.keep_degraded(*previous);
      return fail(r.error + " (the live table is unchanged)" +
                  (undo.ok() ? "" : "; restoring the feed store failed too: " + undo.message()));
    }
    live_feeds_ = live_feed_names(now);
    json j = publish_reply(r);
    j["feed"] = feed_json(*store_.find(name), now);
    return j;
  }

  // How many IoCs `after` has and `before` lacks, and the reverse, with the first 50 of each
  // in their list's order. Texts are made for those 50 only: a push of a million must not
  // print a million strings to compare them.
  static json diff_of(const std::vector<Ioc>& before, const std::vector<Ioc>& after) {
    // A list may repeat an IoC (a feed with its edits): only its first listing counts.
    auto distinct = [](const std::vector<Ioc>& list, DistinctIocs& set) {
      std::vector<const Ioc*> firsts;
      firsts.reserve(list.size());
      for (const Ioc& i : list) {
        bool is_new;
        set.insert(i, &is_new);
        if (is_new) firsts.push_back(&i);
      }
      return firsts;
    };
    DistinctIocs b(before.size()), a(after.size());
    const std::vector<const Ioc*> in_before = distinct(before, b), in_after = distinct(after, a);
    auto missing = [](const std::vector<const Ioc*>& from, const DistinctIocs& other, json* first) {
      size_t n = 0;
      for (const Ioc* i : from)
        if (!other.contains(*i) && n++ < 50) first->push_back(ioc_text(*i));
      return n;
    };
    json added = json::array(), removed = json::array();
    const size_t n_added = missing(in_after, b, &added);
    const size_t n_removed = missing(in_before, a, &removed);
    return {{"added", n_added}, {"removed", n_removed}, {"added_first", added}, {"removed_first", removed}};
  }

  // What a stored feed enforces: its file's verdict, plus its single-IoC edits.
  Result<ParsedFeed> with_edits(ParsedFeed base, const StoredFeed& f, const GuardConfig& guards) const {
    if (!f.added.empty()) {
      std::string lines;
      for (const std::string& t : f.added) lines += t + "\n";
      FeedOptions o;
      o.format = FeedFormat::kPlain;
      o.force = f.options.force;
      FeedVerdict v = verdict_of(lines, "(iocctl ioc add)", o, guards);
      if (!v.accepted) return Status::error(v.errors.empty() ? "an added IoC is refused" : v.errors.front());
      for (Ioc& i : v.enforce) {
        i.line = 0;  // not a line of the pushed file
        i.label = "added with iocctl ioc add";
        base.iocs.push_back(std::move(i));
      }
    }
    if (!f.removed.empty()) {
      const std::set<std::string> gone(f.removed.begin(), f.removed.end());
      std::erase_if(base.iocs, [&](const Ioc& i) { return gone.count(ioc_text(i)) != 0; });
    }
    return base;
  }

  json ioc_add(const IocAddRequest& req, const CtlPeer& peer) {
    if (!valid_feed_name(req.feed)) return fail("feed name '" + req.feed + "': use 1 to 64 letters, digits, '_', '.', '-'");
    const StoredFeed* current = store_.find(req.feed);
    if (current != nullptr && !current->degraded.empty())
      return fail("feed " + req.feed + " is degraded (" + current->degraded + "): push it again first");
    StoredFeed f;
    if (current != nullptr) {
      f = *current;
    } else {
      f.name = req.feed;
      f.source = "(iocctl ioc add)";
      f.options.format = FeedFormat::kPlain;
    }
    if (req.action) {
      auto a = parse_action(*req.action);
      if (!a) return fail("\"action\": '" + *req.action + "': use drop, reject, mirror, alert or allow");
      if (current != nullptr && *a != current->action)
        return fail("feed " + req.feed + " is " + table::action_name(current->action) +
                    "; ioc add does not change a feed's action (push it with --action)");
      f.action = *a;
    }
    std::vector<std::string> texts, errors;
    for (const std::string& v : req.values) {
      Result<Ioc> i = read_explain_value(v);
      if (i.ok()) texts.push_back(ioc_text(*i));
      else errors.push_back(i.message());
    }
    if (!errors.empty()) return fail(fmt::format("{} (nothing was added)", fmt::join(errors, "\n")));
    for (const std::string& e : req.force) f.options.force.push_back(e);
    std::set<std::string> listed;
    for (const Ioc& i : f.parsed.iocs) listed.insert(ioc_text(i));
    json added = json::array(), already = json::array();
    for (const std::string& t : texts) {
      auto r = std::find(f.removed.begin(), f.removed.end(), t);
      if (r != f.removed.end()) {
        f.removed.erase(r);
        added.push_back(t);
      } else if (listed.count(t) != 0) {
        already.push_back(t);
      } else if (std::find(f.added.begin(), f.added.end(), t) == f.added.end()) {
        f.added.push_back(t);
        added.push_back(t);
        listed.insert(t);
      }
    }
    if (added.empty()) return fail("every value is listed by feed " + req.feed + " already; nothing to add");
    Result<GuardConfig> guards = guard_config_from(cfg_);
    if (!guards.ok()) return fail(guards.message());
    ParsedFeed base;
    if (!f.content.empty() || current == nullptr) {
      FeedVerdict v = verdict_of(f.content, f.source, f.options, *guards);
      base = std::move(v.feed);
      base.iocs = std::move(v.enforce);
    }
    Result<ParsedFeed> eff = with_edits(std::move(base), f, *guards);
    if (!eff.ok()) return fail(eff.message() + "\n(nothing was added; the live table is unchanged)");
    f.parsed = std::move(*eff);
    f.baseline_iocs = std::max<uint64_t>(f.baseline_iocs, distinct_iocs(f.parsed));
    f.pushed_by = peer_name(peer);
    f.pushed_unix = std::time(nullptr);
    json j = commit(std::move(f), current, std::time(nullptr), "edited (ioc add)");
    if (j.value("ok", false)) j["diff"] = {{"added", added}, {"already_listed", already}};
    return j;
  }

  json ioc_remove(const IocRemoveRequest& req, const CtlPeer& peer) {
    const StoredFeed* current = store_.find(req.feed);
    if (current == nullptr) return fail("no feed named '" + req.feed + "'");
    if (!current->degraded.empty())
      return fail("feed " + req.feed + " is degraded (" + current->degraded + "): push it again first");
    StoredFeed f = *current;
    std::set<std::string> listed;
    for (const Ioc& i : f.parsed.iocs) listed.insert(ioc_text(i));
    json removed = json::array(), not_listed = json::array();
    std::vector<std::string> errors;
    for (const std::string& v : req.values) {
      Result<Ioc> i = read_explain_value(v);
      if (!i.ok()) {
        errors.push_back(i.message());
        continue;
      }
      const std::string t = ioc_text(*i);
      if (listed.count(t) == 0) {
        not_listed.push_back(t);
        continue;
      }
      auto a = std::find(f.added.begin(), f.added.end(), t);
      if (a != f.added.end()) f.added.erase(a);
      else if (std::find(f.removed.begin(), f.removed.end(), t) == f.removed.end()) f.removed.push_back(t);
      removed.push_back(t);
      listed.erase(t);
    }
    if (!errors.empty()) return fail(fmt::format("{} (nothing was removed)", fmt::join(errors, "\n")));
    if (removed.empty())
      return fail("none of these is listed by feed " + req.feed + " (`iocctl explain VALUE` shows which feed lists it)");
    std::erase_if(f.parsed.iocs, [&](const Ioc& i) { return listed.count(ioc_text(i)) == 0; });
    f.pushed_by = peer_name(peer);
    json j = commit(std::move(f), current, std::time(nullptr), "edited (ioc remove)");
    if (j.value("ok", false)) j["diff"] = {{"removed", removed}, {"not_listed", not_listed}};
    return j;
  }

  json explain(const ExplainRequest& req) {
    Result<Ioc> q = read_explain_value(req.value);
    if (!q.ok()) return fail(q.message());
    const uint64_t active = cb_->active_generation.load();
    std::shared_ptr<const MappedTable> t = history_.table_of(active);
    if (t == nullptr) t = history_.table_of(history_.newest().generation);
    static const table::IocTableView kEmpty;
    return explain_ioc(*q, req.value, t ? t->view() : kEmpty, t ? t->generation() : 0, store_, std::time(nullptr));
  }

  json list() {
    json feeds = json::array();
    const int64_t now = std::time(nullptr);
    for (const auto& [name, f] : store_.feeds()) feeds.push_back(feed_json(f, now));
    return {{"ok", true}, {"feeds", feeds}};
  }

  json show(const FeedShowRequest& req) {
    const StoredFeed* f = store_.find(req.name);
    if (f == nullptr) return fail("no feed named '" + req.name + "'");
    json j = {{"ok", true}, {"feed", feed_json(*f, std::time(nullptr))}};
    json iocs = json::array();
    const size_t total = f->parsed.iocs.size();
    const size_t first = std::min<size_t>(static_cast<size_t>(req.offset), total);
    const size_t last = req.limit == 0 ? total : std::min<size_t>(total, first + static_cast<size_t>(req.limit));
    for (size_t k = first; k < last; ++k) {
      const Ioc& i = f->parsed.iocs[k];
      iocs.push_back({{"ioc", ioc_text(i)}, {"line", i.line}, {"label", i.label}});
    }
    j["iocs"] = iocs;
    j["offset"] = first;
    j["total"] = total;
    j["next_offset"] = last < total ? json(last) : json(nullptr);
    j["edits"] = {{"added", f->added}, {"removed", f->removed}};
    return j;
  }

  json remove(const std::string& name, const CtlPeer& peer) {
    if (store_.find(name) == nullptr && stray_.count(name) == 0) return fail("no feed named '" + name + "'");
    log_line("feed " + name + " removed by " + peer_name(peer));
    stray_.erase(name);
    if (Status s = store_.remove(name); !s.ok()) return fail(s.message());
    PublishResult r = publisher_.publish(store_, std::time(nullptr));
    remember(r);
    live_feeds_ = live_feed_names(std::time(nullptr));
    return publish_reply(r);
  }

  // What the dataplane enforces, read from its side of the control block, and one state
  // word that iocctl status turns into its exit code (docs/APPLIANCE.md).
  json status() {
    const uint64_t hz = cb_->tsc_hz.load();
    auto alive = [&](uint64_t beat) { return tsc_fresh(beat, hz, 2.0); };
    json workers = json::array();
    const bool running = publisher_.dataplane_running();
    const uint64_t published = cb_->published_generation.load();
    const uint64_t active = cb_->active_generation.load();
    const uint32_t n = running ? std::min(cb_->worker_count.load(), kMaxWorkers) : 0;
    bool workers_ok = n > 0;
    for (uint32_t i = 0; i < n; ++i) {
      const WorkerSlot& w = cb_->workers[i];
      const bool w_alive = w.running.load() != 0 && alive(w.heartbeat_tsc.load());
      workers_ok = workers_ok && w_alive && w.generation.load() == published;
      workers.push_back({{"worker", i},
                         {"lcore", w.lcore},
                         {"alive", w_alive},
                         {"generation", w.generation.load()},
                         {"rx_packets", w.counters.rx_packets},
                         {"dropped_packets", w.counters.dropped_packets}});
    }
    json ports = json::array();
    const uint32_t np = running ? std::min(cb_->port_count.load(), kMaxPorts) : 0;
    for (uint32_t i = 0; i < np; ++i) {
      const PortSlot& p = cb_->ports[i];
      ports.push_back({{"name", std::string(p.name, strnlen(p.name, sizeof(p.name)))},
                       {"up", p.link_up.load() != 0},
                       {"speed_mbps", p.link_speed_mbps.load()},
                       {"rx_packets", p.ipackets.load()},
                       {"tx_packets", p.opackets.load()},
                       {"missed", p.imissed.load()},
                       {"rx_errors", p.ierrors.load()},
                       {"tx_errors", p.oerrors.load()}});
    }
    const int64_t now = std::time(nullptr);
    size_t expired = 0;
    json degraded = json::array();
    for (const auto& [name, f] : store_.feeds()) {
      expired += f.expired(now);
      if (!f.degraded.empty()) degraded.push_back({{"name", name}, {"problem", f.degraded}, {"repair", repair_hint(f)}});
    }
    const auto source = static_cast<TableSource>(cb_->table_source.load());
    const char* source_text = source == TableSource::kPublished    ? "published"
                              : source == TableSource::kStore      ? "table store (newest)"
                              : source == TableSource::kOlderStore ? "table store (an OLDER generation: newer ones damaged)"
                              : source == TableSource::kFailClosed ? "none: FAIL-CLOSED, dropping every packet"
                                                                   : "none";
    // The most serious state first; iocctl maps each to its own exit code.
    std::string state = "enforcing";
    json problems = json::array();
    if (!running) {
      state = "dataplane-down";
      problems.push_back("the dataplane is not running: nothing forwards (fail-closed without a bypass)");
    } else if (source == TableSource::kFailClosed && active == 0) {
      state = "fail-closed";
      problems.push_back("the dataplane found no valid table and drops every packet");
    } else if (!workers_ok || active != published) {
      state = "lagging";
      problems.push_back(fmt::format("not every worker is alive and on the published generation {} (active {})",
                                     published, active));
    } else if (!degraded.empty() || !stray_.empty()) {
      state = "feeds-degraded";
      for (const json& d : degraded) problems.push_back("feed " + d["name"].get<std::string>() + " is degraded");
    } else if (!pending_.empty()) {
      state = "publish-pending";
      problems.push_back("the last publish failed: " + pending_);
    }
    for (const auto& [name, why] : stray_) {
      problems.push_back("feed " + name + " is damaged and NOT enforced: " + why);
      degraded.push_back({{"name", name}, {"problem", why + " (not enforced: no valid table holds it)"},
                          {"repair", "push it again: iocctl feed push FILE --name " + name + "  (or iocctl feed remove " +
                                         name + ")"}});
    }
    if (!pending_.empty() && state != "publish-pending") problems.push_back("the last publish failed: " + pending_);
    const TableHistory::Entries t = history_.entries_of(active);
    return {{"ok", true},
            {"instance", cfg_.instance},
            {"state", state},
            {"problems", problems},
            {"generation", {{"published", published},
                            {"active", active},
                            {"active_checksum", fmt::format("{:016x}", cb_->active_checksum.load())},
                            {"source", source_text}}},
            {"table", {{"ipv4", cb_->active_entries[0].load()},
                       {"ipv6", cb_->active_entries[1].load()},
                       {"domains", cb_->active_entries[2].load()},
                       {"age_seconds", t.compiled_unix == 0 ? 0 : now - t.compiled_unix}}},
            {"feeds", {{"count", store_.feeds().size()}, {"expired", expired}, {"degraded", degraded}}},
            {"dataplane", {{"running", running},
                           {"pid", running ? cb_->dataplane_pid.load() : 0},
                           {"uptime_seconds", running ? now - static_cast<int64_t>(cb_->dataplane_start_unix.load()) : 0}}},
            {"workers", workers},
            {"ports", ports}};
  }

  // Keeps the generation just written, so the events that name it can be resolved.
  void remember(const PublishResult& r) {
    if (r.generation == 0) return;
    const std::string path = publisher_.table_store().path_of(r.generation);
    if (Status s = history_.add_file(path, owners_, {cfg_.instance, r.generation}); !s.ok())
      log_line("cannot map the table for event reports: " + s.message());
  }

  StatsSnapshot snapshot() const {
    StatsSnapshot s;
    read_control_block(*cb_, publisher_.dataplane_running(), &s);
    s.table = history_.newest();
    stats_.fill(&s);
    // Runs on the metrics thread: only the atomics the control thread keeps current.
    s.publish_pending = pending_flag_.load();
    s.feeds_degraded = degraded_count_.load();
    std::lock_guard<std::mutex> lock(health_mu_);
    s.feed_states = feed_states_;
    return s;
  }

  json stats() {
    json j = stats_json(snapshot());
    j["ok"] = true;
    return j;
  }

  // A mistaken feed's hits out of the review store, audited (who, when, how much); the live
  // counters of /metrics keep what they counted until the next start rebuilds them.
  json hits_forget(const HitsForgetRequest& req, const CtlPeer& peer) {
    const std::string by = peer_name(peer);
    Result<ForgetResult> r = hits_.forget(req.feed, by, wall_now_ms());
    if (!r.ok()) return fail(r.message());
    log_line(fmt::format("review store: the hits of feed '{}' forgotten by {}: {} records, {} flows", req.feed, by,
                         r->records, r->flows));
    return {{"ok", true},
            {"forgotten", {{"feed", req.feed}, {"by", by}, {"records", r->records}, {"listings", r->listings},
                           {"flows", r->flows}, {"packets", r->packets}, {"files", r->files}}}};
  }

  json report(const ReportRequest& req) {
    const int64_t now_ms = wall_now_ms();
    Result<ReportQuery> q = report_query_of(req, now_ms, cfg_.instance);
    if (!q.ok()) return fail(q.message());
    // The names the report may be asked for: an unknown one is an error, not an empty report.
    ReportCatalog c;
    for (const auto& [name, f] : store_.feeds()) c.current.push_back({name, f.advisory, f.group});
    c.seen = hits_.names();
    c.forgotten = read_forget_audit(cfg_.hits_dir());
    Result<json> r = build_review_report(hits_, *q, c);
    if (!r.ok()) return fail(r.message());
    // Who contacted each feed's IoCs before its push, from the flow history.
    std::vector<std::string> named = req.feeds;
    if (!req.feed.empty()) named.push_back(req.feed);
    json before = named.empty() ? flows_.before_advisory(store_, "") : json::array();
    for (const std::string& f : named)
      for (json& s : flows_.before_advisory(store_, f)) before.push_back(std::move(s));
    (*r)["before_advisory"] = std::move(before);
    return {{"ok", true}, {"report", std::move(*r)}};
  }

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  TrustedOwners owners_;
  FeedStore store_;
  TablePublisher publisher_;
  std::vector<std::string> live_feeds_;
  std::map<std::string, std::string> stray_;  // damaged feeds no valid table holds: name -> problem
  std::string pending_;                      // why the last start-up publish failed
  // Copies of the health above for the metrics thread (refresh_health keeps them current).
  std::atomic<uint64_t> degraded_count_{0};
  std::atomic<bool> pending_flag_{false};
  mutable std::mutex health_mu_;
  std::vector<StatsSnapshot::FeedState> feed_states_;
  int64_t last_retry_ = 0;
  std::unique_ptr<CtlServer> ctl_;
  TableHistory history_;
  HitStore hits_;
  HitStats stats_;
  EventCollector collector_;
  FlowHistory flows_;
  MetricsServer metrics_;
};

}  // namespace

int run_control(const ApplianceConfig& cfg) {
  const TrustedOwners owners = trusted_owners(cfg.control_user, cfg.socket_group);
  // Root is given up before any feed, request or table is read.
  if (Status s = become_control_user(cfg, owners); !s.ok()) {
    log_line(s.message());
    return kExitConfig;
  }
  Result<ControlBlock*> opened = open_control_block(cfg, owners);
  if (!opened.ok()) {
    log_line(opened.message());
    return kExitConfig;
  }
  ControlBlock* cb = *opened;
  const uint64_t other = cb->control_pid.load();
  if (other != static_cast<uint64_t>(getpid()) && process_alive(other)) {
    log_line("another control process (pid " + std::to_string(other) + ") serves instance '" + cfg.instance + "'");
    return kExitConfig;
  }
  cb->control_pid.store(static_cast<uint64_t>(getpid()));
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  ControlServer server(cfg, cb, owners);
  if (Status s = server.start(); !s.ok()) {
    log_line(s.message());
    cb->control_pid.store(0);
    // Not a configuration error: a full or read-only disk, a socket in use. systemd retries.
    return kExitTemporary;
  }
  server.serve();
  cb->control_pid.store(0);
  log_line("stopped");
  return 0;
}

}  // namespace iocgate
