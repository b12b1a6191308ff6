// dataplane/control_block.cc — creating and mapping the shared-memory control block.

#include "dataplane/control_block.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace iocgate {

std::string control_block_shm_name(const std::string& instance) { return "/iocgate-" + instance + "-ctl"; }

std::string table_shm_name(const std::string& instance, uint64_t generation) {
  return "/iocgate-" + instance + "-table-" + std::to_string(generation);
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

bool process_alive(uint64_t pid) {
  if (pid == 0 || kill(static_cast<pid_t>(pid), 0) != 0) return false;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return false;
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The state follows the command name, which is in parentheses and may hold spaces.
  const char* close_paren = std::strrchr(buf, ')');
  return close_paren != nullptr && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

ControlBlock* open_control_block(const std::string& instance, std::string* error) {
  const std::string name = control_block_shm_name(instance);
  const int fd = shm_open(name.c_str(), O_RDWR | O_CREAT, 0660);
  if (fd < 0) {
    *error = "cannot open shared memory /dev/shm" + name + ": " + std::strerror(errno);
    return nullptr;
  }
  auto fail = [&](const std::string& why) -> ControlBlock* {
    *error = "/dev/shm" + name + ": " + why;
    close(fd);
    return nullptr;
  };
  if (flock(fd, LOCK_EX) != 0) return fail(std::string("cannot lock: ") + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) return fail(std::string("cannot stat: ") + std::strerror(errno));
  const bool fresh = st.st_size == 0;
  if (fresh && ftruncate(fd, sizeof(ControlBlock)) != 0)
    return fail(std::string("cannot size: ") + std::strerror(errno));
  if (!fresh && static_cast<size_t>(st.st_size) != sizeof(ControlBlock))
    return fail("was made by another iocgate version (" + std::to_string(st.st_size) + " bytes, expected " +
                std::to_string(sizeof(ControlBlock)) + "); stop both processes and remove it");
  void* p = mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return fail(std::string("cannot map: ") + std::strerror(errno));
  auto* cb = static_cast<ControlBlock*>(p);
  if (fresh) {
    // ftruncate zero-filled it: every atomic starts at 0. The magic goes in last.
    cb->version = kControlBlockVersion;
    cb->size = sizeof(ControlBlock);
    std::atomic_thread_fence(std::memory_order_release);
    cb->magic = kControlBlockMagic;
  } else if (cb->magic != kControlBlockMagic || cb->version != kControlBlockVersion) {
    munmap(p, sizeof(ControlBlock));
    return fail("is not an iocgate control block of this version; stop both processes and remove it");
  }
  flock(fd, LOCK_UN);
  close(fd);
  return cb;
}

}  // namespace iocgate
