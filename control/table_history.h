// control/table_history.h — the recent table generations the control process published, kept
// mapped so that a match event (which names its generation and a record index) resolves to
// the IoC text and its feed, advisory and group. Called by the publish path (add) and the
// event collector thread (resolve); thread-safe, off the hot path.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "table/table_snapshot.h"

namespace iocgate {

// What a match record of some generation stands for.
struct ResolvedIoc {
  std::string ioc;       // as the operator would write it: "1.2.3.0/24", "evil.example"
  std::string feed;
  std::string advisory;
  std::string group;
  std::string action;    // of the match value: drop, mirror, alert, allow
  uint32_t line = 0;     // line of the IoC in its feed
};

class TableHistory {
 public:
  // Generations kept: events name the generation of their flow's first match; a flow whose
  // first match is more than kKeep publishes old is resolved only by the collector's open
  // flow map (see event_collector.h), or reported as "generation N retired".
  static constexpr size_t kKeep = 16;

  // Maps the table file (the newest generation written) and keeps it. Returns its generation,
  // 0 when the file is missing or invalid (*error says why).
  uint64_t add_file(const std::string& path, std::string* error);

  std::optional<ResolvedIoc> resolve(uint64_t generation, uint32_t match) const;

  struct Entries {
    uint64_t generation = 0, ipv4 = 0, ipv6 = 0, domains = 0;
    int64_t compiled_unix = 0;
  };
  Entries newest() const;

 private:
  struct Generation {
    std::shared_ptr<table::MappedTable> table;
    // record -> slot, built once when the generation is added: resolving an address
    // record must not scan a table of millions of slots for every event.
    std::shared_ptr<const std::vector<uint32_t>> describe_index;
  };
  mutable std::mutex mu_;
  std::map<uint64_t, Generation> tables_;
};

}  // namespace iocgate
