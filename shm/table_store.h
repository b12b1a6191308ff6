// shm/table_store.h — the table generations kept on disk (state_dir/tables/<G>.table, the
// newest also as state_dir/table.current), so a dataplane that starts enforces the newest
// valid one from its first packet, and falls back to an older one when the newer are damaged.
// Written by the control process at each publish; read by the dataplane at start-up.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "config/appliance_config.h"
#include "shm/mapped_table.h"
#include "shm/secure_file.h"

namespace iocgate {

class TableStore {
 public:
  TableStore(const ApplianceConfig& cfg, const TrustedOwners& owners) : cfg_(cfg), owners_(owners) {}

  struct Found {
    std::unique_ptr<MappedTable> table;
    bool newest = false;                // it is the newest generation the store has seen
    std::vector<std::string> refused;   // each newer file that was refused, and why
  };
  // The newest table that passes every check, or an error listing every file tried.
  Result<Found> newest_valid() const;

  // True once a table has ever been stored here (the marker, a table file, or table.current,
  // readable or not): such an appliance must never quietly forward unfiltered.
  bool has_enforced_before() const;

  // The highest generation named on disk, damaged files included, so numbering never
  // restarts while anything of the past is left.
  uint64_t highest_generation() const;

  // Stores a compiled blob as generation `g` (stamped, fsynced, renamed into place), makes it
  // table.current, records the marker and keeps the newest keep_tables generations.
  // `warning` receives a problem that did not stop the store (table.current not replaceable).
  Status put(const uint8_t* blob, size_t size, uint64_t g, std::string* warning);

  // The stored generation whose compiled content equals `blob` (same content checksum and
  // bytes), among the valid ones, newest first; 0 when there is none.
  uint64_t find_same_content(const uint8_t* blob, size_t size) const;

  std::string path_of(uint64_t g) const;
  // The generations stored in tables/, newest first (valid or not).
  std::vector<uint64_t> generations() const { return generations_on_disk(); }
  std::string marker_path() const { return cfg_.state_dir + "/enforced"; }

 private:
  std::vector<uint64_t> generations_on_disk() const;  // newest first

  const ApplianceConfig& cfg_;
  TrustedOwners owners_;
};

}  // namespace iocgate
