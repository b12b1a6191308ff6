// control/hit_store.cc — aggregated flow records in JSON-lines day files; names; forget.

#include "control/hit_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "control/group_readable.h"

namespace iocgate {

namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86400000;
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr const char* kNamesFile = "names.json";
constexpr const char* kAuditFile = "forget-audit.jsonl";

std::string day_of(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

std::string utc_text(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// "hits-YYYY-MM-DD.jsonl": the only names the readers take.
bool is_day_file(const std::string& n) {
  if (n.size() != 21 || n.rfind("hits-", 0) != 0 || n.compare(15, 6, ".jsonl") != 0) return false;
  for (size_t i = 5; i < 15; ++i)
    if (i == 9 || i == 12 ? n[i] != '-' : (n[i] < '0' || n[i] > '9')) return false;
  return true;
}

struct DayFile {
  std::string path;
  uint64_t size = 0;  // read up to here: what was complete when the scan began
};

// Day files that may hold lines of [since, until]. A line is flushed within seconds of its
// time, so the file of the day after `until` is read too, and (a summary's first packet may
// predate it by more) the day before `since`.
std::vector<DayFile> day_files(const std::string& dir, int64_t since_ms, int64_t until_ms) {
  const std::string from = "hits-" + day_of(std::max<int64_t>(0, since_ms - kDayMs)) + ".jsonl";
  const std::string to = until_ms >= INT64_MAX - kDayMs ? "hits-9999" : "hits-" + day_of(until_ms + kDayMs) + ".jsonl";
  std::vector<DayFile> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (!is_day_file(n) || n < from || n > to) continue;
    std::error_code sec;
    const auto size = std::filesystem::file_size(e.path(), sec);
    if (!sec) files.push_back({e.path().string(), size});
  }
  std::sort(files.begin(), files.end(), [](const DayFile& a, const DayFile& b) { return a.path < b.path; });
  return files;
}

// Calls `line` for each newline-terminated line of the first `limit` bytes; a line over
// kMaxLineBytes is skipped whole and counted damaged. A trailing piece without its newline
// is a flush still being written: left for the next reader.
template <class F>
void for_each_line(const std::string& path, uint64_t limit, HitScanStats* st, F&& line) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return;
  ++st->files;
  std::string buf;
  bool skipping = false;
  char chunk[64 * 1024];
  uint64_t done = 0;
  while (done < limit) {
    const ssize_t n = ::read(fd, chunk, static_cast<size_t>(std::min<uint64_t>(sizeof(chunk), limit - done)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<uint64_t>(n);
    size_t start = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      if (chunk[i] != '\n') continue;
      if (!skipping) {
        if (buf.empty()) {
          line(std::string_view(chunk + start, i - start));
        } else {
          buf.append(chunk + start, i - start);
          line(std::string_view(buf));
        }
      }
      buf.clear();
      skipping = false;
      start = i + 1;
    }
    if (!skipping) {
      buf.append(chunk + start, static_cast<size_t>(n) - start);
      if (buf.size() > kMaxLineBytes) {
        ++st->damaged;
        buf.clear();
        skipping = true;
      }
    }
  }
  close(fd);
}

bool in_period(const HitRecord& r, int64_t since_ms, int64_t until_ms) {
  const int64_t t = r.first_ms != 0 ? r.first_ms : r.last_ms;
  return r.last_ms >= since_ms && t <= until_ms;
}

void scan_files(const std::vector<DayFile>& files, int64_t since_ms, int64_t until_ms, const HitVisitor& visit,
                HitScanStats* st) {
  for (const DayFile& f : files)
    for_each_line(f.path, f.size, st, [&](std::string_view text) {
      HitRecord r;
      if (!decode_hit_line(text, &r)) {
        ++st->damaged;
        return;
      }
      if (!in_period(r, since_ms, until_ms)) return;
      ++st->lines;
      visit(r);
    });
}

json names_json(const HitNames& n) {
  return {{"feeds", n.feeds}, {"advisories", n.advisories}, {"groups", n.groups}};
}

bool names_from_json(const std::string& text, HitNames* out) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return false;
  HitNames n;
  for (auto [key, set] : {std::pair{"feeds", &n.feeds}, {"advisories", &n.advisories}, {"groups", &n.groups}}) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return false;
    for (const json& e : *it) {
      if (!e.is_string()) return false;
      set->insert(e.get<std::string>());
    }
  }
  *out = std::move(n);
  return true;
}

std::string read_small_file(const std::string& path, size_t limit) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return {};
  std::string out;
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(chunk, static_cast<size_t>(n));
    if (out.size() > limit) {
      out.clear();
      break;
    }
  }
  close(fd);
  return out;
}

