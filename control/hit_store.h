// control/hit_store.h — the review store: matched flows aggregated per (internal host, IoC,
// how it matched, feed, direction), appended every few seconds to day files
// state_dir/events/hits-YYYY-MM-DD.jsonl, read back by the review report. It is what makes
// `iocctl report --since` survive a control restart. Thread-safe; off the hot path.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace iocgate {

struct HitRecord {
  std::string host;       // the internal end of the flow (see event_collector.h)
  std::string ioc;        // as listed
  std::string kind;       // how it matched: ip, dns, sni, host
  std::string feed;
  std::string advisory;
  std::string group;
  std::string action;
  std::string direction;  // outbound, inbound, internal, external
  bool ioc_is_host = false;  // the host's own address is the listed IoC
  int64_t first_ms = 0;   // wall clock, milliseconds
  int64_t last_ms = 0;
  uint64_t flows = 0;
  uint64_t packets = 0;

  auto key() const { return std::tie(host, ioc, kind, feed, direction); }
  // Adds `o` (same key) into this record.
  void merge(const HitRecord& o);
};

class HitStore {
 public:
  explicit HitStore(std::string dir) : dir_(std::move(dir)) {}

  void add(const HitRecord& delta);
  // Appends what accumulated since the last flush to today's file (UTC), one line per
  // record, then fdatasync. Returns false with *error on a write failure (kept pending).
  bool flush(int64_t now_ms, std::string* error);

  // Records whose last packet is at or after since_ms, merged over the day files (and the
  // unflushed part when called on the live store); `feed` empty: every feed.
  std::vector<HitRecord> read(int64_t since_ms, const std::string& feed) const;

  const std::string& dir() const { return dir_; }

 private:
  using Key = std::tuple<std::string, std::string, std::string, std::string, std::string>;
  std::string dir_;
  mutable std::mutex mu_;     // pending_
  mutable std::mutex io_mu_;  // the files, and a flush in progress
  std::map<Key, HitRecord> pending_;
};

// Reads the day files of `dir` (no live store needed: a report from the files alone).
std::vector<HitRecord> read_hit_files(const std::string& dir, int64_t since_ms, const std::string& feed);

// A host is infected when its own address is listed by a botnet feed: one whose group or name
// contains "botnet" (case-insensitive), e.g. `--group "Monthly botnet list"`.
bool is_botnet_feed(const std::string& feed, const std::string& group);

}  // namespace iocgate
