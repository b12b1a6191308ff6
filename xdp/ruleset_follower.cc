// xdp/ruleset_follower.cc — the tables the shared follower chooses, applied to the XDP
// program: convert a generation into a ruleset image, switch, report it.

#include "xdp/ruleset_follower.h"

#include <cstdio>

#include "shm/control_block.h"

namespace iocgate::xdp {

RulesetFollower::RulesetFollower(const ApplianceConfig& cfg, ControlBlock* cb, WorkerSlot* slot, XdpLoader* loader,
                                 const TrustedOwners& owners, LogFn log)
    : cfg_(cfg), cb_(cb), slot_(slot), loader_(loader), log_(std::move(log)),
      follower_(cfg, cb, owners, this, {"passing", "frame", "passes"}, log_) {}

void RulesetFollower::set_fail_closed(bool on) {
  fail_closed_ = on;
  if (Status s = loader_->set_settings(on, cfg_.xdp_alert_mark, cfg_.xdp_mirror_mark); !s.ok()) log_(s.message());
}

void RulesetFollower::load_initial() {
  set_fail_closed(false);
  follower_.load_initial();
}

void RulesetFollower::poll() { follower_.poll(); }

bool RulesetFollower::adopt(std::unique_ptr<MappedTable> t, TableSource source) {
  const uint64_t g = t->generation();
  Result<Installed> r = loader_->install(t->view(), g);
  if (!r.ok()) {
    log_("cannot install generation " + std::to_string(g) + " into the XDP program: " + r.message());
    return false;
  }
  last_ = *r;
  // The switch has returned: no frame is judged by an older image any more (the quiescent
  // state the DPDK workers report after their bursts). The table file itself is no longer
  // needed: the image is a copy, and `t` is unmapped when it goes out of scope.
  report_enforced_table(cb_, t->header(), source);
  if (fail_closed_) set_fail_closed(false);
  ++switches_;
  cb_->active_generation.store(g, std::memory_order_release);
  slot_->generation.store(g, std::memory_order_release);
  if (on_switch) on_switch(g);
  char line[160];
  std::snprintf(line, sizeof(line), "generation %llu switched in: image %.1f MiB built in %.1f ms, switch %.1f ms",
                static_cast<unsigned long long>(g), static_cast<double>(r->bytes) / (1 << 20), r->build_seconds * 1e3,
                r->switch_seconds * 1e3);
  log_(line);
  return true;
}

}  // namespace iocgate::xdp
