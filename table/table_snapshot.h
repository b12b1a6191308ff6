// table/table_snapshot.h — a compiled table held in a file or a shared-memory object: written
// atomically by the control process, mapped read-only and validated by the dataplane.
// Off the hot path: called once per published generation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "table/ioc_table_view.h"

namespace iocgate::table {

// A read-only mapping of a table blob with its validated view. Unmapped on destruction.
class MappedTable {
 public:
  // `path` is a file path; shm names ("/name") go through map_shm.
  static std::unique_ptr<MappedTable> map_file(const std::string& path, std::string* error);
  static std::unique_ptr<MappedTable> map_shm(const std::string& shm_name, std::string* error);
  ~MappedTable();
  MappedTable(const MappedTable&) = delete;
  MappedTable& operator=(const MappedTable&) = delete;

  const IocTableView& view() const { return view_; }
  uint64_t generation() const { return view_.header().generation; }

 private:
  MappedTable() = default;
  static std::unique_ptr<MappedTable> map_fd(int fd, const std::string& what, std::string* error);
  void* addr_ = nullptr;
  size_t size_ = 0;
  IocTableView view_;
};

// Writes `blob` with its header's generation set to `generation`: to a temporary file,
// fsync, rename over `path`, fsync the directory. A crash leaves the old file or the new one.
bool write_table_file(const std::string& path, const uint8_t* blob, size_t size, uint64_t generation,
                      std::string* error);

// Creates (or replaces) the shared-memory object `shm_name` holding the blob.
bool write_table_shm(const std::string& shm_name, const uint8_t* blob, size_t size, uint64_t generation,
                     std::string* error);

}  // namespace iocgate::table
