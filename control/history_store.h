// control/history_store.h — the appliance's memory of past flows: every flow record, in
// time partitions of zstd-compressed blocks under [history] dir, bounded by age and size
// (oldest partitions dropped first), written so that a kill -9 loses at most the records of
// the last flush interval and never a partition. Read by hunts (control/hunt.h).
//
// On disk: dir/flows-<UTC start>-<seq>.igh, each a file header and then blocks appended one
// by one. A block is a checked header (times, rows, sizes, and the consumer positions of the
// workers' flow rings up to its last row) and one zstd frame with its content checksum. A block
// is in the store once it is written and fdatasync'ed; at open a block whose header does not
// check or whose bytes stop short (the write a crash cut) ends its partition, which is
// truncated there. Nothing is rewritten, so nothing before such a block can be damaged by it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "control/flow_row.h"

namespace iocgate {

struct HistoryConfig {
  std::string dir;
  int64_t max_age_ms = int64_t{30} * 86400 * 1000;  // [history] days
  uint64_t max_bytes = uint64_t{20} << 30;           // [history] max_bytes
  // A partition is closed at the top of each hour (UTC), or when it holds this many bytes
  // (0: max_bytes / 32, at least 64 KiB), so a size bound drops data in slices.
  int64_t partition_ms = 3600 * 1000;
  uint64_t partition_bytes = 0;
  int zstd_level = 3;
  // A block is written at each flush, or sooner when its rows reach this many raw bytes.
  size_t block_raw_bytes = 4u << 20;
  // Unwritten rows kept while writes fail (disk full); beyond, the oldest are counted lost.
  size_t max_pending_raw_bytes = 64u << 20;
};

struct HistoryCounters {
  uint64_t records_written = 0;       // rows in blocks made durable
  uint64_t blocks_written = 0;
  uint64_t bytes_written = 0;         // compressed bytes appended
  uint64_t raw_bytes_written = 0;     // their encoded size before compression
  uint64_t write_errors = 0;          // flushes that failed (rows kept pending and retried)
  uint64_t records_lost_write = 0;    // pending rows given up while writes kept failing
  uint64_t records_lost_crash = 0;    // taken from the rings by a control process that died
                                      // before writing them (counted at the next start)
  uint64_t torn_blocks = 0;           // partial blocks cut off at open
  uint64_t records_lost_torn = 0;     // rows those blocks said they held (records_lost_crash counts them too)
  uint64_t damaged_partitions = 0;    // files whose header did not check (set aside as .bad)
  uint64_t partitions_dropped_age = 0, records_dropped_age = 0, bytes_dropped_age = 0;
  uint64_t partitions_dropped_size = 0, records_dropped_size = 0, bytes_dropped_size = 0;
  uint64_t damaged_blocks_read = 0;   // blocks a reader found damaged (checksum, zstd)
  // Gauges.
  uint64_t bytes_on_disk = 0, partitions = 0, records_stored = 0;
  int64_t oldest_ms = 0, newest_ms = 0;  // time span of the stored rows, 0 when empty
  uint64_t pending_records = 0;
};

// A block of the store, as a reader asks for it.
struct HistoryBlock {
  std::string path;
  uint64_t offset = 0;          // of the block header
  uint32_t compressed_len = 0, raw_len = 0, records = 0;
  int64_t base_ms = 0;          // the rows' times are relative to this
  int64_t min_ms = 0, max_ms = 0;  // smallest first_ms, largest last_ms of its rows
};

class HistoryStore {
 public:
  explicit HistoryStore(HistoryConfig cfg);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // Creates the directory (0750), reads every partition (cutting torn tails, setting damaged
  // files aside), applies the bounds. Call once before anything else.
  Status open(int64_t now_ms);

  // The workers' flow-ring consumer positions stored with the newest durable block (empty
  // when none): records a collector took beyond these were lost by a crash.
  std::vector<uint64_t> durable_positions() const;
  void count_crash_loss(uint64_t records);

  // Adds a row (thread-safe); `positions` are the ring consumer positions once it is taken,
  // stored with the block that holds it. True when the block is full: flush now.
  bool add(const FlowRow& row, const std::vector<uint64_t>& positions);
  // Writes the rows added since the last flush as one block and applies the bounds. A write
  // failure keeps them for the next flush (bounded) and is returned.
  Status flush(int64_t now_ms);

  HistoryCounters counters() const;
  const HistoryConfig& config() const { return cfg_; }

  // Readers (thread-safe, concurrent with writing): the durable blocks whose rows may
  // overlap [since_ms, until_ms], oldest first, then the unwritten rows as one raw block.
  std::vector<HistoryBlock> blocks(int64_t since_ms, int64_t until_ms) const;
  // The rows of a block, decompressed and checked; an error names the file and offset. A
  // block whose partition was dropped meanwhile gives an error too.
  Status read_block(const HistoryBlock& b, std::string* raw) const;
  void count_damaged_read() const;
  // The rows not yet written (the block being filled, and blocks whose write failed).
  struct Unwritten {
    std::string raw;
    int64_t base_ms = 0, min_ms = 0, max_ms = 0;
    uint32_t records = 0;
    std::vector<uint64_t> positions;
  };
  std::vector<Unwritten> pending() const;

 private:
  struct Partition;
  Status open_partition(const std::string& path, bool newest, int64_t now_ms);
  Status start_partition(int64_t now_ms);
  void apply_bounds(int64_t now_ms);
  void drop_front(bool for_size);
  Status write_block(const Unwritten& u, int64_t now_ms);

  HistoryConfig cfg_;
  mutable std::mutex mu_;      // everything below
  std::mutex io_mu_;           // one flush at a time
  std::vector<std::unique_ptr<Partition>> parts_;  // oldest first; the last one is written
  int fd_ = -1;                // the partition being written
  uint64_t fd_size_ = 0;
  int64_t fd_start_ms_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint64_t> durable_;
  Unwritten filling_;              // the block being filled
  std::vector<Unwritten> failed_;  // blocks whose write failed, oldest first
  void* cctx_ = nullptr;           // ZSTD_CCtx, used under io_mu_
  mutable HistoryCounters c_;
};

}  // namespace iocgate
