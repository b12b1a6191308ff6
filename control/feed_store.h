// control/feed_store.h — the feeds the operator pushed, persisted under the state directory
// so a restarted control process recovers every one. Each feed is its raw content plus a
// metadata file, both replaced atomically (write, fsync, rename).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "feeds/ioc.h"
#include "table/ioc_table_format.h"

namespace iocgate {

struct StoredFeed {
  std::string name;
  table::Action action = table::Action::kDrop;
  std::string advisory;
  std::string group;
  int64_t expires_unix = 0;   // 0: never
  int64_t pushed_unix = 0;
  std::string source;         // the file name the operator pushed
  std::string content;        // raw bytes as pushed
  ParsedFeed parsed;

  bool expired(int64_t now) const { return expires_unix != 0 && now >= expires_unix; }
};

bool valid_feed_name(const std::string& name);
std::optional<table::Action> parse_action(const std::string& text);

class FeedStore {
 public:
  explicit FeedStore(std::string dir) : dir_(std::move(dir)) {}

  // Reads every stored feed. A stored feed that no longer parses is reported in *problems
  // and kept on disk (never deleted behind the operator's back), but not enforced.
  bool load(std::vector<std::string>* problems, std::string* error);

  // Persists `feed` (replacing one of the same name).
  bool put(const StoredFeed& feed, std::string* error);
  bool remove(const std::string& name, std::string* error);

  const std::map<std::string, StoredFeed>& feeds() const { return feeds_; }
  const StoredFeed* find(const std::string& name) const {
    auto it = feeds_.find(name);
    return it == feeds_.end() ? nullptr : &it->second;
  }

 private:
  std::string dir_;
  std::map<std::string, StoredFeed> feeds_;
};

}  // namespace iocgate
