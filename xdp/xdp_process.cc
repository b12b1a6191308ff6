// xdp/xdp_process.cc — start-up (the table first, then attachment), the main loop (generations,
// events, counters, heartbeats, interface status, flow summaries) and the clean stop.

#include "xdp/xdp_process.h"

#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "shm/control_block.h"
#include "shm/final_accounting.h"
#include "shm/shm_protocol.h"
#include "xdp/ruleset_follower.h"
#include "xdp/xdp_loader.h"

namespace iocgate::xdp {

namespace {

// The program's events are the head of a MatchEvent, up to the exact name it does not carry.
constexpr size_t kEventHead = offsetof(MatchEvent, name_len);
static_assert(offsetof(iocgate_xdp_event, server) + 16 == kEventHead && sizeof(iocgate_xdp_event) >= kEventHead);
static_assert(offsetof(iocgate_xdp_event, match) == offsetof(MatchEvent, match) &&
              offsetof(iocgate_xdp_event, vlan) == offsetof(MatchEvent, vlan) &&
              offsetof(iocgate_xdp_event, client) == offsetof(MatchEvent, client) &&
              offsetof(iocgate_xdp_event, server) == offsetof(MatchEvent, server));

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop.store(true, std::memory_order_relaxed); }

void log_line(const std::string& s) {
  std::fprintf(stderr, "iocgate xdp: %s\n", s.c_str());
  std::fflush(stderr);
}

// The TSC rate, measured against CLOCK_MONOTONIC: the control process reads heartbeats and
// event times in TSC ticks (the DPDK workers' clock).
uint64_t measure_tsc_hz() {
  const uint64_t n0 = monotonic_ns(), c0 = read_tsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const uint64_t n1 = monotonic_ns(), c1 = read_tsc();
  return n1 > n0 ? static_cast<uint64_t>(static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(n1 - n0)) : 0;
}

// on_load_failure = "link-down": nothing passes an interface the program could not guard.
void set_link_down(const std::string& ifname) {
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  ifreq r{};
  std::snprintf(r.ifr_name, sizeof(r.ifr_name), "%s", ifname.c_str());
  if (ioctl(s, SIOCGIFFLAGS, &r) == 0) {
    r.ifr_flags = static_cast<short>(r.ifr_flags & ~IFF_UP);
    if (ioctl(s, SIOCSIFFLAGS, &r) == 0) log_line("on_load_failure = \"link-down\": " + ifname + " set DOWN");
    else log_line("on_load_failure = \"link-down\": cannot set " + ifname + " down: " + errno_text());
  }
  close(s);
}

uint64_t read_sys(const std::string& ifname, const char* what) {
  std::ifstream in("/sys/class/net/" + ifname + "/" + what);
  long long v = 0;
  return (in >> v) && v > 0 ? static_cast<uint64_t>(v) : 0;
}

bool link_up(const std::string& ifname) {
  std::ifstream in("/sys/class/net/" + ifname + "/operstate");
  std::string s;
  return (in >> s) && (s == "up" || s == "unknown");
}

void publish_ports(ControlBlock* cb, const std::vector<std::string>& ifs) {
  for (size_t i = 0; i < ifs.size() && i < kMaxPorts; ++i) {
    PortSlot& p = cb->ports[i];
    const std::string& n = ifs[i];
    p.link_up.store(link_up(n) ? 1 : 0, std::memory_order_relaxed);
    p.link_speed_mbps.store(static_cast<uint32_t>(read_sys(n, "speed")), std::memory_order_relaxed);
    p.ipackets.store(read_sys(n, "statistics/rx_packets"), std::memory_order_relaxed);
    p.opackets.store(read_sys(n, "statistics/tx_packets"), std::memory_order_relaxed);
    p.ibytes.store(read_sys(n, "statistics/rx_bytes"), std::memory_order_relaxed);
    p.obytes.store(read_sys(n, "statistics/tx_bytes"), std::memory_order_relaxed);
    p.imissed.store(read_sys(n, "statistics/rx_missed_errors") + read_sys(n, "statistics/rx_dropped"),
                    std::memory_order_relaxed);
    p.ierrors.store(read_sys(n, "statistics/rx_errors"), std::memory_order_relaxed);
    p.oerrors.store(read_sys(n, "statistics/tx_errors"), std::memory_order_relaxed);
  }
}

// The program's counters in the dataplane's terms: what iocctl stats and /metrics show.
DataplaneCounters dataplane_view(const iocgate_xdp_counters& c, uint64_t events_lost_here, uint64_t flows_evicted) {
  DataplaneCounters d;
  d.rx_packets = c.rx_packets;
  d.tx_packets = c.passed;
  // IoC drops only, as the dataplane counts them: fail-closed and reject drops apart.
  d.dropped_packets = c.dropped - c.dropped_no_table - c.rejected;
  d.rejected_packets = c.rejected;
  d.alerted_packets = c.alerted + c.mirrored;  // mirror-listed frames pass with a mark: XDP copies nothing
  d.allowed_packets = c.allowed;
  d.match_ip = c.match_v4 + c.match_v6;
  d.match_dns = c.match_dns;
  d.non_ip = c.non_ip;
  d.truncated = c.truncated;
  d.malformed = c.malformed;
  d.fragments = c.fragments;
  d.flows_created = c.flows_created;
  d.flows_evicted = flows_evicted;
  d.events_lost = c.events_lost + events_lost_here;
  d.dropped_no_table = c.dropped_no_table;
  return d;
}

// Packets judged per generation, kept in the slot as a DPDK worker keeps them: the rx count
// at each switch closes the previous generation's tally.
class Tallies {
 public:
  explicit Tallies(WorkerSlot* slot) : slot_(slot) {}
  void on_switch(uint64_t generation, uint64_t rx_now) {
    update(rx_now);
    GenerationTally& next = slot_->tally[(index_ + 1) % kGenerationTally];
    slot_->tally_folded.store(slot_->tally_folded.load() + next.packets.load(), std::memory_order_relaxed);
    ++index_;
    next.packets.store(0, std::memory_order_relaxed);
    next.generation.store(generation, std::memory_order_relaxed);
    base_ = rx_now;
    slot_->switches.store(index_, std::memory_order_release);
  }
  void update(uint64_t rx_now) {
    slot_->tally[index_ % kGenerationTally].packets.store(rx_now - base_, std::memory_order_relaxed);
  }

