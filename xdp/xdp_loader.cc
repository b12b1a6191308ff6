// xdp/xdp_loader.cc — libbpf glue: the embedded object, attachment, the ruleset switch and the
// read-back of counters, events and flows.

#include "xdp/xdp_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>

#include "xdp/iocgate_bpf_object.h"

namespace iocgate::xdp {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string err_text(int e) { return std::strerror(e < 0 ? -e : e); }

// libbpf reports through one process-wide print hook: while a load runs, its messages (the
// verifier log among them) are kept so a failure can quote them.
std::mutex g_log_mu;
std::string* g_log = nullptr;

int collect_libbpf(enum libbpf_print_level level, const char* fmt, va_list ap) {
  if (level == LIBBPF_DEBUG || g_log == nullptr) return 0;
  // One message can be the whole verifier log: keep its end, where the reason is.
  va_list again;
  va_copy(again, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, again);
  va_end(again);
  if (n <= 0) return 0;
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  std::vsnprintf(buf.data(), buf.size(), fmt, ap);
  buf.resize(static_cast<size_t>(n));
  g_log->append(buf.size() > 8192 ? buf.substr(buf.size() - 8192) : buf);
  return 0;
}

// The marker in the program's read-only data that names its instance.
constexpr char kInstanceMarker[] = "iocgate-instance:";

struct ProgInfo {
  std::string name;
  std::string instance;  // "" when it is not an iocgate program or carries no marker
};

ProgInfo prog_info(uint32_t id) {
  ProgInfo out;
  const int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return out;
  uint32_t map_ids[32] = {};
  bpf_prog_info info{};
  info.nr_map_ids = 32;
  info.map_ids = reinterpret_cast<uint64_t>(map_ids);
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
    out.name = info.name;
    for (uint32_t i = 0; i < std::min<uint32_t>(info.nr_map_ids, 32); ++i) {
      const int mfd = bpf_map_get_fd_by_id(map_ids[i]);
      if (mfd < 0) continue;
      bpf_map_info mi{};
      uint32_t mlen = sizeof(mi);
      if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0 && std::strstr(mi.name, ".rodata") != nullptr &&
          mi.value_size <= 4096) {
        std::string value(mi.value_size, '\0');
        uint32_t zero = 0;
        if (bpf_map_lookup_elem(mfd, &zero, value.data()) == 0) {
          const size_t at = value.find(kInstanceMarker);
          if (at != std::string::npos) out.instance = value.c_str() + at + sizeof(kInstanceMarker) - 1;
        }
      }
      close(mfd);
    }
  }
  close(fd);
  return out;
}

uint64_t fdinfo_memlock(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string key;
  uint64_t v = 0;
  while (in >> key) {
    if (key == "memlock:") {
      in >> v;
      return v;
    }
  }
  return 0;
}

}  // namespace

bool parse_attach_mode(const std::string& s, AttachMode* out) {
  if (s == "native") *out = AttachMode::kNative;
  else if (s == "generic") *out = AttachMode::kGeneric;
  else if (s == "auto") *out = AttachMode::kAuto;
  else return false;
  return true;
}

