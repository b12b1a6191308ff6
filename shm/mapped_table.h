// shm/mapped_table.h — a compiled table held in a file (the table store) or a snapshot object
// (shm_dir), mapped read-only after its owner, mode, bounds, checksums and identity
// (instance, generation) were checked. Off the hot path: once per generation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "shm/secure_file.h"
#include "table/ioc_table_view.h"

namespace iocgate {

// What a table must say about itself to be enforced here.
struct TableIdentity {
  std::string instance;      // must equal Header::instance
  uint64_t generation = 0;   // must equal Header::generation; 0 = any
};

class MappedTable {
 public:
  // Maps `path` with open_trusted's checks, then validates it (IocTableView::attach) and
  // its identity. The error names the file and what is wrong with it.
  static Result<std::unique_ptr<MappedTable>> open(const std::string& path, const TrustedOwners& owners,
                                                   const TableIdentity& expect);
  ~MappedTable();
  MappedTable(const MappedTable&) = delete;
  MappedTable& operator=(const MappedTable&) = delete;

  const table::IocTableView& view() const { return view_; }
  const table::Header& header() const { return view_.header(); }
  uint64_t generation() const { return view_.header().generation; }
  const std::string& path() const { return path_; }
  uint64_t entries() const {
    const table::Header& h = view_.header();
    return h.v4_entries + h.v6_entries + h.domain_entries;
  }

 private:
  MappedTable() = default;
  void* addr_ = nullptr;
  size_t size_ = 0;
  std::string path_;
  table::IocTableView view_;
};

// Writes a compiled blob with its identity stamped in (instance, generation) to a snapshot
// object created exclusively at `path` (a stale one left by a crash is replaced: the shm
// directory is ours). Mode 0640: the operators' group may read, nobody else.
Status write_table_object(const std::string& path, const uint8_t* blob, size_t size, const TableIdentity& id);

// The blob's header with the identity stamped in and sealed (table::stamp_identity).
table::Header stamped_header(const uint8_t* blob, const TableIdentity& id);

}  // namespace iocgate
