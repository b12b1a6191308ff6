// control/table_publisher.h — compiles the stored feeds into a new table generation and
// publishes it: last good table to disk, snapshot to shared memory, atomic switch of the
// published generation, then waits until every worker has moved to it.
#pragma once

#include <cstdint>
#include <string>

#include "config/appliance_config.h"
#include "control/feed_store.h"
#include "dataplane/control_block.h"

namespace iocgate {

struct PublishResult {
  bool ok = false;
  std::string error;
  std::string warning;          // e.g. the dataplane is not running
  uint64_t generation = 0;
  double compile_seconds = 0;
  double enforce_seconds = 0;   // from the switch until every worker runs the generation
  bool dataplane_running = false;
  uint64_t v4 = 0, v6 = 0, domains = 0;
};

class TablePublisher {
 public:
  TablePublisher(const ApplianceConfig& cfg, ControlBlock* cb) : cfg_(cfg), cb_(cb) {}

  // Continues from the newest generation known to shared memory or the table file.
  void recover();
  uint64_t generation() const { return generation_; }

  PublishResult publish(const FeedStore& store, int64_t now);

  // True when the dataplane process is alive (its pid exists and its heartbeat is fresh).
  bool dataplane_running() const;

 private:
  void remove_old_snapshots(uint64_t keep_from);

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  uint64_t generation_ = 0;
};

}  // namespace iocgate