Result<std::unique_ptr<XdpLoader>> XdpLoader::load(const LoadOptions& opts) {
  if (opts.ring_bytes < 4096 || (opts.ring_bytes & (opts.ring_bytes - 1)) != 0)
    return Status::error("event ring of " + std::to_string(opts.ring_bytes) + " bytes: must be a power of two >= 4096");
  std::unique_ptr<XdpLoader> l(new XdpLoader());
  l->instance_ = opts.instance;
  std::string log;
  std::lock_guard<std::mutex> lock(g_log_mu);
  g_log = &log;
  libbpf_set_print(collect_libbpf);
  auto fail = [&](const std::string& what, int e) {
    g_log = nullptr;
    std::string tail = log.size() > 3000 ? "..." + log.substr(log.size() - 3000) : log;
    return Status::error(what + ": " + err_text(e) + (tail.empty() ? "" : "\n" + tail));
  };
  bpf_object_open_opts oo{};
  oo.sz = sizeof(oo);
  oo.object_name = "iocgate";
  l->obj_ = bpf_object__open_mem(kIocgateBpfObject, kIocgateBpfObjectSize, &oo);
  if (l->obj_ == nullptr) return fail("cannot open the embedded XDP program", errno);

  bpf_map* flows = bpf_object__find_map_by_name(l->obj_, "flows");
  bpf_map* events = bpf_object__find_map_by_name(l->obj_, "events");
  bpf_map* rodata = bpf_object__find_map_by_name(l->obj_, ".rodata");
  if (flows == nullptr || events == nullptr || rodata == nullptr)
    return fail("the embedded XDP program lacks its maps (a build mismatch)", ENOENT);
  if (bpf_map__set_max_entries(flows, opts.flow_capacity) != 0 || bpf_map__set_max_entries(events, opts.ring_bytes) != 0)
    return fail("cannot size the program's maps", errno);
  size_t rosize = 0;
  const char* ro0 = static_cast<const char*>(bpf_map__initial_value(rodata, &rosize));
  std::string ro = ro0 == nullptr ? std::string() : std::string(ro0, rosize);
  const std::string stamp = std::string(kInstanceMarker) + opts.instance;
  const size_t at = ro.find(kInstanceMarker);
  if (at == std::string::npos || stamp.size() >= 48 || at + 48 > ro.size())
    return fail("cannot stamp the instance into the XDP program", EINVAL);
  std::memset(ro.data() + at, 0, 48);
  std::memcpy(ro.data() + at, stamp.data(), stamp.size());
  if (bpf_map__set_initial_value(rodata, ro.data(), ro.size()) != 0)
    return fail("cannot stamp the instance into the XDP program", errno);

  if (int e = bpf_object__load(l->obj_); e != 0)
    return fail("the kernel refused the XDP program (its verifier log follows)", e);
  g_log = nullptr;

  auto map_fd = [&](const char* name) {
    bpf_map* m = bpf_object__find_map_by_name(l->obj_, name);
    return m == nullptr ? -1 : bpf_map__fd(m);
  };
  l->outer_fd_ = map_fd("ruleset");
  l->counters_fd_ = map_fd("counters");
  l->settings_fd_ = map_fd("settings");
  l->flows_fd_ = map_fd("flows");
  l->events_fd_ = map_fd("events");
  bpf_program* xp = bpf_object__find_program_by_name(l->obj_, "iocgate_xdp");
  bpf_program* mp = bpf_object__find_program_by_name(l->obj_, "iocgate_mark");
  l->xdp_fd_ = xp == nullptr ? -1 : bpf_program__fd(xp);
  l->mark_fd_ = mp == nullptr ? -1 : bpf_program__fd(mp);
  if (l->outer_fd_ < 0 || l->counters_fd_ < 0 || l->settings_fd_ < 0 || l->flows_fd_ < 0 || l->events_fd_ < 0 ||
      l->xdp_fd_ < 0 || l->mark_fd_ < 0)
    return Status::error("the loaded XDP program lacks a map or program (a build mismatch)");
  l->ring_ = ring_buffer__new(l->events_fd_, &XdpLoader::on_ring_event, l.get(), nullptr);
  if (l->ring_ == nullptr) return Status::error("cannot open the match event ring buffer: " + err_text(errno));
  return l;
}

XdpLoader::~XdpLoader() {
  (void)detach_all();
  if (ring_ != nullptr) ring_buffer__free(ring_);
  if (obj_ != nullptr) bpf_object__close(obj_);
}

