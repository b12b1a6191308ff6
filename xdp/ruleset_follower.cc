// xdp/ruleset_follower.cc — the table source decisions of the dataplane, applied to the XDP
// program: map and validate a generation, convert it into a ruleset image, switch.

#include "xdp/ruleset_follower.h"

#include <cstdio>

#include "shm/control_block.h"

namespace iocgate::xdp {

RulesetFollower::RulesetFollower(const ApplianceConfig& cfg, ControlBlock* cb, WorkerSlot* slot, XdpLoader* loader,
                                 const TrustedOwners& owners, LogFn log)
    : cfg_(cfg), cb_(cb), slot_(slot), loader_(loader), owners_(owners), store_(cfg, owners), log_(std::move(log)) {}

void RulesetFollower::set_fail_closed(bool on) {
  fail_closed_ = on;
  if (Status s = loader_->set_settings(on, cfg_.xdp_alert_mark, cfg_.xdp_mirror_mark); !s.ok()) log_(s.message());
}

void RulesetFollower::load_initial() {
  set_fail_closed(false);
  const uint64_t published = cb_->published_generation.load(std::memory_order_acquire);
  if (published != 0) {
    auto t = MappedTable::open(table_object_path(cfg_, published), owners_, {cfg_.instance, published});
    if (t.ok()) {
      const std::string what = "published generation " + std::to_string(published) + " (" +
                               std::to_string((*t)->entries()) + " IoCs, " + (*t)->path() + ")";
      if (adopt(std::move(*t), TableSource::kPublished)) {
        log_("enforcing " + what);
        return;
      }
    } else {
      log_("published generation " + std::to_string(published) + " unavailable (" + t.message() +
           "); reading the table store");
    }
  }
  Result<TableStore::Found> found = store_.newest_valid();
  if (found.ok()) {
    for (const std::string& r : found->refused) log_("REFUSED " + r);
    const bool newest = found->newest;
    const std::string what = "table generation " + std::to_string(found->table->generation()) + " (" +
                             std::to_string(found->table->entries()) + " IoCs) from " + found->table->path();
    if (adopt(std::move(found->table), newest ? TableSource::kStore : TableSource::kOlderStore)) {
      log_(std::string(newest ? "enforcing " : "WARNING: enforcing an OLDER ") + what +
           (newest ? "" : ": every newer generation on disk is damaged (see REFUSED above); the control "
                          "process republishes the current one when it starts"));
      return;
    }
  }
  if (!store_.has_enforced_before()) {
    log_("no table yet (a fresh appliance: " + cfg_.state_dir +
         " holds none): passing everything until the first one is published");
    return;
  }
  if (cfg_.on_no_table == "forward") {
    log_("WARNING: " + (found.ok() ? std::string("no stored table could be installed") : found.message()) +
         "\nthis appliance enforced a table before, and on_no_table = \"forward\" (" + cfg_.path +
         "): passing everything UNFILTERED until a table is published");
    return;
  }
  log_("FAIL-CLOSED: " + (found.ok() ? std::string("no stored table could be installed") : found.message()) +
       "\nthis appliance enforced a table before: dropping every frame until the control process publishes a "
       "valid table (push a feed, or restart iocgate-control; on_no_table = \"forward\" in " + cfg_.path +
       " passes instead)");
  set_fail_closed(true);
  cb_->table_source.store(static_cast<uint32_t>(TableSource::kFailClosed), std::memory_order_relaxed);
}

void RulesetFollower::poll() {
  const uint64_t g = cb_->published_generation.load(std::memory_order_acquire);
  if (g == 0 || g <= active_ || g == cb_->rejected_generation.load(std::memory_order_relaxed)) return;
  auto t = MappedTable::open(table_object_path(cfg_, g), owners_, {cfg_.instance, g});
  if (!t.ok()) {
    // Keep the ruleset in force: a bad snapshot never replaces a good one.
    log_("refusing generation " + std::to_string(g) + ": " + t.message());
    cb_->rejected_generation.store(g, std::memory_order_relaxed);
    return;
  }
  if (!adopt(std::move(*t), TableSource::kPublished)) cb_->rejected_generation.store(g, std::memory_order_relaxed);
}

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
  const table::Header& h = t->header();
  cb_->active_checksum.store(h.header_checksum, std::memory_order_relaxed);
  cb_->active_entries[0].store(h.v4_entries, std::memory_order_relaxed);
  cb_->active_entries[1].store(h.v6_entries, std::memory_order_relaxed);
  cb_->active_entries[2].store(h.domain_entries, std::memory_order_relaxed);
  cb_->table_source.store(static_cast<uint32_t>(source), std::memory_order_relaxed);
  if (fail_closed_) set_fail_closed(false);
  active_ = g;
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
