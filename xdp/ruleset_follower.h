// xdp/ruleset_follower.h — follows the control process's table generations into the XDP
// program by the rules both forwarding processes share (shm/table_follower.h): it converts
// each chosen table into a ruleset image and switches, and writes what is enforced to the
// control block and the XDP path's worker slot, so iocctl status, /metrics and a waiting push
// see it like a worker. Runs on the main thread of iocgate-xdp, about every millisecond; never
// per packet.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "config/appliance_config.h"
#include "shm/mapped_table.h"
#include "shm/shm_protocol.h"
#include "shm/table_follower.h"
#include "xdp/xdp_loader.h"

namespace iocgate::xdp {

class RulesetFollower final : private TableEnforcer {
 public:
  using LogFn = std::function<void(const std::string&)>;
  RulesetFollower(const ApplianceConfig& cfg, ControlBlock* cb, WorkerSlot* slot, XdpLoader* loader,
                  const TrustedOwners& owners, LogFn log);

  // Before the program is attached: the published generation if the control process has
  // one, else the store's newest valid table; with neither, an appliance that enforced
  // before fails closed (drops everything) unless on_no_table = "forward", a fresh one passes.
  void load_initial();

  // Installs a newer published generation, if any. A snapshot that fails validation (or
  // cannot be installed) is refused with rejected_generation; the ruleset in force stays.
  void poll();

  uint64_t active_generation() const { return follower_.active_generation(); }
  bool fail_closed() const { return fail_closed_; }
  uint64_t switches() const { return switches_; }
  const Installed& last_install() const { return last_; }
  // Called after every switch with the generation now enforced (the process keeps tallies).
  std::function<void(uint64_t)> on_switch;

 private:
  bool adopt(std::unique_ptr<MappedTable> t, TableSource source) override;
  void drop_everything() override { set_fail_closed(true); }
  void set_fail_closed(bool on);

  const ApplianceConfig& cfg_;
  ControlBlock* cb_;
  WorkerSlot* slot_;
  XdpLoader* loader_;
  LogFn log_;
  TableFollower follower_;
  uint64_t switches_ = 0;
  bool fail_closed_ = false;
  Installed last_;
};

}  // namespace iocgate::xdp
