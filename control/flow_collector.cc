// control/flow_collector.cc — ring draining, clock conversion, hand-over to store and export.

#include "control/flow_collector.h"

#include <chrono>
#include <cstdio>

#include "control/ipfix_exporter.h"

namespace iocgate {

namespace {
constexpr int64_t kFlushEveryMs = 2000;
constexpr int kQuietSleepMs = 20;
}  // namespace

FlowCollector::FlowCollector(ControlBlock* cb, HistoryStore& store, IpfixExporter* ipfix)
    : cb_(cb), store_(store), ipfix_(ipfix), positions_(kMaxWorkers, 0) {}

FlowCollector::~FlowCollector() { stop(); }

void FlowCollector::account_crash_loss() {
  const std::vector<uint64_t> durable = store_.durable_positions();
  for (uint32_t w = 0; w < kMaxWorkers; ++w) {
    const FlowRing& ring = cb_->workers[w].flows;
    const uint64_t head = ring.head(), tail = ring.tail();
    positions_[w] = head;
    // Only the consumer moves head: what lies between the stored position and it was taken
    // by a process that died before writing it. A position beyond head means the rings were
    // made anew (another control block): nothing can be said.
    if (w < durable.size() && durable[w] <= head && head <= tail) crash_loss_ += head - durable[w];
  }
  if (crash_loss_ != 0) {
    store_.count_crash_loss(crash_loss_);
    std::fprintf(stderr,
                 "iocgate control: flow history: %llu flow records were lost: taken from the rings by a control "
                 "process that stopped before writing them\n",
                 static_cast<unsigned long long>(crash_loss_));
  }
}

Status FlowCollector::start() {
  if (cb_ == nullptr) return Status::error("flow collector: no control block");
  account_crash_loss();
  thread_ = std::thread([this] { run(); });
  return Status();
}

void FlowCollector::stop() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
}

size_t FlowCollector::drain() {
  size_t n = 0;
  const uint64_t hz = cb_->tsc_hz.load();
  for (uint32_t w = 0; w < kMaxWorkers; ++w) {
    FlowRing& ring = cb_->workers[w].flows;
    FlowRecord r;
    // Bounded per pass so one busy worker cannot starve the others' rings.
    for (uint32_t i = 0; i < FlowRing::kSlots && ring.pop(&r); ++i, ++n) {
      positions_[w] = ring.head();
      const FlowRow row = flow_row_of(r, clock_.to_wall_ms(r.first_seen, hz), clock_.to_wall_ms(r.last_seen, hz));
      if (store_.add(row, positions_)) full_ = true;
      if (ipfix_ != nullptr) ipfix_->add(row);
    }
  }
  records_ += n;
  return n;
}

void FlowCollector::run() {
  int64_t last_flush = TscClock::wall_now_ms();
  auto flush = [&](int64_t now) {
    if (Status s = store_.flush(now); !s.ok()) std::fprintf(stderr, "iocgate control: flow history: %s\n", s.message().c_str());
    last_flush = now;
    full_ = false;
  };
  while (!stop_.load()) {
    const size_t n = drain();
    const int64_t now = TscClock::wall_now_ms();
    if (ipfix_ != nullptr) ipfix_->tick(now);
    if (full_ || now - last_flush >= kFlushEveryMs) flush(now);
    if (n == 0) std::this_thread::sleep_for(std::chrono::milliseconds(kQuietSleepMs));
  }
  drain();
  const int64_t now = TscClock::wall_now_ms();
  if (ipfix_ != nullptr) ipfix_->tick(now, /*force=*/true);
  flush(now);
}

}  // namespace iocgate
