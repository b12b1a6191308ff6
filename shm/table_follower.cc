// shm/table_follower.cc — the table source decisions both forwarding processes make: map and
// validate a generation, hand it to the process's enforcer, log why.

#include "shm/table_follower.h"

#include "shm/control_block.h"

namespace iocgate {

TableFollower::TableFollower(const ApplianceConfig& cfg, ControlBlock* cb, const TrustedOwners& owners,
                             TableEnforcer* enforcer, FollowerWords words, LogFn log)
    : cfg_(cfg), cb_(cb), owners_(owners), store_(cfg, owners), enforcer_(enforcer), words_(words),
      log_(std::move(log)) {}

void report_enforced_table(ControlBlock* cb, const table::Header& h, TableSource source) {
  cb->active_checksum.store(h.header_checksum, std::memory_order_relaxed);
  cb->active_entries[0].store(h.v4_entries, std::memory_order_relaxed);
  cb->active_entries[1].store(h.v6_entries, std::memory_order_relaxed);
  cb->active_entries[2].store(h.domain_entries, std::memory_order_relaxed);
  cb->table_source.store(static_cast<uint32_t>(source), std::memory_order_relaxed);
}

bool TableFollower::adopt(std::unique_ptr<MappedTable> t, TableSource source) {
  const uint64_t g = t->generation();
  if (!enforcer_->adopt(std::move(t), source)) return false;
  active_ = g;
  return true;
}

void TableFollower::load_initial() {
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
  const std::string forwarding = words_.forwarding;
  if (!store_.has_enforced_before()) {
    log_("no table yet (a fresh appliance: " + cfg_.state_dir + " holds none): " + forwarding +
         " everything until the first one is published");
    return;
  }
  // Found but not adopted: the enforcer said why when it refused.
  const std::string why = found.ok() ? std::string("no stored table could be installed") : found.message();
  if (cfg_.on_no_table == "forward") {
    log_("WARNING: " + why + "\nthis appliance enforced a table before, and on_no_table = \"forward\" (" + cfg_.path +
         "): " + forwarding + " everything UNFILTERED until a table is published");
    return;
  }
  log_("FAIL-CLOSED: " + why + "\nthis appliance enforced a table before: dropping every " + words_.packet +
       " until the control process publishes a valid table (push a feed, or restart iocgate-control; on_no_table = "
       "\"forward\" in " + cfg_.path + " " + words_.forwards + " instead)");
  enforcer_->drop_everything();
  cb_->table_source.store(static_cast<uint32_t>(TableSource::kFailClosed), std::memory_order_relaxed);
}

void TableFollower::poll() {
  const uint64_t g = cb_->published_generation.load(std::memory_order_acquire);
  if (g == 0 || g <= active_ || g == cb_->rejected_generation.load(std::memory_order_relaxed)) return;
  auto t = MappedTable::open(table_object_path(cfg_, g), owners_, {cfg_.instance, g});
  if (!t.ok()) {
    // Keep the table in force: a bad snapshot never replaces a good one.
    log_("refusing generation " + std::to_string(g) + ": " + t.message());
    cb_->rejected_generation.store(g, std::memory_order_relaxed);
    return;
  }
  if (!adopt(std::move(*t), TableSource::kPublished)) cb_->rejected_generation.store(g, std::memory_order_relaxed);
}

}  // namespace iocgate