Result<Attached> XdpLoader::attach(const std::string& ifname, AttachMode mode, bool keep_on_crash, bool with_mark) {
  Attached a;
  a.ifname = ifname;
  a.ifindex = static_cast<int>(if_nametoindex(ifname.c_str()));
  if (a.ifindex == 0) return Status::error("interface '" + ifname + "': " + err_text(errno));

  // What is there now: ours from an earlier run (replace it), someone else's (refuse).
  bpf_xdp_query_opts q{};
  q.sz = sizeof(q);
  if (int e = bpf_xdp_query(a.ifindex, 0, &q); e != 0)
    return Status::error("interface '" + ifname + "': cannot query its XDP program: " + err_text(e));
  int stale_fd = -1;
  uint32_t stale_flags = 0;
  if (q.prog_id != 0) {
    const ProgInfo p = prog_info(q.prog_id);
    if (p.name != "iocgate_xdp" || p.instance.empty())
      return Status::error("interface '" + ifname + "' already runs XDP program '" + p.name + "' (id " +
                           std::to_string(q.prog_id) + "), which is not iocgate's: detach it (ip link set dev " +
                           ifname + " xdp off) or take " + ifname + " out of [xdp] interfaces");
    if (p.instance != instance_)
      return Status::error("interface '" + ifname + "' runs the iocgate XDP program of instance '" + p.instance +
                           "' (id " + std::to_string(q.prog_id) + "): one interface serves one instance");
    stale_fd = bpf_prog_get_fd_by_id(q.prog_id);
    stale_flags = q.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
    a.replaced = "program id " + std::to_string(q.prog_id) + " (" +
                 (q.attach_mode == XDP_ATTACHED_SKB ? "generic" : "native") + " mode)";
  }

  // Takes the stale program off; XDP_FLAGS_REPLACE makes sure it is still that one.
  auto remove_stale = [&]() -> int {
    bpf_xdp_attach_opts d{};
    d.sz = sizeof(d);
    d.old_prog_fd = stale_fd;
    const int e = bpf_xdp_detach(a.ifindex, stale_flags | XDP_FLAGS_REPLACE, &d);
    if (e == 0) {
      close(stale_fd);
      stale_fd = -1;
    }
    return e;
  };
  auto try_attach = [&](uint32_t mode_flag, int* link_fd) -> int {
    if (keep_on_crash) {
      // Attached by netlink: it outlives this process. A stale one in the same mode is
      // replaced in one step, so no frame passes unjudged.
      if (stale_fd >= 0 && mode_flag == stale_flags) {
        bpf_xdp_attach_opts o{};
        o.sz = sizeof(o);
        o.old_prog_fd = stale_fd;
        return bpf_xdp_attach(a.ifindex, xdp_fd_, mode_flag | XDP_FLAGS_REPLACE, &o);
      }
      if (stale_fd >= 0)
        if (int e = remove_stale(); e != 0) return e;
      return bpf_xdp_attach(a.ifindex, xdp_fd_, mode_flag | XDP_FLAGS_UPDATE_IF_NOEXIST, nullptr);
    }
    // A BPF link: the kernel takes it off when its last descriptor closes, i.e. when this
    // process ends, however it ends. A link cannot replace a netlink attachment, so a stale
    // program comes off first (a gap of a few frames, at start-up only).
    if (stale_fd >= 0)
      if (int e = remove_stale(); e != 0) return e;
    bpf_link_create_opts lo{};
    lo.sz = sizeof(lo);
    lo.flags = mode_flag;
    const int fd = bpf_link_create(xdp_fd_, a.ifindex, BPF_XDP, &lo);
    if (fd < 0) return -errno;
    *link_fd = fd;
    return 0;
  };

  int link_fd = -1;
  int e = mode == AttachMode::kGeneric ? -EOPNOTSUPP : try_attach(XDP_FLAGS_DRV_MODE, &link_fd);
  if (e == 0) {
    a.native = true;
  } else if (mode == AttachMode::kNative) {
    if (stale_fd >= 0) close(stale_fd);
    return Status::error("interface '" + ifname + "': native XDP refused (" + err_text(e) +
                         "); its driver may lack XDP support: use mode = \"generic\" or \"auto\" in [xdp]");
  } else {
    if (mode == AttachMode::kAuto)
      a.warning = "native XDP refused (" + err_text(e) + "): attached in generic (skb) mode, which judges frames "
                  "after the kernel built an skb for them";
    e = try_attach(XDP_FLAGS_SKB_MODE, &link_fd);
    if (e != 0) {
      if (stale_fd >= 0) close(stale_fd);
      return Status::error("interface '" + ifname + "': cannot attach the XDP program in generic mode: " + err_text(e));
    }
  }
  if (stale_fd >= 0) close(stale_fd);
  a.link = link_fd >= 0;

  if (with_mark) {
    bpf_tc_hook hook{};
    hook.sz = sizeof(hook);
    hook.ifindex = a.ifindex;
    hook.attach_point = BPF_TC_INGRESS;
    const int h = bpf_tc_hook_create(&hook);
    if (h != 0 && h != -EEXIST) {
      attached_.push_back(a);
      links_.push_back(link_fd);
      return Status::error("interface '" + ifname + "': cannot create the clsact qdisc for the alert mark: " + err_text(h));
    }
    a.mark_created_qdisc = h == 0;
    bpf_tc_opts to{};
    to.sz = sizeof(to);
    to.prog_fd = mark_fd_;
    to.handle = IOCGATE_META_MAGIC;
    to.priority = 1;
    to.flags = BPF_TC_F_REPLACE;
    if (int t = bpf_tc_attach(&hook, &to); t != 0) {
      attached_.push_back(a);
      links_.push_back(link_fd);
      return Status::error("interface '" + ifname + "': cannot attach the tc mark program: " + err_text(t));
    }
    a.mark = true;
  }
  attached_.push_back(a);
  links_.push_back(link_fd);
  return a;
}

