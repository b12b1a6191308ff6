// control/open_flows.h — the event collector's memory of the IoC each open matched flow first
// matched, kept in an append-only journal beside the review store: a restarted control
// process still attributes a long flow's summary to its IoC, whatever tables came and went.
// Used by the collector thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "control/table_history.h"

namespace iocgate {

// What a flow's first match was, as the collector resolved it.
struct OpenFlow {
  ResolvedIoc ioc;
  std::string kind;  // ip, dns, sni, host
  std::string host, direction;
  bool ioc_is_host = false;
};

class OpenFlows {
 public:
  // `path`: the journal ("+KEY\tJSON" and "-KEY" lines). `max` flows kept at most.
  OpenFlows(std::string path, size_t max) : path_(std::move(path)), max_(max) {}
  ~OpenFlows();
  OpenFlows(const OpenFlows&) = delete;
  OpenFlows& operator=(const OpenFlows&) = delete;

  // Replays the journal (a line torn by a crash is skipped and counted), then rewrites it
  // compacted. A missing journal is an empty memory.
  Status load();
  const OpenFlow* find(const std::string& key) const;
  void put(const std::string& key, OpenFlow f);  // ignored when full (counted)
  void erase(const std::string& key);
  // Writes what changed since the last flush; compacts when the journal is mostly history.
  Status flush();

  size_t size() const { return flows_.size(); }
  uint64_t torn_lines() const { return torn_; }
  uint64_t refused_full() const { return full_; }

 private:
  Status rewrite();
  std::string path_;
  size_t max_;
  std::unordered_map<std::string, OpenFlow> flows_;
  std::string pending_;       // journal lines not yet written
  uint64_t journal_lines_ = 0;
  uint64_t torn_ = 0, full_ = 0;
  FILE* out_ = nullptr;
};

}  // namespace iocgate
