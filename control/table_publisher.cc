// control/table_publisher.cc — the publish protocol of docs/ARCHITECTURE.md, control side.

#include "control/table_publisher.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "control/ioc_table_builder.h"
#include "feeds/feed_expiry.h"
#include "shm/mapped_table.h"

namespace iocgate {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

void TablePublisher::recover() {
  generation_ = std::max(cb_->published_generation.load(std::memory_order_acquire), store_.highest_generation());
}

bool TablePublisher::dataplane_running() const {
  const uint64_t pid = cb_->dataplane_pid.load(std::memory_order_acquire);
  if (!process_alive(pid)) return false;
  const int64_t age = static_cast<int64_t>(monotonic_ns() - cb_->dataplane_heartbeat_ns.load());
  return age < 2'000'000'000;
}

PublishResult TablePublisher::publish(const FeedStore& store, int64_t now, bool reuse_same_content) {
  PublishResult r;
  const auto t0 = Clock::now();
  table::IocTableBuilder builder;
  for (const auto& [name, f] : store.feeds()) {
    if (!feed_live(f.expires_unix, now)) continue;
    const uint32_t id = builder.add_feed({name, f.action, f.advisory, f.group, f.options.infected_hosts});
    for (const Ioc& ioc : f.parsed.iocs)
      if (ioc_live(ioc, f.expires_unix, now)) builder.add(id, ioc);
  }
  auto blob = builder.build();
  if (!blob.ok()) {
    r.error = blob.message();
    return r;
  }
  const auto* h = reinterpret_cast<const table::Header*>(blob->data());
  r.v4 = h->v4_entries;
  r.v6 = h->v6_entries;
  r.domains = h->domain_entries;

  if (reuse_same_content) {
    const uint64_t same = store_.find_same_content(blob->data(), blob->size());
    if (same != 0 && same == generation_ && same >= cb_->published_generation.load()) {
      r.reused = true;
      r.compile_seconds = seconds_since(t0);
      r.generation = same;
      switch_to(blob->data(), blob->size(), same, r);
      return r;
    }
  }

  const uint64_t g = generation_ + 1;
  // Disk first: a dataplane that restarts must find the newest table a worker may run.
  if (Status s = store_.put(blob->data(), blob->size(), g, &r.warning); !s.ok()) {
    r.error = s.message();
    return r;
  }
  r.compile_seconds = seconds_since(t0);
  generation_ = g;
  r.generation = g;
  switch_to(blob->data(), blob->size(), g, r);
  return r;
}

void TablePublisher::switch_to(const uint8_t* blob, size_t size, uint64_t g, PublishResult& r) {
  auto add_warning = [&](const std::string& w) { r.warning += (r.warning.empty() ? "" : "; ") + w; };
  const bool already = cb_->published_generation.load() == g && cb_->active_generation.load() == g;
  if (!already) {
    if (Status s = write_table_object(table_object_path(cfg_, g), blob, size, {cfg_.instance, g}); !s.ok()) {
      r.error = s.message() + " (generation " + std::to_string(g) + " is stored; the dataplane finds it at its next start)";
      return;
    }
  }
  const auto t1 = Clock::now();
  cb_->published_generation.store(g, std::memory_order_release);
  r.dataplane_running = dataplane_running();
  if (!r.dataplane_running) {
    r.ok = true;
    add_warning("generation " + std::to_string(g) + " is published but NOT enforced: the dataplane is not running; "
                "it enforces this generation from its first packet when it starts");
    remove_old_snapshots(g);
    return;
  }
  const auto deadline = t1 + std::chrono::milliseconds(cfg_.publish_timeout_ms);
  for (;;) {
    if (cb_->rejected_generation.load() == g) {
      r.error = "the dataplane refused generation " + std::to_string(g) + " (see its log); the previous table stays in force";
      return;
    }
    bool all = cb_->active_generation.load(std::memory_order_acquire) >= g;
    const uint32_t workers = cb_->worker_count.load();
    for (uint32_t i = 0; all && i < workers && i < kMaxWorkers; ++i) {
      const WorkerSlot& w = cb_->workers[i];
      if (w.running.load(std::memory_order_acquire) != 0 && w.generation.load(std::memory_order_acquire) < g)
        all = false;
    }
    if (all) break;
    if (Clock::now() > deadline) {
      r.error = "generation " + std::to_string(g) + " is published but not every worker adopted it within " +
                std::to_string(cfg_.publish_timeout_ms) + " ms";
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  r.enforce_seconds = seconds_since(t1);
  r.ok = true;
  r.enforced = true;
  remove_old_snapshots(g);
}

void TablePublisher::remove_old_snapshots(uint64_t keep_from) {
  // Unlinking only drops the name: a dataplane still mapping an older generation keeps it
  // until its workers have moved on and it unmaps it.
  const std::string prefix = table_object_prefix(cfg_);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(cfg_.shm_dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(prefix, 0) != 0) continue;
    const std::string digits = n.substr(prefix.size());
    if (digits.empty() || digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoull(digits) < keep_from) unlink(e.path().c_str());
  }
}

}  // namespace iocgate
