// control/flow_collector.h — the control process's consumer of the workers' flow rings: its
// own thread drains every worker's ring (every 20 ms when they are quiet, at once when they
// are not), turns the records' clock into wall time, and hands each row to the history store
// (control/history_store.h) and, when configured, the IPFIX exporter. A block is written every
// 2 s, and at stop. A restarted control process resumes from each ring's head, so records
// queued while it was down are kept (up to a ring's size); those an earlier process took and
// died before writing are counted from the positions the store keeps.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "base/status.h"
#include "control/history_store.h"
#include "control/tsc_clock.h"
#include "shm/shm_protocol.h"

namespace iocgate {

class IpfixExporter;

class FlowCollector {
 public:
  // `ipfix` may be null (no export); both must outlive the collector.
  FlowCollector(ControlBlock* cb, HistoryStore& store, IpfixExporter* ipfix = nullptr);
  ~FlowCollector();
  FlowCollector(const FlowCollector&) = delete;
  FlowCollector& operator=(const FlowCollector&) = delete;

  // Counts what a crashed predecessor lost (the store must be open), then starts the thread.
  Status start();
  // Drains what is left, writes it, stops the thread. Idempotent.
  void stop();

  // One pass over every ring; returns the records taken. Public for tests (no thread).
  size_t drain();
  // Records lost by a crash, as counted at start().
  uint64_t crash_loss() const { return crash_loss_; }
  uint64_t records() const { return records_.load(); }

 private:
  void run();
  void account_crash_loss();

  ControlBlock* cb_;
  HistoryStore& store_;
  IpfixExporter* ipfix_;
  TscClock clock_;
  std::vector<uint64_t> positions_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> records_{0};
  uint64_t crash_loss_ = 0;
  bool full_ = false;  // the store asked for a flush
  std::thread thread_;
};

}  // namespace iocgate