Status XdpLoader::detach_all() {
  std::string errors;
  for (size_t i = 0; i < attached_.size(); ++i) {
    const Attached& a = attached_[i];
    if (a.mark) {
      bpf_tc_hook hook{};
      hook.sz = sizeof(hook);
      hook.ifindex = a.ifindex;
      hook.attach_point = BPF_TC_INGRESS;
      bpf_tc_opts to{};
      to.sz = sizeof(to);
      to.handle = IOCGATE_META_MAGIC;
      to.priority = 1;
      if (int e = bpf_tc_detach(&hook, &to); e != 0 && e != -ENOENT)
        errors += "; " + a.ifname + ": tc mark program: " + err_text(e);
      if (a.mark_created_qdisc) (void)bpf_tc_hook_destroy(&hook);
    }
    if (links_[i] >= 0) {
      close(links_[i]);  // the last reference: the kernel detaches the program
    } else {
      bpf_xdp_attach_opts d{};
      d.sz = sizeof(d);
      d.old_prog_fd = xdp_fd_;
      const uint32_t flags = (a.native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE) | XDP_FLAGS_REPLACE;
      // ENOENT/EEXIST: someone already took it off or put another program on; leave theirs.
      if (int e = bpf_xdp_detach(a.ifindex, flags, &d); e != 0 && e != -ENOENT && e != -EEXIST && e != -ENODEV)
        errors += "; " + a.ifname + ": " + err_text(e);
    }
  }
  attached_.clear();
  links_.clear();
  if (!errors.empty()) return Status::error("detaching the XDP program" + errors);
  return ok_status();
}

Result<Installed> XdpLoader::install(const table::IocTableView& view, uint64_t generation) {
  const auto t0 = Clock::now();
  Result<RulesetLayout> layout = plan_ruleset(view);
  if (!layout.ok()) return layout.status();
  Installed out;
  out.generation = generation;
  out.layout = *layout;
  const uint64_t words = layout->total_words;
  const size_t bytes = (words * 8 + 4095) / 4096 * 4096;
  bpf_map_create_opts mo{};
  mo.sz = sizeof(mo);
  mo.map_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE;
  // Elements are cache lines of 8 words (plan_ruleset aligns every part, so words % 8 == 0).
  const int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "iocgate_rules", 4, sizeof(iocgate_rs_line),
                                static_cast<uint32_t>((words + 7) / 8), &mo);
  if (fd < 0)
    return Status::error("cannot create the ruleset map of " + std::to_string(bytes >> 20) + " MiB for generation " +
                         std::to_string(generation) + ": " + err_text(errno));
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    const int e = errno;
    close(fd);
    return Status::error("cannot map the ruleset map: " + err_text(e));
  }
  write_ruleset(view, *layout, generation, static_cast<uint64_t*>(p));
  munmap(p, bytes);
  // Frozen: not even this process can change it while the program reads it.
  if (bpf_map_freeze(fd) != 0) {
    const int e = errno;
    close(fd);
    return Status::error("cannot freeze the ruleset map: " + err_text(e));
  }
  out.bytes = fdinfo_memlock(fd);
  if (out.bytes == 0) out.bytes = bytes;
  out.build_seconds = since(t0);
  const auto t1 = Clock::now();
  uint32_t zero = 0;
  // The switch. For a map-in-map update the kernel waits for an RCU grace period before it
  // returns, so every program run that could still hold the old image has finished.
  const int r = bpf_map_update_elem(outer_fd_, &zero, &fd, BPF_ANY);
  const int e = errno;
  close(fd);  // the outer map holds it now; the old image goes when its last reference does
  if (r != 0) return Status::error("cannot switch the XDP program to generation " + std::to_string(generation) + ": " +
                                   err_text(e));
  out.switch_seconds = since(t1);
  return out;
}