HitNames names_of_dir(const std::string& dir) {
  HitNames n;
  if (names_from_json(read_small_file(dir + "/" + kNamesFile, 16u << 20), &n)) return n;
  HitScanStats st;
  scan_files(day_files(dir, 0, INT64_MAX), 0, INT64_MAX, [&](const HitRecord& r) { n.add(r); }, &st);
  return n;
}

bool write_all(int fd, const std::string& text) {
  for (size_t off = 0; off < text.size();) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    off += static_cast<size_t>(w);
  }
  return true;
}

Status append_durably(const std::string& path, const std::string& text) {
  Result<int> fd = open_group_readable_append(path);
  if (!fd.ok()) return fd.status();
  const bool ok = write_all(*fd, text) && fdatasync(*fd) == 0;
  const std::string why = std::strerror(errno);
  close(*fd);
  return ok ? Status() : Status::error(path + ": " + why);
}

std::string audit_line(const ForgetEntry& e) {
  json j = {{"time", utc_text(e.time_ms)}, {"time_ms", e.time_ms}, {"op", "forget"}, {"feed", e.feed},
            {"by", e.by}, {"state", e.state}};
  if (e.state == "done")
    j.update({{"records", e.records}, {"flows", e.flows}, {"packets", e.packets}, {"files", e.files}});
  if (!e.error.empty()) j["error"] = e.error;
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// Strips `feed` from a record: false when the record goes (its listing decided it).
bool strip_feed(HitRecord* r, const std::string& feed, bool* changed) {
  if (r->feed == feed) return false;
  const auto before = r->also.size();
  std::erase_if(r->also, [&](const HitListing& l) { return l.feed == feed; });
  *changed = r->also.size() != before;
  return true;
}

}  // namespace

void HitNames::add(const HitRecord& r) {
  feeds.insert(r.feed);
  if (!r.advisory.empty()) advisories.insert(r.advisory);
  if (!r.group.empty()) groups.insert(r.group);
  for (const HitListing& l : r.also) {
    feeds.insert(l.feed);
    if (!l.advisory.empty()) advisories.insert(l.advisory);
    if (!l.group.empty()) groups.insert(l.group);
  }
}

void HitStore::add(const HitRecord& delta) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pending_.find(delta.key());
  if (it != pending_.end()) {
    it->second.merge(delta);
    return;
  }
  size_t& variants = variants_[delta.contact_key()];
  HitRecord r = delta;
  if (r.also.size() > HitRecord::kMaxAlso) r.also.resize(HitRecord::kMaxAlso);
  if (variants >= HitRecord::kMaxVariants) r.fold_variant();
  auto [at, created] = pending_.try_emplace(r.key(), r);
  if (created) ++variants;
  else at->second.merge(r);
}

bool HitStore::flush(int64_t now_ms, std::string* error) {
  std::lock_guard<std::mutex> io(io_mu_);  // a reader sees a batch in the file or pending, never neither
  std::map<HitKey, HitRecord> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
    variants_.clear();
  }
  if (batch.empty()) return true;
  auto keep_pending = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [k, r] : batch) {
      auto [it, created] = pending_.try_emplace(k, r);
      if (created) ++variants_[r.contact_key()];
      else it->second.merge(r);
    }
  };
  if (Status s = make_group_readable_dir(dir_); !s.ok()) {
    *error = s.message();
    keep_pending();
    return false;
  }
  // A name enters names.json before its first line: a crash in between leaves a name
  // without hits (harmless), never hits whose name a report would call unknown.
  if (!names_loaded_) {
    names_ = names_of_dir(dir_);
    names_loaded_ = true;
  }
  HitNames grown = names_;
  for (const auto& [k, r] : batch) grown.add(r);
  if (!(grown == names_)) {
    if (Status s = replace_group_readable(dir_ + "/" + kNamesFile, names_json(grown).dump() + "\n"); !s.ok()) {
      *error = s.message();
      keep_pending();
      return false;
    }
    names_ = std::move(grown);
  }
  std::string text;
  for (const auto& [k, r] : batch) text += encode_hit_line(r) + "\n";
  const std::string path = dir_ + "/hits-" + day_of(now_ms) + ".jsonl";
  if (Status s = append_durably(path, text); !s.ok()) {
    *error = s.message();
    keep_pending();
    return false;
  }
  return true;
}

