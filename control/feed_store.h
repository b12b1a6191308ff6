// control/feed_store.h — the feeds the operator pushed, persisted under state_dir/feeds so a
// restarted control process recovers every one: <name>.feed (the bytes as pushed) and
// <name>.json (metadata, with checksums over the content, what it gave and the metadata).
// A damaged, missing or edited feed is detected at load, never enforced in a smaller or
// weaker form (control/control_process.cc carries its IoCs from the last good table).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "feeds/feed_expiry.h"
#include "feeds/ioc.h"
#include "shm/secure_file.h"
#include "table/ioc_table_format.h"

namespace iocgate {

// How the operator asked for the feed to be read; stored so a reload reads it the same way.
struct FeedOptions {
  FeedFormat format = FeedFormat::kAuto;  // as detected or given at push
  std::vector<std::string> force;         // entries enforced despite a guard
  bool include_not_for_ids = false;
  bool skip_refused = false;
  // A watch list of the operator's own hosts seen infected (the monthly botnet list):
  // enforced as alert or mirror only, exempt from the own-network guard, its hosts flagged.
  bool infected_hosts = false;
};

struct StoredFeed {
  std::string name;
  table::Action action = table::Action::kDrop;
  std::string advisory;
  std::string group;
  int64_t expires_unix = 0;   // 0: never
  int64_t pushed_unix = 0;
  std::string pushed_by;      // who pushed it: "uid 1000 (alice)"
  std::string source;         // the file name the operator pushed
  std::string content;        // raw bytes as pushed
  FeedOptions options;
  ParsedFeed parsed;          // what is enforced: the IoCs the push accepted
  // The shrink guard's reference: the most IoCs this feed had in a version pushed without a
  // hold or confirmed with --confirm. Decays only with --confirm.
  uint64_t baseline_iocs = 0;
  // Single-IoC edits since the last push (iocctl ioc add/remove), as canonical texts: what
  // the feed enforces is its file's IoCs, plus `added`, minus `removed`. A push clears them.
  std::vector<std::string> added;
  std::vector<std::string> removed;
  // Set when the stored copy is damaged, missing or altered: the IoCs then come from the
  // last good table (`parsed`), and the operator is told how to repair it.
  std::string degraded;

  bool expired(int64_t now) const { return !feed_live(expires_unix, now); }
};

bool valid_feed_name(const std::string& name);
std::optional<table::Action> parse_action(const std::string& text);

// An order-independent checksum of the IoC keys a feed gives (kind, address, prefix, name).
uint64_t ioc_set_checksum(const std::vector<Ioc>& iocs);

// Reads a stored feed's content into IoCs as a push did: the same parser and options.
using FeedReader = std::function<Result<ParsedFeed>(const StoredFeed& meta)>;

class FeedStore {
 public:
  FeedStore(std::string dir, const TrustedOwners& owners) : dir_(std::move(dir)), owners_(owners) {}

  // Reads every stored feed. Each that fails a check (unreadable or edited metadata, content
  // missing, truncated or changed, a different result than at push) lands in *problems
  // (name -> what is wrong), is kept on disk untouched and not loaded.
  Status load(const FeedReader& read, std::map<std::string, std::string>* problems);

  // Persists `feed` (replacing one of the same name): content, then metadata, each written
  // to a temporary file, fsynced and renamed. Nothing changes when it fails.
  Status put(const StoredFeed& feed);
  Status remove(const std::string& name);

  // Keeps a feed whose stored copy failed its checks, with IoCs recovered elsewhere.
  void keep_degraded(StoredFeed feed) { feeds_[feed.name] = std::move(feed); }

  const std::map<std::string, StoredFeed>& feeds() const { return feeds_; }
  const StoredFeed* find(const std::string& name) const {
    auto it = feeds_.find(name);
    return it == feeds_.end() ? nullptr : &it->second;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  TrustedOwners owners_;
  std::map<std::string, StoredFeed> feeds_;
};

}  // namespace iocgate
