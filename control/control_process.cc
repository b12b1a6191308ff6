// control/control_process.cc — `iocgate control`: recovers the stored feeds, publishes the
// table, and serves iocctl on a unix socket, one request at a time (pushes are serialised,
// so generations never interleave). Two threads beside it: the event collector (drains the
// workers' event rings) and the /metrics server.

#include "control/control_process.h"

#include <arpa/inet.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
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
#include "control/event_collector.h"
#include "control/feed_file.h"
#include "control/feed_store.h"
#include "control/hit_store.h"
#include "control/metrics_server.h"
#include "control/review_report.h"
#include "control/stats.h"
#include "control/table_history.h"
#include "control/table_publisher.h"
#include "feeds/feed_guards.h"
#include "feeds/feed_parser.h"
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

json feed_json(const StoredFeed& f, int64_t now) {
  json skipped = json::object();
  for (const auto& [why, n] : f.parsed.skipped) skipped[why] = n;
  return {{"name", f.name},
          {"action", table::action_name(f.action)},
          {"advisory", f.advisory},
          {"group", f.group},
          {"source", f.source},
          {"format", feed_format_name(f.parsed.format)},
          {"pushed_unix", f.pushed_unix},
          {"expires_unix", f.expires_unix},
          {"expired", f.expired(now)},
          {"iocs", f.parsed.iocs.size()},
          {"by_kind", summarize_iocs(f.parsed)},
          {"skipped", skipped}};
}

class ControlServer {
 public:
  ControlServer(const ApplianceConfig& cfg, ControlBlock* cb, const TrustedOwners& owners)
      : cfg_(cfg),
        cb_(cb),
        owners_(owners),
        store_(cfg.feeds_dir()),
        publisher_(cfg, cb, owners),
        hits_(cfg.hits_dir()),
        collector_(cfg, cb, history_, hits_, stats_),
        metrics_([this] { return render_prometheus(snapshot()); }) {}

  bool start(std::string* error) {
    std::vector<std::string> problems;
    if (!store_.load(&problems, error)) return false;
    for (const std::string& p : problems) log_line(p);
    publisher_.recover();
    // The generation the dataplane may still run, so its pending events resolve.
    if (Result<TableStore::Found> found = publisher_.table_store().newest_valid(); found.ok()) {
      if (Status s = history_.add_file(found->table->path(), owners_, {cfg_.instance, found->table->generation()});
          !s.ok())
        log_line("cannot keep the stored table for event reports: " + s.message());
    } else if (publisher_.table_store().has_enforced_before()) {
      log_line("the table store holds no valid table: " + found.message());
    }
    if (!collector_.start(error)) return false;
    live_feeds_ = live_feed_names(std::time(nullptr));
    // Publishing at start-up also completes a publish that a crash interrupted. A compile
    // equal to the newest stored table writes nothing: a full state disk does not stop us.
    PublishResult r = publisher_.publish(store_, std::time(nullptr), /*reuse_same_content=*/true);
    if (!r.ok) {
      *error = "initial publish failed: " + r.error;
      return false;
    }
    last_ = r;
    remember(r);
    log_line(fmt::format("{} feed(s) recovered; generation {} {}{}", store_.feeds().size(), r.generation,
                         r.reused ? "republished (unchanged: nothing written to disk)" : "published",
                         r.warning.empty() ? "" : " (" + r.warning + ")"));
    if (!cfg_.metrics_listen.empty()) {
      std::string merr;
      if (metrics_.start(cfg_.metrics_listen, &merr)) log_line("metrics on http://" + cfg_.metrics_listen + "/metrics");
      else log_line(merr + ": /metrics is NOT served");
    }
    log_line("event log " + cfg_.events_path + ", review store " + cfg_.hits_dir());
    return listen_socket(error);
  }

