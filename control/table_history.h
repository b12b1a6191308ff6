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
#include <vector>

#include "base/status.h"
#include "shm/mapped_table.h"
#include "shm/shm_protocol.h"

namespace iocgate {

// What a match record of some generation stands for.
struct ResolvedIoc {
  std::string ioc;       // as the operator would write it: "1.2.3.0/24", "evil.example"
  std::string feed;      // the listing whose action decided
  std::string advisory;
  std::string group;
  std::string action;    // of the match value: drop, mirror, alert, allow
  uint32_t line = 0;     // line of the IoC in its feed
  struct Listing {
    std::string feed, advisory, group, action;  // action: the feed's
    uint32_t line = 0;
    bool infected_hosts = false;  // the feed is a watch list of own hosts (table::kFeedInfectedHosts)
  };
  std::vector<Listing> listings;  // every feed that lists the key, the deciding one first
  // Resolved from the key (the event's address or name) in the newest table, because the
  // event's own generation is no longer kept: the listings are those of that table.
  bool by_key = false;
};

class TableHistory {
 public:
  // Generations kept: events name the generation of their flow's first match; a flow whose
  // first match is more than kKeep publishes old is resolved only by the collector's open
  // flow map (see event_collector.h), or reported as "generation N retired".
  static constexpr size_t kKeep = 64;

  // Maps a stored table (the generation just written, or the one the dataplane may run at
  // start-up) and keeps it.
  Status add_file(const std::string& path, const TrustedOwners& owners, const TableIdentity& id);

  std::optional<ResolvedIoc> resolve(uint64_t generation, uint32_t match) const;
  // The IoC an event's key (its name, or the address on its IoC side) falls under in the
  // newest table: for an event whose generation is unknown or no longer kept.
  std::optional<ResolvedIoc> resolve_by_key(const MatchEvent& e) const;

  struct Entries {
    uint64_t generation = 0, ipv4 = 0, ipv6 = 0, domains = 0;
    int64_t compiled_unix = 0;
  };
  Entries newest() const;
  // The mapped table of `generation`, or null when it is not kept.
  std::shared_ptr<const MappedTable> table_of(uint64_t generation) const;
  // The entries of `generation` if it is kept; zeros otherwise.
  Entries entries_of(uint64_t generation) const;

 private:
  static std::optional<ResolvedIoc> resolve_in(const table::IocTableView& v, const std::vector<uint32_t>& index,
                                               uint32_t match);
  struct Generation {
    std::shared_ptr<MappedTable> table;
    // record -> slot, built once when the generation is added: resolving an address
    // record must not scan a table of millions of slots for every event.
    std::shared_ptr<const std::vector<uint32_t>> describe_index;
  };
  mutable std::mutex mu_;
  std::map<uint64_t, Generation> tables_;
};

}  // namespace iocgate
