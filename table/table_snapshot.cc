// table/table_snapshot.cc — file and shared-memory I/O of table blobs.

#include "table/table_snapshot.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace iocgate::table {

namespace {

std::string errno_text() { return std::strerror(errno); }

bool write_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Writes the header with the generation patched in, then the rest of the blob.
bool write_blob(int fd, const uint8_t* blob, size_t size, uint64_t generation) {
  Header h;
  std::memcpy(&h, blob, sizeof(h));
  h.generation = generation;
  return write_all(fd, reinterpret_cast<const uint8_t*>(&h), sizeof(h)) &&
         write_all(fd, blob + sizeof(h), size - sizeof(h));
}

}  // namespace

std::unique_ptr<MappedTable> MappedTable::map_fd(int fd, const std::string& what, std::string* error) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *error = what + ": cannot stat: " + errno_text();
    close(fd);
    return nullptr;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* p = size == 0 ? MAP_FAILED : mmap(nullptr, size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    *error = what + (size == 0 ? ": empty" : ": cannot map: " + errno_text());
    return nullptr;
  }
  std::unique_ptr<MappedTable> t(new MappedTable());
  t->addr_ = p;
  t->size_ = size;
  std::string why;
  if (!t->view_.attach(p, size, &why)) {
    *error = what + ": " + why;
    return nullptr;
  }
  return t;
}

std::unique_ptr<MappedTable> MappedTable::map_file(const std::string& path, std::string* error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = path + ": " + errno_text();
    return nullptr;
  }
  return map_fd(fd, path, error);
}

std::unique_ptr<MappedTable> MappedTable::map_shm(const std::string& shm_name, std::string* error) {
  const int fd = shm_open(shm_name.c_str(), O_RDONLY, 0);
  if (fd < 0) {
    *error = "/dev/shm" + shm_name + ": " + errno_text();
    return nullptr;
  }
  return map_fd(fd, "/dev/shm" + shm_name, error);
}

MappedTable::~MappedTable() {
  if (addr_ != nullptr) munmap(addr_, size_);
}

bool write_table_file(const std::string& path, const uint8_t* blob, size_t size, uint64_t generation,
                      std::string* error) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = tmp + ": " + errno_text();
    return false;
  }
  const bool ok = write_blob(fd, blob, size, generation) && fsync(fd) == 0;
  const std::string why = errno_text();
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": cannot write: " + (ok ? errno_text() : why);
    unlink(tmp.c_str());
    return false;
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return true;
}

bool write_table_shm(const std::string& shm_name, const uint8_t* blob, size_t size, uint64_t generation,
                     std::string* error) {
  const int fd = shm_open(shm_name.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (fd < 0) {
    *error = "/dev/shm" + shm_name + ": " + errno_text();
    return false;
  }
  const bool ok = write_blob(fd, blob, size, generation);
  if (!ok) *error = "/dev/shm" + shm_name + ": cannot write: " + errno_text();
  close(fd);
  return ok;
}

}  // namespace iocgate::table
