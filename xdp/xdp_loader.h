// xdp/xdp_loader.h — the XDP program in the kernel, from user space: loading it (libbpf),
// attaching it to interfaces and taking it off again, installing ruleset images with one
// atomic switch, and reading back its counters, match events and matched flows.
// Off the hot path; one instance per iocgate-xdp process.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "table/ioc_table_view.h"
#include "xdp/table_maps.h"
#include "xdp/xdp_abi.h"

struct bpf_object;
struct ring_buffer;

namespace iocgate::xdp {

enum class AttachMode { kNative, kGeneric, kAuto };

struct LoadOptions {
  std::string instance;            // stamped into the program, so a stale one can be told apart
  uint32_t flow_capacity = 65536;  // matched flows remembered (LRU)
  uint32_t ring_bytes = 1u << 20;  // match event ring buffer (a power of two, >= 4096)
};

// What attach() did on one interface.
struct Attached {
  std::string ifname;
  int ifindex = 0;
  bool native = false;        // driver mode; false: generic (skb) mode
  bool link = false;          // a BPF link owned by this process: the kernel detaches it when we exit
  std::string replaced;       // a stale iocgate program that was replaced (its id and instance), or ""
  std::string warning;        // e.g. native mode refused, generic used instead
  bool mark = false;          // the tc mark program is attached too
  bool mark_created_qdisc = false;
};

// The result of installing one ruleset image.
struct Installed {
  uint64_t generation = 0;
  uint64_t bytes = 0;          // memory of the image map
  RulesetLayout layout;
  double build_seconds = 0;    // plan + map creation + writing the image
  double switch_seconds = 0;   // the outer map update, including its RCU grace period
};

class XdpLoader {
 public:
  // Opens the program embedded in this executable, sizes its maps and loads it (the kernel
  // verifies it). The error carries the end of the verifier's log.
  static Result<std::unique_ptr<XdpLoader>> load(const LoadOptions& opts);
  ~XdpLoader();
  XdpLoader(const XdpLoader&) = delete;
  XdpLoader& operator=(const XdpLoader&) = delete;

  // Attaches to `ifname`. A program left attached by an earlier iocgate-xdp of the same
  // instance (a crash with keep_on_crash) is replaced in one step; any other XDP program on
  // the interface is refused, never replaced. keep_on_crash = false attaches through a BPF
  // link, which the kernel takes off when this process ends, however it ends.
  Result<Attached> attach(const std::string& ifname, AttachMode mode, bool keep_on_crash, bool with_mark);
  // Takes the program (and the tc mark program) off every interface attach() put it on.
  Status detach_all();
  const std::vector<Attached>& attached() const { return attached_; }

  // Builds a new image map from `view`, fills it, freezes it and switches the program to it
  // in one update. When this returns, every frame in flight was judged by the old image or
  // is judged by the new one, never by a mix; the old image is freed by the kernel.
  Result<Installed> install(const table::IocTableView& view, uint64_t generation);
  // Removes the image: frames then pass or drop according to set_settings' fail_closed.
  Status clear();
  Status set_settings(bool fail_closed, uint32_t alert_mark, uint32_t mirror_mark);

  // The per-CPU counters, summed.
  iocgate_xdp_counters counters() const;

  // Match events produced since the last call (waits up to timeout_ms for the first).
  using EventFn = std::function<void(const iocgate_xdp_event&)>;
  int poll_events(int timeout_ms, const EventFn& fn);

  // Matched flows whose last packet is older than `idle_before_ns` (CLOCK_MONOTONIC; 0: all)
  // are removed from the flow map and returned as summary events.
  size_t sweep_flows(uint64_t idle_before_ns, const EventFn& fn);
  size_t flow_count() const;

  // Kernel memory of the maps (bytes, from their memlock accounting) besides the image.
  uint64_t fixed_map_bytes() const;

  int xdp_prog_fd() const;  // for BPF_PROG_TEST_RUN in tests and benchmarks
  int counters_fd() const;

 private:
  XdpLoader() = default;
  bpf_object* obj_ = nullptr;
  ring_buffer* ring_ = nullptr;
  int outer_fd_ = -1, counters_fd_ = -1, settings_fd_ = -1, flows_fd_ = -1, events_fd_ = -1;
  int xdp_fd_ = -1, mark_fd_ = -1;
  std::string instance_;
  std::vector<Attached> attached_;
  std::vector<int> links_;  // BPF link fds, parallel to attached_ (-1: netlink attachment)
  EventFn* current_fn_ = nullptr;
  static int on_ring_event(void* ctx, void* data, size_t size);
};

// "native", "generic", "auto" -> AttachMode; false for anything else.
bool parse_attach_mode(const std::string& s, AttachMode* out);

}  // namespace iocgate::xdp