HitScanStats HitStore::scan(int64_t since_ms, int64_t until_ms, const HitVisitor& visit) const {
  std::vector<DayFile> files;
  std::vector<HitRecord> pending;
  {
    // The snapshot: file sizes and the unflushed part at one instant. The files are then
    // read without the lock, so a long report never holds up the collector's flushes.
    std::lock_guard<std::mutex> io(io_mu_);
    files = day_files(dir_, since_ms, until_ms);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, r] : pending_)
      if (in_period(r, since_ms, until_ms)) pending.push_back(r);
  }
  HitScanStats st;
  scan_files(files, since_ms, until_ms, visit, &st);
  for (const HitRecord& r : pending) {
    ++st.lines;
    visit(r);
  }
  return st;
}

namespace {

std::vector<HitRecord> merged(const std::function<HitScanStats(const HitVisitor&)>& scan, const std::string& feed) {
  std::map<HitKey, HitRecord> m;
  scan([&](const HitRecord& r) {
    if (!feed.empty() && !r.listed_by(feed)) return;
    auto [it, created] = m.try_emplace(r.key(), r);
    if (!created) it->second.merge(r);
  });
  std::vector<HitRecord> v;
  v.reserve(m.size());
  for (auto& [k, r] : m) v.push_back(std::move(r));
  return v;
}

}  // namespace

std::vector<HitRecord> HitStore::read(int64_t since_ms, const std::string& feed) const {
  return merged([&](const HitVisitor& v) { return scan(since_ms, INT64_MAX, v); }, feed);
}

HitNames HitStore::names() const {
  HitNames n;
  {
    std::lock_guard<std::mutex> io(io_mu_);
    if (!names_loaded_) {
      names_ = names_of_dir(dir_);
      names_loaded_ = true;
    }
    n = names_;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, r] : pending_) n.add(r);
  return n;
}

namespace {

// Whether the file mentions `feed` at all: most day files do not, and are left untouched.
// Feed names need no JSON escaping (letters, digits, _ . -), so the bytes are searched.
bool mentions_feed(const std::string& path, const std::string& feed) {
  const std::string needle = "\"feed\":\"" + feed + "\"";
  bool found = false;
  HitScanStats st;
  for_each_line(path, UINT64_MAX, &st, [&](std::string_view text) {
    found = found || text.find(needle) != std::string_view::npos;
  });
  return found;
}

// Rewrites one day file without the feed, streaming to a temporary file beside it.
Status rewrite_without(const std::string& path, const std::string& feed, ForgetResult* res, HitNames* kept) {
  if (!mentions_feed(path, feed)) {
    HitScanStats st;
    scan_files({{path, UINT64_MAX}}, 0, INT64_MAX, [&](const HitRecord& r) { kept->add(r); }, &st);
    return Status();
  }
  const std::filesystem::path p(path);
  const std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".forget")).string();
  unlink(tmp.c_str());
  Result<int> fd = open_group_readable_append(tmp);
  if (!fd.ok()) return fd.status();
  std::string out;
  bool ok = true;
  ForgetResult here;
  HitScanStats st;
  for_each_line(path, UINT64_MAX, &st, [&](std::string_view text) {
    HitRecord r;
    bool stripped = false;
    if (!decode_hit_line(text, &r)) {  // a damaged line is kept as it is: not ours to judge
      out.append(text).push_back('\n');
    } else if (!strip_feed(&r, feed, &stripped)) {
      ++here.records;
      here.flows += r.flows;
      here.packets += r.packets;
    } else {
      kept->add(r);
      if (stripped) {
        ++here.listings;
        out += encode_hit_line(r) + "\n";
      } else {
        out.append(text).push_back('\n');
      }
    }
    if (out.size() >= (1u << 20)) {
      ok = ok && write_all(*fd, out);
      out.clear();
    }
  });
  ok = ok && write_all(*fd, out) && fdatasync(*fd) == 0;
  const std::string why = std::strerror(errno);
  close(*fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string e = ok ? std::string(std::strerror(errno)) : why;
    unlink(tmp.c_str());
    return Status::error(path + ": cannot rewrite: " + e);
  }
  res->records += here.records;
  res->listings += here.listings;
  res->flows += here.flows;
  res->packets += here.packets;
  res->files += here.records + here.listings != 0;
  return Status();
}

}  // namespace

