// control/feed_store.cc — feed persistence: <name>.feed (content) and <name>.json (metadata).

#include "control/feed_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "feeds/feed_parser.h"

namespace iocgate {

namespace fs = std::filesystem;

namespace {

bool write_atomically(const std::string& path, const std::string& bytes, std::string* error) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t off = 0;
  bool ok = true;
  while (off < bytes.size()) {
    const ssize_t w = write(fd, bytes.data() + off, bytes.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      ok = false;
      break;
    }
    off += static_cast<size_t>(w);
  }
  ok = ok && fsync(fd) == 0;
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    *error = path + ": cannot write: " + std::strerror(errno);
    unlink(tmp.c_str());
    return false;
  }
  return true;
}

void sync_dir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
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
  if (text == "allow") return table::Action::kAllow;
  return std::nullopt;
}

bool FeedStore::load(std::vector<std::string>* problems, std::string* error) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    *error = dir_ + ": " + ec.message();
    return false;
  }
  feeds_.clear();
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (entry.path().extension() != ".json") continue;
    const std::string meta_path = entry.path().string();
    const std::string name = entry.path().stem().string();
    std::ifstream meta_in(meta_path);
    nlohmann::json m = nlohmann::json::parse(meta_in, nullptr, false);
    if (m.is_discarded() || !m.is_object()) {
      problems->push_back(meta_path + ": unreadable feed metadata; the feed is not enforced");
      continue;
    }
    StoredFeed f;
    f.name = name;
    f.action = parse_action(m.value("action", "drop")).value_or(table::Action::kDrop);
    f.advisory = m.value("advisory", "");
    f.group = m.value("group", "");
    f.expires_unix = m.value("expires_unix", int64_t{0});
    f.pushed_unix = m.value("pushed_unix", int64_t{0});
    f.source = m.value("source", "");
    const std::string content_path = (fs::path(dir_) / (name + ".feed")).string();
    std::ifstream in(content_path, std::ios::binary);
    if (!in) {
      problems->push_back(content_path + ": missing; the feed is not enforced");
      continue;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    f.content = ss.str();
    ParseOptions opts;
    opts.file_name = f.source.empty() ? content_path : f.source;
    FeedParseResult r = parse_feed(f.content, opts);
    if (!r.ok()) {
      problems->push_back(content_path + ": no longer parses (" + r.error->message() + "); not enforced");
      continue;
    }
    f.parsed = std::move(r.feed);
    feeds_.emplace(name, std::move(f));
  }
  if (ec) {
    *error = dir_ + ": " + ec.message();
    return false;
  }
  return true;
}

bool FeedStore::put(const StoredFeed& feed, std::string* error) {
  const fs::path base = fs::path(dir_) / feed.name;
  const char* action = "drop";
  switch (feed.action) {
    case table::Action::kMirror: action = "mirror"; break;
    case table::Action::kAlert: action = "alert"; break;
    case table::Action::kAllow: action = "allow"; break;
    default: break;
  }
  nlohmann::json m = {{"action", action},          {"advisory", feed.advisory},
                      {"group", feed.group},        {"expires_unix", feed.expires_unix},
                      {"pushed_unix", feed.pushed_unix}, {"source", feed.source}};
  // Content first: metadata present means the content it describes is complete.
  if (!write_atomically(base.string() + ".feed", feed.content, error)) return false;
  if (!write_atomically(base.string() + ".json", m.dump(2) + "\n", error)) return false;
  sync_dir(dir_);
  feeds_[feed.name] = feed;
  return true;
}

bool FeedStore::remove(const std::string& name, std::string* error) {
  const fs::path base = fs::path(dir_) / name;
  // Metadata first: without it the content is ignored at the next load.
  if (unlink((base.string() + ".json").c_str()) != 0 && errno != ENOENT) {
    *error = base.string() + ".json: " + std::strerror(errno);
    return false;
  }
  unlink((base.string() + ".feed").c_str());
  sync_dir(dir_);
  feeds_.erase(name);
  return true;
}

}  // namespace iocgate
