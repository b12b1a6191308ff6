// control/event_collector.cc — ring draining, resolution, host and direction, fan-out.

#include "control/event_collector.h"

#include <filesystem>

#include "feeds/ip_prefix.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstring>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shm/event_text.h"
#include "shm/shm_protocol.h"

namespace iocgate {

namespace {

constexpr size_t kMaxOpenFlows = 1u << 20;
constexpr int64_t kFlushEveryMs = 2000;

const char* proto_name(uint8_t p) {
  switch (p) {
    case 6: return "tcp";
    case 17: return "udp";
    case 1: return "icmp";
    case 58: return "icmpv6";
    default: return nullptr;
  }
}

std::string flow_key(const MatchEvent& e, uint32_t worker) {
  std::string k(reinterpret_cast<const char*>(&worker), 4);
  k.push_back(static_cast<char>(e.ip_version));
  k.push_back(static_cast<char>(e.proto));
  k.append(reinterpret_cast<const char*>(e.client), 16);
  k.append(reinterpret_cast<const char*>(e.server), 16);
  k.append(reinterpret_cast<const char*>(&e.client_port), 2);
  k.append(reinterpret_cast<const char*>(&e.server_port), 2);
  return k;
}

}  // namespace

int64_t wall_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Status InternalNetworks::parse(const std::vector<std::string>& cidrs) {
  nets_.clear();
  for (const std::string& c : cidrs) {
    // The one parse of a prefix (feeds/ip_prefix), as the guards read [network] internal.
    std::string why;
    const std::optional<IpPrefix> p = parse_ip_prefix(c, why);
    if (!p) return Status::error("[network] internal: '" + c + "': " + why);
    Net n{};
    n.version = p->kind == IocKind::kIpv4 ? 4 : 6;
    n.len = p->prefix_len;
    std::memcpy(n.addr, p->addr.data(), sizeof(n.addr));
    nets_.push_back(n);
  }
  return Status();
}

bool InternalNetworks::contains(uint8_t ip_version, const uint8_t* addr) const {
  for (const Net& n : nets_) {
    if (n.version != ip_version) continue;
    const int full = n.len / 8, rest = n.len % 8;
    if (std::memcmp(addr, n.addr, full) != 0) continue;
    if (rest != 0) {
      const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
      if ((addr[full] & mask) != (n.addr[full] & mask)) continue;
    }
    return true;
  }
  return false;
}

FlowParties flow_parties(const MatchEvent& e, const InternalNetworks& nets) {
  const IocSide side = static_cast<IocSide>(e.ioc_side);
  const bool ci = nets.contains(e.ip_version, e.client), si = nets.contains(e.ip_version, e.server);
  FlowParties p;
  bool host_is_client;
  if (ci != si) host_is_client = ci;
  else host_is_client = side != IocSide::kClient;  // the end that is not listed
  if (nets.empty()) p.direction = "unknown";
  else if (ci && !si) p.direction = "outbound";
  else if (si && !ci) p.direction = "inbound";
  else if (ci && si) p.direction = "internal";
  else p.direction = "external";
  p.host = format_address(e.ip_version, host_is_client ? e.client : e.server);
  p.ioc_is_host = (side == IocSide::kClient && host_is_client) || (side == IocSide::kServer && !host_is_client);
  return p;
}

EventLogConfig event_log_config(const ApplianceConfig& cfg) {
  EventLogConfig c;
  c.path = cfg.events_path;
  c.max_bytes = cfg.events_max_bytes;
  c.keep = cfg.events_keep;
  c.syslog = cfg.events_syslog;
  c.rate_limit_per_s = cfg.events_rate_limit_per_s;
  return c;
}

EventCollector::EventCollector(const ApplianceConfig& cfg, ControlBlock* cb, TableHistory& history,
                               HitStore& store, HitStats& stats)
    : cfg_(cfg),
      cb_(cb),
      history_(history),
      store_(store),
      stats_(stats),
      log_(event_log_config(cfg)),
      open_(cfg.hits_dir() + "/open-flows.journal", kMaxOpenFlows) {}

EventCollector::~EventCollector() { stop(); }

Status EventCollector::start() {
  if (Status s = nets_.parse(cfg_.internal_networks); !s.ok()) return s.prefixed(cfg_.path + ": ");
  std::error_code ec;
  std::filesystem::create_directories(cfg_.hits_dir(), ec);
  if (Status s = open_.load(); !s.ok()) return s.prefixed("open flows: ");
  if (open_.torn_lines() != 0)
    std::fprintf(stderr, "iocgate control: open flows: %llu torn journal line(s) skipped (a kill -9 mid-write)\n",
                 static_cast<unsigned long long>(open_.torn_lines()));
  if (!log_.error().empty()) return Status::error("event log: " + log_.error());
  if (cb_ != nullptr) thread_ = std::thread([this] { run(); });
  return Status();
}

void EventCollector::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
}

