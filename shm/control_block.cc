// shm/control_block.cc — creating and mapping the control block with ownership checks.

#include "shm/control_block.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <thread>

namespace iocgate {

std::string control_block_path(const ApplianceConfig& cfg) { return cfg.shm_dir + "/" + cfg.instance + "-ctl"; }

std::string table_object_prefix(const ApplianceConfig& cfg) { return cfg.instance + "-table-"; }

std::string table_object_path(const ApplianceConfig& cfg, uint64_t generation) {
  return cfg.shm_dir + "/" + table_object_prefix(cfg) + std::to_string(generation);
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

bool process_alive(uint64_t pid) {
  if (pid == 0 || pid > static_cast<uint64_t>(INT32_MAX)) return false;
  // EPERM: it exists but belongs to another user (the root dataplane, seen from control).
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  // Another user's process may be hidden (ProtectProc=invisible): it exists, state unknown;
  // the heartbeat tells whether it still works.
  if (f == nullptr) return true;
  char buf[512];
  const size_t n = std::fread(buf, 1, sizeof(buf) - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // The state follows the command name, which is in parentheses and may hold spaces.
  const char* close_paren = std::strrchr(buf, ')');
  return close_paren != nullptr && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

uint64_t other_dataplane(const ControlBlock& cb) {
  const uint64_t pid = cb.dataplane_pid.load();
  return pid != static_cast<uint64_t>(getpid()) && process_alive(pid) ? pid : 0;
}

void reset_worker_slot(WorkerSlot& slot) {
  slot.generation.store(0);
  for (GenerationTally& t : slot.tally) {
    t.generation.store(0);
    t.packets.store(0);
  }
  slot.switches.store(0);
  slot.tally_folded.store(0);
  slot.counters = DataplaneCounters{};
}

namespace {

Result<ControlBlock*> map_block(int fd, const std::string& path) {
  void* p = mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const std::string why = errno_text();
  close(fd);
  if (p == MAP_FAILED) return Status::error(path + ": cannot map: " + why);
  return static_cast<ControlBlock*>(p);
}

}  // namespace

Result<ControlBlock*> open_control_block(const ApplianceConfig& cfg, const TrustedOwners& owners) {
  if (Status s = ensure_trusted_dir(cfg.shm_dir, 0750, owners); !s.ok())
    return s.prefixed("shared-memory directory (shm_dir in " + cfg.path + "): ");
  const std::string path = control_block_path(cfg);
  Result<int> created = create_exclusive(path, 0600, /*replace_stale=*/false);
  if (created.ok()) {
    const int fd = *created;
    // The control user must write its fields whoever created the block.
    if (geteuid() == 0 && fchown(fd, owners.owner_uid, owners.owner_gid) != 0) {
      const std::string why = errno_text();
      close(fd);
      unlink(path.c_str());
      return Status::error(path + ": cannot give it to the control user: " + why);
    }
    if (ftruncate(fd, sizeof(ControlBlock)) != 0) {
      const std::string why = errno_text();
      close(fd);
      unlink(path.c_str());
      return Status::error(path + ": cannot size: " + why);
    }
    Result<ControlBlock*> cb = map_block(fd, path);
    if (!cb.ok()) return cb;
    // ftruncate zero-filled it: every atomic starts at 0. The magic goes in last.
    (*cb)->version = kShmProtocolVersion;
    (*cb)->size = sizeof(ControlBlock);
    std::atomic_thread_fence(std::memory_order_release);
    reinterpret_cast<std::atomic<uint64_t>*>(&(*cb)->magic)->store(kControlBlockMagic, std::memory_order_release);
    return cb;
  }
  if (errno != EEXIST) return created.status();

  // It exists: the other process made it (or a previous run). Trust it only if it is ours.
  Result<int> fd = open_trusted(path, O_RDWR, owners);
  if (!fd.ok()) return fd.status().prefixed("control block: ");
  // The creator may still be initialising it: give it a moment to size it and set the magic.
  for (int i = 0;; ++i) {
    struct stat st;
    if (fstat(*fd, &st) != 0) {
      close(*fd);
      return Status::error(path + ": cannot stat: " + errno_text());
    }
    if (static_cast<size_t>(st.st_size) == sizeof(ControlBlock)) break;
    if (i == 200 || st.st_size > static_cast<off_t>(sizeof(ControlBlock))) {
      close(*fd);
      return Status::error(path + ": " + std::to_string(st.st_size) + " bytes, expected " +
                           std::to_string(sizeof(ControlBlock)) +
                           ": made by another iocgate version; stop both processes and remove it");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Result<ControlBlock*> cb = map_block(*fd, path);
  if (!cb.ok()) return cb;
  auto* magic = reinterpret_cast<std::atomic<uint64_t>*>(&(*cb)->magic);
  for (int i = 0; i < 200 && magic->load(std::memory_order_acquire) != kControlBlockMagic; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (magic->load(std::memory_order_acquire) != kControlBlockMagic || (*cb)->version != kShmProtocolVersion ||
      (*cb)->size != sizeof(ControlBlock)) {
    munmap(*cb, sizeof(ControlBlock));
    return Status::error(path + ": not an iocgate control block of this protocol version; stop both processes "
                                "and remove it");
  }
  return cb;
}

}  // namespace iocgate