  void serve() {
    while (!g_stop.load()) {
      pollfd p{listen_fd_, POLLIN, 0};
      const int rc = poll(&p, 1, 1000);
      if (rc < 0 && errno != EINTR) break;
      if (rc > 0 && (p.revents & POLLIN)) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          timeval tv{30, 0};
          setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
          handle(fd);
          close(fd);
        }
      }
      republish_on_expiry();
    }
    close(listen_fd_);
    unlink(cfg_.socket_path.c_str());
    metrics_.stop();
    collector_.stop();  // drains the rings and flushes the review store
  }

 private:
  bool listen_socket(std::string* error) {
    std::error_code ec;
    const auto dir = std::filesystem::path(cfg_.socket_path).parent_path();
    std::filesystem::create_directories(dir, ec);
    unlink(cfg_.socket_path.c_str());
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (cfg_.socket_path.size() >= sizeof(addr.sun_path)) {
      *error = cfg_.socket_path + ": socket path too long";
      return false;
    }
    std::memcpy(addr.sun_path, cfg_.socket_path.c_str(), cfg_.socket_path.size() + 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(listen_fd_, 16) != 0) {
      *error = cfg_.socket_path + ": " + std::strerror(errno);
      return false;
    }
    // Only root and the operators' group may push feeds.
    chmod(cfg_.socket_path.c_str(), 0660);
    if (group* g = getgrnam(cfg_.socket_group.c_str())) {
      if (chown(cfg_.socket_path.c_str(), 0, g->gr_gid) != 0)
        log_line(cfg_.socket_path + ": cannot give it to group " + cfg_.socket_group + ": " + std::strerror(errno));
    } else {
      log_line("group '" + cfg_.socket_group + "' does not exist: only root may use iocctl");
    }
    log_line("listening on " + cfg_.socket_path);
    return true;
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
    if (r.ok) last_ = r;
    log_line(r.ok ? fmt::format("a feed expired: generation {} published", r.generation)
                  : "a feed expired but the republish failed: " + r.error);
  }

  void handle(int fd) {
    json req;
    std::string payload, error;
    if (!read_message(fd, &req, &payload, &error)) {
      write_message(fd, {{"ok", false}, {"error", error}});
      return;
    }
    const std::string cmd = req.value("cmd", "");
    json reply;
    if (cmd == "feed.push") reply = push(req, payload);
    else if (cmd == "feed.list") reply = list();
    else if (cmd == "feed.show") reply = show(req.value("name", ""));
    else if (cmd == "feed.remove") reply = remove(req.value("name", ""));
    else if (cmd == "status") reply = status();
    else if (cmd == "stats") reply = stats();
    else if (cmd == "report") reply = report(req);
    else reply = {{"ok", false}, {"error", "unknown command '" + cmd + "'"}};
    write_message(fd, reply);
  }

  static json fail(const std::string& e) { return {{"ok", false}, {"error", e}}; }

  json publish_reply(const PublishResult& r) {
    json j = {{"ok", r.ok},
              {"generation", r.generation},
              {"compile_seconds", r.compile_seconds},
              {"enforce_seconds", r.enforce_seconds},
              {"dataplane_running", r.dataplane_running},
              {"table", {{"ipv4", r.v4}, {"ipv6", r.v6}, {"domains", r.domains}}}};
    if (!r.warning.empty()) j["warning"] = r.warning;
    if (!r.ok) j["error"] = r.error;
    return j;
  }

  json push(const json& req, const std::string& content) {
    StoredFeed f;
    f.name = req.value("name", "");
    f.source = req.value("source", f.name);
    if (!valid_feed_name(f.name)) return fail("feed name '" + f.name + "': use 1 to 64 letters, digits, '_', '.', '-'");
    auto action = parse_action(req.value("action", "drop"));
    if (!action) return fail("action '" + req.value("action", "") + "': use drop, mirror, alert or allow");
    f.action = *action;
    f.advisory = req.value("advisory", "");
    f.group = req.value("group", "");
    const std::string expires = req.value("expires", "");
    if (!expires.empty()) {
      auto t = parse_expiry(expires);
      if (!t) return fail("expiry '" + expires + "': use YYYY-MM-DD or an RFC 3339 time");
      f.expires_unix = *t;
    }
    f.pushed_unix = std::time(nullptr);
    ParseOptions opts;
    opts.file_name = f.source;
    if (req.contains("format") && req["format"].is_string()) {
      const std::string fmt_name = req["format"];
      // The explicit format is honoured when the parser knows it; content decides otherwise.
      for (FeedFormat ff : {FeedFormat::kPlain, FeedFormat::kMispCsv, FeedFormat::kStix21})
        if (fmt_name == feed_format_name(ff)) opts.format = ff;
    }
    FeedParseResult pr = parse_feed(content, opts);
    if (!pr.ok()) return fail(pr.error->message() + " (the live table is unchanged)");
    // Guards: nothing over-broad, special-purpose, own or allowlisted reaches the table
    // unless the operator forced that entry.
    std::string guard_error;
    const std::optional<GuardConfig> guards = guard_config(&guard_error);
    if (!guards) return fail(guard_error + " (the live table is unchanged)");
    std::set<std::string> forced;
    if (req.contains("force") && req["force"].is_array())
      for (const auto& e : req["force"]) if (e.is_string()) forced.insert(e.get<std::string>());
    GuardResult gr = apply_guards(pr.feed, *guards, forced);
    if (!gr.ok()) {
      std::string msg;
      for (size_t i = 0; i < gr.refused.size() && i < 20; ++i)
        msg += (i ? "\n" : "") + gr.refused[i].message(f.source);
      if (gr.refused.size() > 20) msg += "\n... " + std::to_string(gr.refused.size() - 20) + " more refusals";
      return fail(msg + "\n(the feed is refused as a whole; the live table is unchanged)");
    }
    pr.feed.iocs = std::move(gr.accepted);
    if (const StoredFeed* current = store_.find(f.name); current != nullptr && !req.value("confirm", false)) {
      const ShrinkDecision d = check_shrink(current->parsed, pr.feed, *guards);
      if (d.hold) return fail(d.message + "; push again with --confirm to apply it");
    }
    f.content = content;
    f.parsed = std::move(pr.feed);

    const StoredFeed* old = store_.find(f.name);
    std::optional<StoredFeed> previous;
    if (old != nullptr) previous = *old;
    std::string error;
    if (!store_.put(f, &error)) return fail(error + " (the live table is unchanged)");
    PublishResult r = publisher_.publish(store_, std::time(nullptr));
    remember(r);
    if (!r.ok && r.generation == 0) {
      // Nothing was published: put the store back as it was.
      std::string ignored;
      if (previous) store_.put(*previous, &ignored);
      else store_.remove(f.name, &ignored);
      return fail(r.error + " (the live table is unchanged)");
    }
    if (r.ok) last_ = r;
    live_feeds_ = live_feed_names(std::time(nullptr));
    json j = publish_reply(r);
    j["feed"] = feed_json(*store_.find(f.name), std::time(nullptr));
    return j;
  }

  std::optional<GuardConfig> guard_config(std::string* error) const {
    GuardConfig g;
    g.min_prefix_v4 = static_cast<uint8_t>(cfg_.guards_min_prefix_v4);
    g.min_prefix_v6 = static_cast<uint8_t>(cfg_.guards_min_prefix_v6);
    g.max_shrink_fraction = cfg_.guards_max_shrink_percent / 100.0;
    for (const std::string& n : cfg_.internal_networks) {
      std::string why;
      auto p = parse_ip_prefix(n, why);
      if (!p) {
        *error = cfg_.path + ": [network] internal: '" + n + "': " + why;
        return std::nullopt;
      }
      g.own_networks.push_back({*p, n});
    }
    if (!cfg_.guards_allowlist.empty()) {
      std::ifstream in(cfg_.guards_allowlist);
      if (!in) {
        *error = cfg_.guards_allowlist + ": cannot read the allowlist ([guards] allowlist)";
        return std::nullopt;
      }
      std::ostringstream ss;
      ss << in.rdbuf();
      if (!parse_allowlist(ss.str(), cfg_.guards_allowlist, g.allowlist, *error)) return std::nullopt;
    }
    return g;
  }

  json list() {
    json feeds = json::array();
    const int64_t now = std::time(nullptr);
    for (const auto& [name, f] : store_.feeds()) feeds.push_back(feed_json(f, now));
    return {{"ok", true}, {"feeds", feeds}};
  }

  json show(const std::string& name) {
    const StoredFeed* f = store_.find(name);
    if (f == nullptr) return fail("no feed named '" + name + "'");
    json j = {{"ok", true}, {"feed", feed_json(*f, std::time(nullptr))}};
    json iocs = json::array();
    for (const Ioc& i : f->parsed.iocs) {
      if (iocs.size() == 1000) break;
      std::string text = i.domain;
      if (i.kind != IocKind::kDomain) {
        char buf[64];
        inet_ntop(i.kind == IocKind::kIpv4 ? AF_INET : AF_INET6, i.addr.data(), buf, sizeof(buf));
        text = buf;
        if (i.prefix_len != (i.kind == IocKind::kIpv4 ? 32 : 128)) text += "/" + std::to_string(i.prefix_len);
      }
      iocs.push_back({{"ioc", text}, {"line", i.line}, {"label", i.label}});
    }
    j["iocs"] = iocs;
    j["iocs_truncated"] = f->parsed.iocs.size() > iocs.size();
    return j;
  }

  json remove(const std::string& name) {
    if (store_.find(name) == nullptr) return fail("no feed named '" + name + "'");
    std::string error;
    if (!store_.remove(name, &error)) return fail(error);
    PublishResult r = publisher_.publish(store_, std::time(nullptr));
    remember(r);
    if (r.ok) last_ = r;
    live_feeds_ = live_feed_names(std::time(nullptr));
    return publish_reply(r);
  }

  json status() {
    const uint64_t hz = cb_->tsc_hz.load();
    auto alive = [&](uint64_t beat) { return tsc_fresh(beat, hz, 2.0); };
    json workers = json::array();
    const bool running = publisher_.dataplane_running();
    const uint32_t n = running ? std::min(cb_->worker_count.load(), kMaxWorkers) : 0;
    for (uint32_t i = 0; i < n; ++i) {
      const WorkerSlot& w = cb_->workers[i];
      workers.push_back({{"worker", i},
                         {"lcore", w.lcore},
                         {"alive", w.running.load() != 0 && alive(w.heartbeat_tsc.load())},
                         {"generation", w.generation.load()},
                         {"rx_packets", w.counters.rx_packets},
                         {"dropped_packets", w.counters.dropped_packets}});
    }
    json ports = json::array();
    const uint32_t np = running ? std::min(cb_->port_count.load(), kMaxPorts) : 0;
    for (uint32_t i = 0; i < np; ++i) {
      const PortSlot& p = cb_->ports[i];
      ports.push_back({{"name", std::string(p.name)},
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
    for (const auto& [name, f] : store_.feeds()) expired += f.expired(now);
    return {{"ok", true},
            {"instance", cfg_.instance},
            {"generation", {{"published", cb_->published_generation.load()},
                            {"active", cb_->active_generation.load()}}},
            {"table", {{"ipv4", last_.v4}, {"ipv6", last_.v6}, {"domains", last_.domains},
                       {"age_seconds", now - last_published_unix()}}},
            {"feeds", {{"count", store_.feeds().size()}, {"expired", expired}}},
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
    return s;
  }

  json stats() {
    json j = stats_json(snapshot());
    j["ok"] = true;
    return j;
  }

  json report(const json& req) {
    const int64_t now_ms = wall_now_ms();
    const int64_t since_s = req.value("since_seconds", int64_t{86400});
    if (since_s < 0) return fail("--since must not be negative");
    ReportScope scope;
    scope.generated_ms = now_ms;
    scope.since_ms = now_ms - since_s * 1000;
    scope.feed = req.value("feed", "");
    scope.instance = cfg_.instance;
    return {{"ok", true}, {"report", build_review_report(hits_.read(scope.since_ms, scope.feed), scope)}};
  }

  int64_t last_published_unix() {
    std::string error;
    struct stat st;
    if (stat(cfg_.table_file().c_str(), &st) == 0) return st.st_mtime;
    return std::time(nullptr);
  }

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  TrustedOwners owners_;
  FeedStore store_;
  TablePublisher publisher_;
  PublishResult last_;
  std::vector<std::string> live_feeds_;
  int listen_fd_ = -1;
  TableHistory history_;
  HitStore hits_;
  HitStats stats_;
  EventCollector collector_;
  MetricsServer metrics_;
};

}  // namespace

int run_control(const ApplianceConfig& cfg) {
  std::string error;
  const TrustedOwners owners = trusted_owners(cfg.control_user, cfg.socket_group);
  Result<ControlBlock*> opened = open_control_block(cfg, owners);
  if (!opened.ok()) {
    log_line(opened.message());
    return 2;
  }
  ControlBlock* cb = *opened;
  const uint64_t other = cb->control_pid.load();
  if (other != static_cast<uint64_t>(getpid()) && process_alive(other)) {
    log_line("another control process (pid " + std::to_string(other) + ") serves instance '" + cfg.instance + "'");
    return 2;
  }
  cb->control_pid.store(static_cast<uint64_t>(getpid()));
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  ControlServer server(cfg, cb, owners);
  if (!server.start(&error)) {
    log_line(error);
    return 2;
  }
  server.serve();
  cb->control_pid.store(0);
  log_line("stopped");
  return 0;
}

}  // namespace iocgate
