// control/feed_store.cc — feed persistence with damage detection.

#include "control/feed_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "control/ctl_protocol.h"
#include "table/table_hash.h"

namespace iocgate {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kMetaVersion = 2;
constexpr size_t kMaxMetaBytes = 1 << 20;

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

uint64_t bytes_checksum(const std::string& s) {
  return table::table_checksum(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// The metadata's own checksum: its canonical form (sorted keys, as nlohmann keeps them)
// without the checksum field.
std::string meta_checksum(json m) {
  m.erase("checksum");
  return hex64(bytes_checksum(m.dump(-1, ' ', true, json::error_handler_t::replace)));
}

Status write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  Result<int> fd = create_exclusive(tmp, 0640, /*replace_stale=*/true);
  if (!fd.ok()) return fd.status();
  bool ok = write_fully(*fd, bytes.data(), bytes.size()) && fsync(*fd) == 0;
  const std::string why = errno_text();
  close(*fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = ok ? errno_text() : why;
    unlink(tmp.c_str());
    return Status::error(path + ": cannot write: " + err);
  }
  return Status();
}

Result<std::string> read_trusted(const std::string& path, size_t limit, const TrustedOwners& owners) {
  Result<int> fd = open_trusted(path, O_RDONLY, owners);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (fstat(*fd, &st) != 0 || static_cast<uint64_t>(st.st_size) > limit) {
    close(*fd);
    return Status::error(path + ": larger than " + std::to_string(limit) + " bytes");
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t r = read(*fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += static_cast<size_t>(r);
  }
  close(*fd);
  if (got != out.size()) return Status::error(path + ": short read");
  return out;
}

// Typed reads of a metadata field: a damaged file gives an error naming the field.
template <class T>
bool field(const json& m, const char* key, T& out, std::string& why) {
  auto it = m.find(key);
  if (it == m.end()) {
    why = std::string("'") + key + "' is missing";
    return false;
  }
  try {
    out = it->get<T>();
    return true;
  } catch (const std::exception&) {
    why = std::string("'") + key + "' has the wrong type";
    return false;
  }
}

}  // namespace

bool valid_feed_name(const std::string& name) {
  static const std::regex re("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$");
  return std::regex_match(name, re);
}

std::optional<table::Action> parse_action(const std::string& text) {
  if (text == "drop") return table::Action::kDrop;
  if (text == "mirror") return table::Action::kMirror;
  if (text == "alert") return table::Action::kAlert;
  if (text == "reject") return table::Action::kReject;
  if (text == "allow") return table::Action::kAllow;
  return std::nullopt;
}

uint64_t ioc_set_checksum(const std::vector<Ioc>& iocs) {
  uint64_t sum = iocs.size();
  for (const Ioc& i : iocs) {
    uint64_t h = table::mix64(static_cast<uint64_t>(i.kind) << 8 | i.prefix_len);
    for (uint8_t b : i.addr) h = table::mix64(h ^ b);
    h ^= table::hash_domain(i.domain.data(), i.domain.size());
    sum += table::mix64(h);
  }
  return sum;
}

Status FeedStore::load(const FeedReader& read, std::map<std::string, std::string>* problems) {
  if (Status s = ensure_trusted_dir(dir_, 0750, owners_); !s.ok()) return s;
  feeds_.clear();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string file = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    const std::string name = entry.path().stem().string();
    if (ext != ".json" && ext != ".feed") continue;
    if (!valid_feed_name(name)) continue;
    if (ext == ".feed") {
      if (!fs::exists(fs::path(dir_) / (name + ".json"))) (*problems)[name] = entry.path().string() + ": its metadata (" + name + ".json) is missing";
      continue;
    }
    const std::string meta_path = entry.path().string();
    const std::string content_path = (fs::path(dir_) / (name + ".feed")).string();
    auto problem = [&](const std::string& why) { (*problems)[name] = why; };
    Result<std::string> meta_text = read_trusted(meta_path, kMaxMetaBytes, owners_);
    if (!meta_text.ok()) {
      problem(meta_text.message());
      continue;
    }
    json m = json::parse(*meta_text, nullptr, false);
    if (m.is_discarded() || !m.is_object()) {
      problem(meta_path + ": not valid JSON (damaged)");
      continue;
    }
    std::string why, stored_sum;
    int version = 0;
    if (!field(m, "format_version", version, why) || version != kMetaVersion) {
      problem(meta_path + ": metadata of another version (" + (why.empty() ? std::to_string(version) : why) + ")");
      continue;
    }
    if (!field(m, "checksum", stored_sum, why) || stored_sum != meta_checksum(m)) {
      problem(meta_path + ": metadata checksum mismatch: the file was edited or damaged" +
              (why.empty() ? "" : " (" + why + ")"));
      continue;
    }
    StoredFeed f;
    f.name = name;
    std::string action, format, content_sum, iocs_sum;
    uint64_t content_bytes = 0, iocs = 0;
    json options;
    if (!field(m, "action", action, why) || !field(m, "advisory", f.advisory, why) || !field(m, "group", f.group, why) ||
        !field(m, "expires_unix", f.expires_unix, why) || !field(m, "pushed_unix", f.pushed_unix, why) ||
        !field(m, "pushed_by", f.pushed_by, why) || !field(m, "source", f.source, why) ||
        !field(m, "format", format, why) || !field(m, "content_bytes", content_bytes, why) ||
        !field(m, "content_checksum", content_sum, why) || !field(m, "iocs", iocs, why) ||
        !field(m, "iocs_checksum", iocs_sum, why) || !field(m, "baseline_iocs", f.baseline_iocs, why) ||
        !field(m, "options", options, why) || !field(options, "force", f.options.force, why) ||
        !field(options, "include_not_for_ids", f.options.include_not_for_ids, why) ||
        !field(options, "skip_refused", f.options.skip_refused, why) ||
        !field(options, "infected_hosts", f.options.infected_hosts, why)) {
      problem(meta_path + ": " + why);
      continue;
    }
    if (auto e = m.find("edits"); e != m.end()) {
      if (!field(*e, "added", f.added, why) || !field(*e, "removed", f.removed, why)) {
        problem(meta_path + ": edits: " + why);
        continue;
      }
    }
    const std::optional<table::Action> a = parse_action(action);
    const std::optional<FeedFormat> ff = feed_format_from_name(format);
    if (!a || !ff) {
      problem(meta_path + ": unknown " + (a ? "format '" + format + "'" : "action '" + action + "'"));
      continue;
    }
    f.action = *a;
    f.options.format = *ff;
    Result<std::string> content = read_trusted(content_path, kMaxPushBytes, owners_);
    if (!content.ok()) {
      problem(content.message());
      continue;
    }
    if (content->size() != content_bytes || hex64(bytes_checksum(*content)) != content_sum) {
      problem(content_path + ": " + std::to_string(content->size()) + " bytes whose checksum does not match the " +
              std::to_string(content_bytes) + " bytes pushed (truncated, emptied or changed)");
      continue;
    }
    f.content = std::move(*content);
    Result<ParsedFeed> parsed = read(f);
    if (!parsed.ok()) {
      problem(content_path + ": no longer reads as it did at push: " + parsed.message());
      continue;
    }
    if (parsed->iocs.size() != iocs || hex64(ioc_set_checksum(parsed->iocs)) != iocs_sum) {
      problem(content_path + ": gives " + std::to_string(parsed->iocs.size()) + " IoCs now, " + std::to_string(iocs) +
              " at push (the parser, the guards or the config changed)");
      continue;
    }
    f.parsed = std::move(*parsed);
    feeds_.emplace(name, std::move(f));
  }
  if (ec) return Status::error(dir_ + ": " + ec.message());
  return Status();
}

Status FeedStore::put(const StoredFeed& feed) {
  if (Status s = ensure_trusted_dir(dir_, 0750, owners_); !s.ok()) return s;
  const fs::path base = fs::path(dir_) / feed.name;
  json m = {{"format_version", kMetaVersion},
            {"action", table::action_name(feed.action)},
            {"advisory", feed.advisory},
            {"group", feed.group},
            {"expires_unix", feed.expires_unix},
            {"pushed_unix", feed.pushed_unix},
            {"pushed_by", feed.pushed_by},
            {"source", feed.source},
            {"format", feed_format_name(feed.options.format)},
            {"options", {{"force", feed.options.force},
                         {"include_not_for_ids", feed.options.include_not_for_ids},
                         {"skip_refused", feed.options.skip_refused},
                         {"infected_hosts", feed.options.infected_hosts}}},
            {"content_bytes", feed.content.size()},
            {"content_checksum", hex64(bytes_checksum(feed.content))},
            {"iocs", feed.parsed.iocs.size()},
            {"iocs_checksum", hex64(ioc_set_checksum(feed.parsed.iocs))},
            {"baseline_iocs", feed.baseline_iocs},
            {"edits", {{"added", feed.added}, {"removed", feed.removed}}}};
  m["checksum"] = meta_checksum(m);
  // Content first: metadata present means the content it describes is complete.
  if (Status s = write_atomically(base.string() + ".feed", feed.content); !s.ok()) return s;
  if (Status s = write_atomically(base.string() + ".json", m.dump(2, ' ', true, json::error_handler_t::replace) + "\n");
      !s.ok())
    return s;
  if (Status s = sync_parent_dir(base.string() + ".json"); !s.ok()) return s;
  StoredFeed kept = feed;
  kept.degraded.clear();
  feeds_[feed.name] = std::move(kept);
  return Status();
}

Status FeedStore::remove(const std::string& name) {
  const fs::path base = fs::path(dir_) / name;
  // Metadata first: it is the commit point; content left by a crash after it is not loaded.
  if (unlink((base.string() + ".json").c_str()) != 0 && errno != ENOENT)
    return Status::error(base.string() + ".json: " + errno_text());
  if (unlink((base.string() + ".feed").c_str()) != 0 && errno != ENOENT)
    return Status::error(base.string() + ".feed: " + errno_text());
  if (Status s = sync_parent_dir(base.string() + ".json"); !s.ok()) return s;
  feeds_.erase(name);
  return Status();
}

}  // namespace iocgate