Result<ForgetResult> HitStore::forget(const std::string& feed, const std::string& by, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> io(io_mu_);
    if (!names_loaded_) {
      names_ = names_of_dir(dir_);
      names_loaded_ = true;
    }
    bool pending_has = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [k, r] : pending_) pending_has = pending_has || r.listed_by(feed);
    }
    if (names_.feeds.count(feed) == 0 && !pending_has) {
      std::string known;
      for (const std::string& f : names_.feeds) known += (known.empty() ? "" : ", ") + f;
      return Status::error("the review store holds no hits of feed '" + feed + "'" +
                           (known.empty() ? " (it holds none at all)" : " (feeds with hits: " + known + ")"));
    }
  }
  ForgetEntry entry;
  entry.time_ms = now_ms;
  entry.feed = feed;
  entry.by = by;
  entry.state = "started";
  if (Status s = append_durably(dir_ + "/" + kAuditFile, audit_line(entry)); !s.ok())
    return Status::error("cannot record the forget in the audit file, nothing forgotten: " + s.message());

  ForgetResult res;
  HitNames kept;
  Status failed;
  // Flushes append only to the file of their day: the older files are rewritten without
  // holding the lock (the collector keeps flushing), the recent ones and the unflushed part
  // under it.
  const std::string recent = "hits-" + day_of(now_ms - kDayMs) + ".jsonl";
  auto is_recent = [&](const DayFile& f) { return std::filesystem::path(f.path).filename().string() >= recent; };
  for (const DayFile& f : day_files(dir_, 0, INT64_MAX)) {
    if (is_recent(f)) continue;
    if (failed = rewrite_without(f.path, feed, &res, &kept); !failed.ok()) break;
  }
  std::lock_guard<std::mutex> io(io_mu_);
  if (failed.ok())
    for (const DayFile& f : day_files(dir_, 0, INT64_MAX)) {
      if (!is_recent(f)) continue;
      if (failed = rewrite_without(f.path, feed, &res, &kept); !failed.ok()) break;
    }
  if (failed.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    std::map<HitKey, HitRecord> rest;
    for (auto& [k, r] : pending_) {
      bool stripped = false;
      if (!strip_feed(&r, feed, &stripped)) {
        ++res.records;
        res.flows += r.flows;
        res.packets += r.packets;
        continue;
      }
      res.listings += stripped;
      rest.emplace(r.key(), std::move(r));
    }
    pending_.swap(rest);
    variants_.clear();
    for (const auto& [k, r] : pending_) ++variants_[r.contact_key()];
  }
  if (failed.ok()) {
    if (Status s = replace_group_readable(dir_ + "/" + kNamesFile, names_json(kept).dump() + "\n"); !s.ok())
      failed = s;
    else
      names_ = kept;
  }
  entry.state = failed.ok() ? "done" : "failed";
  entry.error = failed.message();
  entry.records = res.records;
  entry.flows = res.flows;
  entry.packets = res.packets;
  entry.files = res.files;
  Status audited = append_durably(dir_ + "/" + kAuditFile, audit_line(entry));
  if (!failed.ok())
    return Status::error("forget of feed '" + feed + "' stopped after " + std::to_string(res.files) +
                         " day file(s): " + failed.message() + "; run it again to finish");
  if (!audited.ok())
    return Status::error("the hits of feed '" + feed + "' are forgotten, but the audit's closing line failed: " +
                         audited.message());
  return res;
}

HitScanStats scan_hit_files(const std::string& dir, int64_t since_ms, int64_t until_ms, const HitVisitor& visit) {
  HitScanStats st;
  scan_files(day_files(dir, since_ms, until_ms), since_ms, until_ms, visit, &st);
  return st;
}

std::vector<HitRecord> read_hit_files(const std::string& dir, int64_t since_ms, const std::string& feed) {
  return merged([&](const HitVisitor& v) { return scan_hit_files(dir, since_ms, INT64_MAX, v); }, feed);
}

HitNames read_hit_names(const std::string& dir) { return names_of_dir(dir); }

std::vector<ForgetEntry> read_forget_audit(const std::string& dir) {
  std::vector<ForgetEntry> v;
  HitScanStats st;
  for_each_line(dir + "/" + kAuditFile, UINT64_MAX, &st, [&](std::string_view text) {
    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) return;
    ForgetEntry e;
    try {
      e.time_ms = j.value("time_ms", int64_t{0});
      e.feed = j.value("feed", "");
      e.by = j.value("by", "");
      e.state = j.value("state", "");
      e.records = j.value("records", uint64_t{0});
      e.flows = j.value("flows", uint64_t{0});
      e.packets = j.value("packets", uint64_t{0});
      e.files = j.value("files", uint64_t{0});
      e.error = j.value("error", "");
    } catch (const nlohmann::json::exception&) {
      return;  // a damaged line: a wrong type
    }
    v.push_back(std::move(e));
  });
  return v;
}

}  // namespace iocgate
