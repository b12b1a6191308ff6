// control/hit_store.h — the review store: matched flows aggregated per key (hit_record.h),
// appended every few seconds to day files state_dir/events/hits-YYYY-MM-DD.jsonl (0640, the
// operators' group reads them), read back by the review report and, at start-up, by the
// counters. It is what makes `iocctl report --since` survive a control restart. Beside the
// day files: names.json (every feed, advisory and group with hits, so a report can tell a
// misspelt name from one without hits) and forget-audit.jsonl (who forgot which feed's hits,
// and when; append-only). Thread-safe; off the hot path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "control/hit_record.h"

namespace iocgate {

// Names with hits in the store (deciding listings and the others).
struct HitNames {
  std::set<std::string> feeds, advisories, groups;
  void add(const HitRecord& r);
  bool operator==(const HitNames&) const = default;
};

struct HitScanStats {
  uint64_t lines = 0;    // records visited
  uint64_t damaged = 0;  // torn or damaged lines skipped
  uint64_t files = 0;
};

// One `forget` as the audit file keeps it.
struct ForgetEntry {
  int64_t time_ms = 0;
  std::string feed, by, state;  // state: started, done, failed
  uint64_t records = 0, flows = 0, packets = 0, files = 0;
  std::string error;
};

struct ForgetResult {
  uint64_t records = 0;   // lines removed (the feed's listing decided them)
  uint64_t listings = 0;  // lines kept, with the feed's listing taken out of their other listings
  uint64_t flows = 0, packets = 0;
  uint64_t files = 0;     // day files rewritten
};

using HitVisitor = std::function<void(const HitRecord&)>;

class HitStore {
 public:
  explicit HitStore(std::string dir) : dir_(std::move(dir)) {}

  // Adds one delta. Past HitRecord::kMaxVariants distinct peers of one contact in a batch,
  // the delta's peer becomes "*" (memory stays bounded under a scan of many ports).
  void add(const HitRecord& delta);
  // Appends what accumulated since the last flush to today's file (UTC), one line per
  // record, then fdatasync. Returns false with *error on a write failure (kept pending).
  bool flush(int64_t now_ms, std::string* error);

  // Visits every stored line whose time falls in [since_ms, until_ms] (a line's time: its
  // first_ms, or last_ms for a summary), in file order — chronological for each key — then
  // the unflushed part. A flush running meanwhile is seen whole or not at all.
  HitScanStats scan(int64_t since_ms, int64_t until_ms, const HitVisitor& visit) const;

  // Records whose last packet is at or after since_ms, merged per key; `feed` empty: every
  // feed, else the records it lists (in any listing).
  std::vector<HitRecord> read(int64_t since_ms, const std::string& feed) const;

  // Every feed, advisory and group with hits (names.json, rebuilt from the day files when
  // missing or damaged), with the unflushed part.
  HitNames names() const;

  // Removes the hits the feed's listing decided, in every day file and the unflushed part,
  // and takes it out of the other listings of the rest. `by` is who asked ("uid 1000
  // (alice), pid 42"); forget-audit.jsonl records it before (started) and after (done or
  // failed). An error, and no change, when the store holds no hit of the feed.
  Result<ForgetResult> forget(const std::string& feed, const std::string& by, int64_t now_ms);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  mutable std::mutex mu_;     // pending_, variants_
  mutable std::mutex io_mu_;  // the files, names_, and a flush or forget in progress
  std::map<HitKey, HitRecord> pending_;
  std::map<ContactKey, size_t> variants_;  // distinct keys per contact in pending_
  mutable bool names_loaded_ = false;
  mutable HitNames names_;
};

// The store's files without a live store (iocctl --state-dir, start-up): the same readers.
HitScanStats scan_hit_files(const std::string& dir, int64_t since_ms, int64_t until_ms, const HitVisitor& visit);
std::vector<HitRecord> read_hit_files(const std::string& dir, int64_t since_ms, const std::string& feed);
HitNames read_hit_names(const std::string& dir);
// The forget audit, oldest first; damaged lines skipped.
std::vector<ForgetEntry> read_forget_audit(const std::string& dir);

}  // namespace iocgate
