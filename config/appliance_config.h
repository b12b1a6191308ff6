// config/appliance_config.h — the appliance's one configuration file (TOML), read by both
// the dataplane and the control process. One flat struct with defaults; unknown keys and
// bad values are errors naming the file and line, so a typo never goes unnoticed.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include <string>
#include <vector>

namespace iocgate {

struct ApplianceConfig {
  std::string path;                                  // where it was read from
  std::string instance = "iocgate";                  // names the shared memory objects
  std::string state_dir = "/var/lib/iocgate";        // feeds, the kept table generations
  // The control block and table snapshots (tmpfs). Only root and the control user may
  // create names here; both processes refuse objects anyone else owns.
  std::string shm_dir = "/run/iocgate/shm";

  // [control]
  std::string socket_path = "/run/iocgate/iocgate.sock";
  std::string socket_group = "iocgate";              // may use iocctl besides root
  std::string control_user = "iocgate";              // the control process runs as this user
  uint32_t publish_timeout_ms = 5000;                // a push fails if workers lag longer
  uint32_t keep_tables = 4;                          // table generations kept on disk

  // [dataplane]
  std::string lcores = "0-1";                        // EAL -l (or --lcores with @): first = main lcore
  uint32_t workers = 1;                              // worker lcores = RX queues per port
  // How frames reach the workers: "rss" (a queue per worker on every port, hashed by the
  // NIC), "ring" (one queue; a distributor lcore hashes them to the workers), or "auto"
  // (rss where every port has the queues, else ring; one worker needs neither).
  std::string distribute = "auto";
  bool hugepages = true;                             // false: --no-huge (tests, demos)
  uint32_t memory_mb = 1024;                         // with hugepages = false
  std::vector<std::string> eal_args;                 // extra EAL arguments, verbatim
  std::string inside;                                // PCI address or vdev spec
  std::string outside;
  std::string mirror;                                // optional
  uint32_t flow_capacity = 1u << 20;                 // per worker
  uint32_t reassembly_buffers = 4096;                // per worker, 16 KiB each
  uint32_t mbufs = 32767;
  // With no valid table on an appliance that has enforced one before: "drop" everything
  // (fail-closed, the default) or "forward" everything (fail-open).
  std::string on_no_table = "drop";
  // A stream or fragmented datagram whose name cannot be read (reassembly buffers or
  // fragment contexts exhausted, limits exceeded, conflicting overlaps): "drop" it (the
  // default: splitting must not carry a name past the filter) or "pass" it unread.
  std::string unreadable = "drop";

  // [xdp] — the XDP enforcement path (iocgate-xdp), for kernel interfaces DPDK cannot take.
  // It serves an instance instead of the DPDK dataplane, never beside it.
  std::vector<std::string> xdp_interfaces;           // kernel interfaces, up to kMaxPorts
  std::string xdp_mode = "native";                   // "native", "generic" or "auto"
  std::string xdp_on_load_failure = "exit";          // "exit" or "link-down"
  std::string xdp_on_crash = "detach";               // "detach" or "keep"
  uint32_t xdp_flow_capacity = 65536;                // matched flows remembered
  uint32_t xdp_flow_idle_seconds = 30;               // a matched flow idle this long is summarised
  uint32_t xdp_alert_mark = 0;                       // skb mark of alert-listed frames; 0 = none
  uint32_t xdp_mirror_mark = 0;                      // skb mark of mirror-listed frames; 0 = none

  // [network]
  std::vector<std::string> internal_networks;        // CIDRs of the operator's own hosts

  // [metrics]
  std::string metrics_listen = "127.0.0.1:9108";     // empty: no /metrics

  // [events] — the event log (one JSON line per matched flow); see control/event_log.h
  std::string events_path;                           // default <state_dir>/events.log
  uint64_t events_max_bytes = 64ull << 20;           // rotate at this size
  uint32_t events_keep = 5;                          // rotated files kept
  bool events_syslog = false;                        // also to syslog
  uint32_t events_rate_limit_per_s = 1000;           // lines per second; 0: unlimited

  // [guards]: what a pushed feed may not list unless the operator forces the entry.
  std::string guards_allowlist;                      // file of never-blocked entries; "" = none
  uint32_t guards_min_prefix_v4 = 8;
  uint32_t guards_min_prefix_v6 = 32;
  uint32_t guards_max_shrink_percent = 50;           // a feed losing more is held for --confirm

  // [history] — every flow, kept for hunts (control/history_store.h) and exported over IPFIX.
  bool history_enabled = true;                       // the workers make flow records
  std::string history_dir;                           // "" = <state_dir>/history
  uint32_t history_days = 30;                        // flows older than this are dropped
  uint64_t history_max_bytes = 20ull << 30;          // and the oldest beyond this size
  uint32_t history_idle_timeout_s = 60;              // a flow quiet this long ends (flow table too)
  uint32_t history_active_timeout_s = 300;           // a longer flow is recorded in parts this long
  std::string history_ipfix;                         // "host:port" of an IPFIX collector; "" = none

  std::string table_file() const { return state_dir + "/table.current"; }
  std::string history_path() const { return history_dir.empty() ? state_dir + "/history" : history_dir; }
  std::string tables_dir() const { return state_dir + "/tables"; }
  std::string feeds_dir() const { return state_dir + "/feeds"; }
  std::string hits_dir() const { return state_dir + "/events"; }   // the review store
};

// The config at `path`, or an error naming the file, the line and the key.
Result<ApplianceConfig> load_config(const std::string& path);

// A DPDK device string: a PCI address ("0000:03:00.0", "03:00.0") or a vdev spec
// ("net_pcap0,rx_pcap=x.pcap"). Returns the name DPDK knows the port by.
bool is_pci_address(const std::string& device);
std::string device_port_name(const std::string& device);

}  // namespace iocgate
