// shm/mapped_table.cc — mapping and validating table files and snapshot objects.

#include "shm/mapped_table.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "table/table_hash.h"

namespace iocgate {

Result<std::unique_ptr<MappedTable>> MappedTable::open(const std::string& path, const TrustedOwners& owners,
                                                       const TableIdentity& expect) {
  Result<int> fd = open_trusted(path, O_RDONLY, owners);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (fstat(*fd, &st) != 0) {
    const std::string why = errno_text();
    close(*fd);
    return Status::error(path + ": cannot stat: " + why);
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(table::Header)) {
    close(*fd);
    return Status::error(path + (size == 0 ? ": empty" : ": truncated (" + std::to_string(size) + " bytes)"));
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, *fd, 0);
  const std::string why = errno_text();
  close(*fd);
  if (p == MAP_FAILED) return Status::error(path + ": cannot map: " + why);
  std::unique_ptr<MappedTable> t(new MappedTable());
  t->addr_ = p;
  t->size_ = size;
  t->path_ = path;
  std::string error;
  if (!t->view_.attach(p, size, &error)) return Status::error(path + ": " + error);
  const table::Header& h = t->view_.header();
  if (std::string(h.instance) != expect.instance)
    return Status::error(path + ": a table of instance '" + std::string(h.instance) + "', not '" + expect.instance +
                         "'; refused");
  if (expect.generation != 0 && h.generation != expect.generation)
    return Status::error(path + ": says generation " + std::to_string(h.generation) + ", expected " +
                         std::to_string(expect.generation) + "; refused");
  return t;
}

MappedTable::~MappedTable() {
  if (addr_ != nullptr) munmap(addr_, size_);
}

table::Header stamped_header(const uint8_t* blob, const TableIdentity& id) {
  table::Header h;
  std::memcpy(&h, blob, sizeof(h));
  table::stamp_identity(h, id.instance.c_str(), id.generation);
  return h;
}

Status write_table_object(const std::string& path, const uint8_t* blob, size_t size, const TableIdentity& id) {
  Result<int> fd = create_exclusive(path, 0640, /*replace_stale=*/true);
  if (!fd.ok()) return fd.status();
  const table::Header h = stamped_header(blob, id);
  const bool ok = write_fully(*fd, &h, sizeof(h)) && write_fully(*fd, blob + sizeof(h), size - sizeof(h));
  const std::string why = errno_text();
  close(*fd);
  if (!ok) {
    unlink(path.c_str());
    return Status::error(path + ": cannot write: " + why);
  }
  return Status();
}

}  // namespace iocgate
