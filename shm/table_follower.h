// shm/table_follower.h — which table generation a forwarding process enforces, by one set of
// rules for the DPDK dataplane and the XDP path: the published snapshot when it validates,
// else the newest valid table of the store, else fail-closed or fail-open per on_no_table.
// Runs on the process's main thread, about every millisecond; never per packet.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/appliance_config.h"
#include "shm/mapped_table.h"
#include "shm/secure_file.h"
#include "shm/shm_protocol.h"
#include "shm/table_store.h"

namespace iocgate {

// What a forwarding process does with the tables the follower chooses: the DPDK workers
// map them, the XDP path copies them into its program.
class TableEnforcer {
 public:
  // Starts enforcing `t` and says so in the control block (report_enforced_table, then
  // active_generation last); false when it cannot, and the table in force stays.
  virtual bool adopt(std::unique_ptr<MappedTable> t, TableSource source) = 0;
  // No table can be enforced and on_no_table does not forward: drop everything until one
  // is adopted.
  virtual void drop_everything() = 0;

 protected:
  ~TableEnforcer() = default;
};

// How the process's log lines name what it does with traffic it does not judge.
struct FollowerWords {
  const char* forwarding;  // "... everything until ...": "forwarding", "passing"
  const char* packet;      // "dropping every ...": "packet", "frame"
  const char* forwards;    // "on_no_table = "forward" ... instead": "forwards", "passes"
};

class TableFollower {
 public:
  using LogFn = std::function<void(const std::string&)>;
  TableFollower(const ApplianceConfig& cfg, ControlBlock* cb, const TrustedOwners& owners, TableEnforcer* enforcer,
                FollowerWords words, LogFn log);

  // At start-up, before any traffic: the published generation if the control process has
  // one in shared memory, else the store's newest valid table. With neither, an appliance
  // that enforced before fails closed unless on_no_table = "forward"; a fresh one lets
  // everything through until its first table.
  void load_initial();

  // Adopts a newer published generation, if any. A snapshot that fails validation or that
  // the enforcer cannot adopt is refused once, with rejected_generation: the table in force
  // stays.
  void poll();

  // The generation last adopted; 0 before any.
  uint64_t active_generation() const { return active_; }

 private:
  bool adopt(std::unique_ptr<MappedTable> t, TableSource source);

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  TrustedOwners owners_;
  TableStore store_;
  TableEnforcer* enforcer_;
  FollowerWords words_;
  LogFn log_;
  uint64_t active_ = 0;
};

// The enforced table's checksum, entry counts and source, for iocctl status, /metrics and
// a waiting push; the enforcer stores active_generation after it, once the table is in force.
void report_enforced_table(ControlBlock* cb, const table::Header& h, TableSource source);

}  // namespace iocgate
