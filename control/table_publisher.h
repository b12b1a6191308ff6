// control/table_publisher.h — compiles the stored feeds into a new table generation and
// publishes it: the table store on disk first, then a snapshot object in the shm directory,
// the atomic switch of the published generation, then waits until every worker runs it.
#pragma once

#include <cstdint>
#include <string>

#include "config/appliance_config.h"
#include "control/feed_store.h"
#include "shm/control_block.h"
#include "shm/secure_file.h"
#include "shm/table_store.h"

namespace iocgate {

struct PublishResult {
  bool ok = false;
  std::string error;
  std::string warning;          // e.g. the dataplane is not running; table.current not replaced
  uint64_t generation = 0;
  double compile_seconds = 0;
  double enforce_seconds = 0;   // from the switch until every worker runs the generation
  bool dataplane_running = false;
  bool enforced = false;        // every running worker reported the generation
  bool reused = false;          // same content as the newest stored generation: nothing written
  uint64_t v4 = 0, v6 = 0, domains = 0;
};

class TablePublisher {
 public:
  TablePublisher(const ApplianceConfig& cfg, ControlBlock* cb, const TrustedOwners& owners)
      : cfg_(cfg), cb_(cb), owners_(owners), store_(cfg, owners) {}

  // Continues from the newest generation known to shared memory or to the table store
  // (damaged files included: numbering never restarts while anything of the past is left).
  void recover();
  uint64_t generation() const { return generation_; }

  // Compiles and publishes. With reuse_same_content (start-up), a compile equal to the
  // newest stored generation republishes that generation without writing to disk, so a
  // control process restarts on a full state disk.
  PublishResult publish(const FeedStore& store, int64_t now, bool reuse_same_content = false);

  // True when the dataplane process is alive (its pid exists and its heartbeat is fresh).
  bool dataplane_running() const;

  const TableStore& table_store() const { return store_; }

 private:
  // Steps 3-5 of the protocol for a blob already stored as generation g.
  void switch_to(const uint8_t* blob, size_t size, uint64_t g, PublishResult& r);
  void remove_old_snapshots(uint64_t keep_from);

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  TrustedOwners owners_;
  TableStore store_;
  uint64_t generation_ = 0;
};

}  // namespace iocgate