 private:
  WorkerSlot* slot_;
  uint64_t index_ = 0;
  uint64_t base_ = 0;
};

std::string final_accounting(const ControlBlock* cb, const iocgate_xdp_counters& xc, const std::vector<Attached>& atts,
                             const std::vector<std::string>& ifs) {
  static const char* const kXdpNames[] = {
#define IOCGATE_X(name, help) #name,
      IOCGATE_XDP_COUNTERS(IOCGATE_X)
#undef IOCGATE_X
  };
  std::string xdp;
  const auto* xv = reinterpret_cast<const uint64_t*>(&xc);
  for (size_t c = 0; c < sizeof(kXdpNames) / sizeof(kXdpNames[0]); ++c)
    xdp += std::string(c == 0 ? "\"" : ",\"") + kXdpNames[c] + "\":" + std::to_string(xv[c]);
  std::string ports;
  for (size_t i = 0; i < ifs.size() && i < kMaxPorts; ++i) {
    const PortSlot& p = cb->ports[i];
    ports += std::string(i == 0 ? "" : ",") + "{\"name\":" + json_quoted(ifs[i]) + ",\"ipackets\":" +
             std::to_string(p.ipackets.load()) + ",\"opackets\":" + std::to_string(p.opackets.load()) +
             ",\"imissed\":" + std::to_string(p.imissed.load()) + "}";
  }
  std::string att;
  for (const Attached& a : atts)
    att += std::string(att.empty() ? "" : ",") + "{\"name\":" + json_quoted(a.ifname) + ",\"mode\":\"" +
           (a.native ? "native" : "generic") + "\",\"link\":" + (a.link ? "true" : "false") + "}";
  return "{\"workers\":[" + worker_accounting_json(cb->workers[0], 0) + "],\"ports\":[" + ports +
         "],\"xdp\":{\"counters\":{" + xdp + "},\"interfaces\":[" + att + "]}}";
}

}  // namespace