Status XdpLoader::clear() {
  uint32_t zero = 0;
  if (bpf_map_delete_elem(outer_fd_, &zero) != 0 && errno != ENOENT)
    return Status::error("cannot remove the XDP ruleset: " + err_text(errno));
  return ok_status();
}

Status XdpLoader::set_settings(bool fail_closed, uint32_t alert_mark, uint32_t mirror_mark) {
  iocgate_xdp_settings s{};
  s.fail_closed = fail_closed ? 1 : 0;
  s.alert_mark = alert_mark;
  s.mirror_mark = mirror_mark;
  uint32_t zero = 0;
  if (bpf_map_update_elem(settings_fd_, &zero, &s, BPF_ANY) != 0)
    return Status::error("cannot write the XDP program's settings: " + err_text(errno));
  return ok_status();
}

iocgate_xdp_counters XdpLoader::counters() const {
  iocgate_xdp_counters sum{};
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return sum;
  std::vector<iocgate_xdp_counters> per(static_cast<size_t>(cpus));
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(counters_fd_, &zero, per.data()) != 0) return sum;
  auto* out = reinterpret_cast<uint64_t*>(&sum);
  constexpr size_t n = sizeof(iocgate_xdp_counters) / sizeof(uint64_t);
  for (const iocgate_xdp_counters& c : per) {
    const auto* in = reinterpret_cast<const uint64_t*>(&c);
    for (size_t i = 0; i < n; ++i) out[i] += in[i];
  }
  return sum;
}

int XdpLoader::on_ring_event(void* ctx, void* data, size_t size) {
  auto* self = static_cast<XdpLoader*>(ctx);
  if (size < sizeof(iocgate_xdp_event) || self->current_fn_ == nullptr) return 0;
  iocgate_xdp_event e;
  std::memcpy(&e, data, sizeof(e));
  (*self->current_fn_)(e);
  return 0;
}

int XdpLoader::poll_events(int timeout_ms, const EventFn& fn) {
  EventFn f = fn;
  current_fn_ = &f;
  const int n = ring_buffer__poll(ring_, timeout_ms);
  current_fn_ = nullptr;
  return n;
}

size_t XdpLoader::sweep_flows(uint64_t idle_before_ns, const EventFn& fn) {
  std::vector<iocgate_flow_key> done;
  iocgate_flow_key key{}, next{};
  const iocgate_flow_key* prev = nullptr;
  while (bpf_map_get_next_key(flows_fd_, prev, &next) == 0) {
    key = next;
    prev = &key;
    iocgate_flow_state st{};
    if (bpf_map_lookup_elem(flows_fd_, &key, &st) != 0) continue;
    if (idle_before_ns != 0 && st.last_ns >= idle_before_ns) continue;
    done.push_back(key);
    if (st.action == XA_NONE) continue;  // created, never reported (a lost race): no summary
    iocgate_xdp_event e{};
    e.time = st.last_ns;
    e.generation = st.generation;
    e.match = st.match;
    e.packets = st.packets;
    e.type = 1;
    e.kind = st.kind;
    e.ioc_side = st.ioc_side;
    e.ip_version = key.ip_version;
    e.proto = key.proto;
    e.vlan_count = st.vlan_count;
    e.vlan = st.vlan;
    std::memcpy(e.client, st.client_is_a ? key.a : key.b, 16);
    std::memcpy(e.server, st.client_is_a ? key.b : key.a, 16);
    e.client_port = st.client_is_a ? key.port_a : key.port_b;
    e.server_port = st.client_is_a ? key.port_b : key.port_a;
    fn(e);
  }
  for (const iocgate_flow_key& k : done) bpf_map_delete_elem(flows_fd_, &k);
  return done.size();
}

size_t XdpLoader::flow_count() const {
  size_t n = 0;
  iocgate_flow_key key{}, next{};
  const iocgate_flow_key* prev = nullptr;
  while (bpf_map_get_next_key(flows_fd_, prev, &next) == 0) {
    key = next;
    prev = &key;
    ++n;
  }
  return n;
}

uint64_t XdpLoader::fixed_map_bytes() const {
  uint64_t sum = 0;
  for (int fd : {outer_fd_, counters_fd_, settings_fd_, flows_fd_, events_fd_}) sum += fdinfo_memlock(fd);
  return sum;
}

int XdpLoader::xdp_prog_fd() const { return xdp_fd_; }
int XdpLoader::counters_fd() const { return counters_fd_; }

}  // namespace iocgate::xdp