int64_t EventCollector::wall_ms_of(uint64_t tsc) {
  const uint64_t hz = cb_->tsc_hz.load();
  if (hz == 0) return wall_now_ms();
  const int64_t now = wall_now_ms();
  if (ref_taken_ms_ == 0 || now - ref_taken_ms_ > 60000) {
    ref_tsc_ = read_tsc();
    ref_wall_ms_ = now;
    ref_taken_ms_ = now;
  }
  const int64_t d = static_cast<int64_t>(tsc - ref_tsc_);  // signed: events precede the reference
  return ref_wall_ms_ + static_cast<int64_t>(static_cast<double>(d) * 1000.0 / static_cast<double>(hz));
}

size_t EventCollector::drain() {
  size_t n = 0;
  const uint32_t workers = std::min(cb_->worker_count.load(), kMaxWorkers);
  for (uint32_t w = 0; w < workers; ++w) {
    MatchEvent e;
    // Bounded per pass so one busy worker cannot starve the others' rings.
    for (uint32_t i = 0; i < EventRing::kSlots && cb_->workers[w].events.pop(&e); ++i, ++n)
      handle(e, w, wall_ms_of(e.time));
  }
  return n;
}

void EventCollector::run() {
  while (!stop_.load()) {
    const size_t n = drain();
    tick(wall_now_ms());
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  drain();
  last_flush_ms_ = 0;
  tick(wall_now_ms());
}

void EventCollector::tick(int64_t now_ms) {
  log_.tick(now_ms);
  stats_.set_log_counts(log_.written(), log_.suppressed());
  if (now_ms - last_flush_ms_ >= kFlushEveryMs) {
    std::string error;
    if (!store_.flush(now_ms, &error)) std::fprintf(stderr, "iocgate control: review store: %s\n", error.c_str());
    if (Status s = open_.flush(); !s.ok())
      std::fprintf(stderr, "iocgate control: open flows: %s\n", s.message().c_str());
    last_flush_ms_ = now_ms;
  }
}

void EventCollector::handle(const MatchEvent& e, uint32_t worker, int64_t wall_ms) {
  const bool summary = static_cast<EventType>(e.type) == EventType::kSummary;
  OpenFlow o;
  bool resolved = false;
  const std::string key = flow_key(e, worker);
  const OpenFlow* known = summary ? open_.find(key) : nullptr;
  const bool was_open = open_.find(key) != nullptr;
  if (known != nullptr) {
    o = *known;
    open_.erase(key);
    resolved = true;
  } else {
    // The event's own generation when it is kept; else the key (name or address) in the
    // newest table; else the key alone. Never a record index read in another table.
    if (auto r = history_.resolve(e.generation, e.match)) {
      o.ioc = std::move(*r);
      resolved = true;
    } else if (auto k = history_.resolve_by_key(e)) {
      o.ioc = std::move(*k);
      resolved = true;
    } else {
      const uint8_t* addr = static_cast<IocSide>(e.ioc_side) == IocSide::kClient ? e.client : e.server;
      o.ioc.ioc = e.name_len > 0 ? std::string(e.name, std::min<size_t>(e.name_len, sizeof(e.name)))
                                 : format_address(e.ip_version, addr);
      o.ioc.feed = "(no longer listed)";
      o.ioc.action = table::action_name(table::Match{e.match}.action());
    }
    o.kind = match_kind_name(e.kind);
    const FlowParties parties = flow_parties(e, nets_);
    o.host = parties.host;
    o.direction = parties.direction;
    o.ioc_is_host = parties.ioc_is_host;
  }
  stats_.count_event(summary, resolved);

  HitRecord h;
  h.host = o.host;
  h.ioc = o.ioc.ioc;
  h.kind = o.kind;
  h.feed = o.ioc.feed;
  h.advisory = o.ioc.advisory;
  h.group = o.ioc.group;
  h.action = o.ioc.action;
  h.direction = o.direction;
  h.ioc_is_host = o.ioc_is_host;
  h.last_ms = wall_ms;
  // The second schema: the other listings, the name and peer of this flow, and the role,
  // which comes from the feeds' table flags alone (a watch list listing the host's own
  // address makes it infected; a feed's name says nothing).
  h.schema = 2;
  h.line = o.ioc.line;
  for (const ResolvedIoc::Listing& l : o.ioc.listings) {
    if (l.infected_hosts && o.ioc_is_host) h.role = "infected";
    if (l.feed != o.ioc.feed) h.also.push_back({l.feed, l.advisory, l.group, l.action, l.line});
  }
  if (e.name_len > 0) h.seen = std::string(e.name, std::min<size_t>(e.name_len, sizeof(e.name)));
  const std::string client = format_address(e.ip_version, e.client);
  h.peer = client == o.host ? format_address(e.ip_version, e.server) : client;
  if (h.role.empty() && !o.host.empty() && !o.ioc_is_host) {
    // The peer's IoC decided (an advisory's drop wins over a watch list's alert), yet the
    // host's own address may be on a watch list: it is infected all the same.
    MatchEvent own = e;
    own.name_len = 0;
    own.ioc_side = static_cast<uint8_t>(client == o.host ? IocSide::kClient : IocSide::kServer);
    if (std::optional<ResolvedIoc> r = history_.resolve_by_key(own))
      for (const ResolvedIoc::Listing& l : r->listings)
        if (l.infected_hosts) {
          h.role = "infected";
          h.also.push_back({l.feed, l.advisory, l.group, l.action, l.line});
          break;
        }
  }
  h.port = e.server_port;
  if (const char* p = proto_name(e.proto)) h.proto = p;
  else h.proto = std::to_string(e.proto);
  if (summary) {
    // The first match already counted the flow and its first packet.
    h.packets = e.packets > 0 ? e.packets - 1 : 0;
  } else {
    // A flow reported again (a stronger action took over, e.g. an alerted address then a
    // dropped SNI) counts as a flow of the new IoC too, but its packet is already counted.
    h.first_ms = wall_ms;
    h.flows = 1;
    h.packets = was_open ? 0 : 1;
  }
  store_.add(h);
  stats_.add(h.feed, h.advisory, h.group, h.ioc, h.kind, h.host, h.flows, h.packets);
  stats_.observe_infected(h);
  if (summary) return;

  nlohmann::json j = {{"time", format_utc_ms(wall_ms)}, {"type", "match"}};
  if (const char* p = proto_name(e.proto)) j["proto"] = p;
  else j["proto"] = e.proto;
  j["client"] = format_address(e.ip_version, e.client);
  j["client_port"] = e.client_port;
  j["server"] = format_address(e.ip_version, e.server);
  j["server_port"] = e.server_port;
  j["vlan"] = e.vlan_count > 0 ? nlohmann::json(e.vlan) : nlohmann::json(nullptr);
  j["direction"] = o.direction;
  j["host"] = o.host;
  j["ioc"] = o.ioc.ioc;
  // The exact name the flow carried (a subdomain of a listed domain, say), for name matches.
  if (e.name_len > 0) j["seen"] = std::string(e.name, std::min<size_t>(e.name_len, sizeof(e.name)));
  j["matched"] = o.kind;
  j["ioc_side"] = static_cast<IocSide>(e.ioc_side) == IocSide::kName ? "name"
                  : static_cast<IocSide>(e.ioc_side) == IocSide::kClient ? "client" : "server";
  j["feed"] = o.ioc.feed;
  j["advisory"] = o.ioc.advisory;
  j["group"] = o.ioc.group;
  j["action"] = o.ioc.action;
  j["generation"] = e.generation;
  j["worker"] = worker;
  log_.write(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), wall_ms);
  open_.put(key, std::move(o));
}

}  // namespace iocgate