int run_xdp(const ApplianceConfig& cfg) {
  if (cfg.xdp_interfaces.empty()) {
    log_line(cfg.path + ": [xdp] 'interfaces' names no interface");
    return 2;
  }
  AttachMode mode;
  if (!parse_attach_mode(cfg.xdp_mode, &mode)) {
    log_line(cfg.path + ": [xdp] mode '" + cfg.xdp_mode + "'");
    return 2;
  }
  const TrustedOwners owners = trusted_owners(cfg.control_user, cfg.socket_group);
  Result<ControlBlock*> opened = open_control_block(cfg, owners);
  if (!opened.ok()) {
    log_line(opened.message());
    return 2;
  }
  ControlBlock* cb = *opened;
  if (const uint64_t other = other_dataplane(*cb); other != 0) {
    log_line("another dataplane (pid " + std::to_string(other) + ") runs instance '" + cfg.instance +
             "': a DPDK dataplane and the XDP path never serve one instance together");
    return 2;
  }
  auto load_failed = [&](const std::string& why) {
    log_line(why);
    if (cfg.xdp_on_load_failure == "link-down")
      for (const std::string& i : cfg.xdp_interfaces) set_link_down(i);
    else
      log_line("on_load_failure = \"exit\": nothing judges " + cfg.xdp_interfaces.front() +
               (cfg.xdp_interfaces.size() > 1 ? " and the others" : "") + ": their traffic passes UNFILTERED");
    return 3;
  };

  LoadOptions lo;
  lo.instance = cfg.instance;
  lo.flow_capacity = cfg.xdp_flow_capacity;
  Result<std::unique_ptr<XdpLoader>> loaded = XdpLoader::load(lo);
  if (!loaded.ok()) return load_failed(loaded.message());
  XdpLoader& loader = **loaded;

  WorkerSlot& slot = cb->workers[0];
  reset_worker_slot(slot);
  slot.lcore = 0;
  Tallies tallies(&slot);

  // The table comes first: the first frame the program sees is judged by it.
  RulesetFollower follower(cfg, cb, &slot, &loader, owners, log_line);
  follower.on_switch = [&](uint64_t g) { tallies.on_switch(g, loader.counters().rx_packets); };
  follower.load_initial();

  const bool keep = cfg.xdp_on_crash == "keep";
  const bool mark = cfg.xdp_alert_mark != 0 || cfg.xdp_mirror_mark != 0;
  for (const std::string& i : cfg.xdp_interfaces) {
    Result<Attached> a = loader.attach(i, mode, keep, mark);
    if (!a.ok()) {
      (void)loader.detach_all();
      return load_failed(a.message());
    }
    if (!a->replaced.empty())
      log_line("REPLACED a stale iocgate XDP program on " + i + " (" + a->replaced +
               "), left attached by an earlier iocgate-xdp of this instance that did not stop cleanly");
    if (!a->warning.empty()) log_line("WARNING: " + i + ": " + a->warning);
  }

  const uint64_t hz = measure_tsc_hz();
  cb->tsc_hz.store(hz);
  cb->worker_count.store(1);
  cb->port_count.store(static_cast<uint32_t>(std::min<size_t>(cfg.xdp_interfaces.size(), kMaxPorts)));
  for (size_t i = 0; i < cfg.xdp_interfaces.size() && i < kMaxPorts; ++i) {
    std::memset(cb->ports[i].name, 0, sizeof(cb->ports[i].name));
    std::snprintf(cb->ports[i].name, sizeof(cb->ports[i].name), "xdp:%s", cfg.xdp_interfaces[i].c_str());
  }
  publish_ports(cb, cfg.xdp_interfaces);
  cb->dataplane_start_unix.store(static_cast<uint64_t>(std::time(nullptr)));
  cb->dataplane_heartbeat_ns.store(monotonic_ns());
  slot.heartbeat_tsc.store(read_tsc());
  slot.running.store(1, std::memory_order_release);
  cb->dataplane_pid.store(static_cast<uint64_t>(getpid()), std::memory_order_release);
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  std::string list;
  for (const Attached& a : loader.attached())
    list += (list.empty() ? "" : ", ") + a.ifname + " (" + (a.native ? "native" : "generic") + ")";
  log_line("enforcing on " + list + (keep ? "; on_crash = \"keep\": the program stays attached if this process dies"
                                          : "; detached by the kernel if this process dies"));

  // Event times arrive in CLOCK_MONOTONIC ns; the control process reads TSC ticks.
  uint64_t lost_here = 0;
  auto to_slot = [&](const iocgate_xdp_event& xe) {
    MatchEvent e{};
    std::memcpy(&e, &xe, kEventHead);  // name_len stays 0: the program does not carry the name
    const uint64_t now_ns = monotonic_ns();
    const double ago = xe.time < now_ns ? static_cast<double>(now_ns - xe.time) : 0.0;
    e.time = read_tsc() - static_cast<uint64_t>(ago * static_cast<double>(hz) / 1e9);
    if (!slot.events.push(e)) ++lost_here;
  };

  // Matched flows the LRU forgot before their summary: created, minus summarised, minus live.
  uint64_t loop = 0, last_slow = 0, last_counters = 0, swept = 0, evicted = 0;
  auto estimate_evicted = [&](const iocgate_xdp_counters& c) {
    const uint64_t gone = swept + loader.flow_count();
    evicted = c.flows_created > gone ? c.flows_created - gone : 0;
  };
  while (!g_stop.load(std::memory_order_relaxed)) {
    follower.poll();
    loader.poll_events(1, to_slot);  // also the loop's 1 ms pacing
    const uint64_t now = monotonic_ns();
    cb->dataplane_heartbeat_ns.store(now, std::memory_order_relaxed);
    slot.heartbeat_tsc.store(read_tsc(), std::memory_order_relaxed);
    slot.loops.store(++loop, std::memory_order_relaxed);
    if (now - last_counters >= 100'000'000) {
      const iocgate_xdp_counters c = loader.counters();
      slot.counters = dataplane_view(c, lost_here, evicted);
      tallies.update(c.rx_packets);
      last_counters = now;
    }
    if (now - last_slow >= 1'000'000'000) {
      publish_ports(cb, cfg.xdp_interfaces);
      const uint64_t idle = uint64_t{cfg.xdp_flow_idle_seconds} * 1'000'000'000;
      if (now > idle) swept += loader.sweep_flows(now - idle, to_slot);
      estimate_evicted(loader.counters());
      last_slow = now;
    }
  }

  log_line("stopping");
  const std::vector<Attached> atts = loader.attached();
  Status d = loader.detach_all();
  if (!d.ok()) log_line(d.message());
  loader.poll_events(0, to_slot);
  swept += loader.sweep_flows(0, to_slot);  // every matched flow left: its summary
  const iocgate_xdp_counters c = loader.counters();
  estimate_evicted(c);
  slot.counters = dataplane_view(c, lost_here, evicted);
  tallies.update(c.rx_packets);
  publish_ports(cb, cfg.xdp_interfaces);
  slot.running.store(0, std::memory_order_release);
  log_line("final " + final_accounting(cb, c, atts, cfg.xdp_interfaces));
  cb->dataplane_pid.store(0, std::memory_order_release);
  return 0;
}

}  // namespace iocgate::xdp
