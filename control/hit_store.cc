// control/hit_store.cc — aggregated flow records in JSON-lines day files.

#include "control/hit_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace iocgate {

namespace {

using nlohmann::json;

std::string day_of(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
  return buf;
}

json to_json(const HitRecord& r) {
  return {{"host", r.host}, {"ioc", r.ioc}, {"kind", r.kind}, {"feed", r.feed}, {"advisory", r.advisory},
          {"group", r.group}, {"action", r.action}, {"direction", r.direction}, {"ioc_is_host", r.ioc_is_host},
          {"first_ms", r.first_ms}, {"last_ms", r.last_ms}, {"flows", r.flows}, {"packets", r.packets}};
}

bool from_json(const json& j, HitRecord* r) {
  if (!j.is_object()) return false;
  r->host = j.value("host", "");
  r->ioc = j.value("ioc", "");
  r->kind = j.value("kind", "");
  r->feed = j.value("feed", "");
  r->advisory = j.value("advisory", "");
  r->group = j.value("group", "");
  r->action = j.value("action", "");
  r->direction = j.value("direction", "");
  r->ioc_is_host = j.value("ioc_is_host", false);
  r->first_ms = j.value("first_ms", int64_t{0});
  r->last_ms = j.value("last_ms", int64_t{0});
  r->flows = j.value("flows", uint64_t{0});
  r->packets = j.value("packets", uint64_t{0});
  return !r->host.empty();
}

using Merged = std::map<std::tuple<std::string, std::string, std::string, std::string, std::string>, HitRecord>;

void merge_into(Merged& m, const HitRecord& r, int64_t since_ms, const std::string& feed) {
  if (r.last_ms < since_ms || (!feed.empty() && r.feed != feed)) return;
  auto [it, created] = m.try_emplace(r.key(), r);
  if (!created) it->second.merge(r);
}

void read_files(const std::string& dir, int64_t since_ms, const std::string& feed, Merged& m) {
  std::error_code ec;
  // A day file holds what was flushed that day; a summary can reach the next day's file, so
  // the file of the day before `since` is read too.
  const std::string from = "hits-" + day_of(since_ms - 86400000) + ".jsonl";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("hits-", 0) == 0 && n.size() == from.size() && n >= from) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    std::ifstream in(f);
    for (std::string line; std::getline(in, line);) {
      HitRecord r;
      const json j = json::parse(line, nullptr, false);  // a line torn by a crash is skipped
      if (!j.is_discarded() && from_json(j, &r)) merge_into(m, r, since_ms, feed);
    }
  }
}

std::vector<HitRecord> to_vector(Merged& m) {
  std::vector<HitRecord> v;
  for (auto& [k, r] : m) v.push_back(std::move(r));
  return v;
}

}  // namespace

void HitRecord::merge(const HitRecord& o) {
  first_ms = first_ms == 0 ? o.first_ms : (o.first_ms == 0 ? first_ms : std::min(first_ms, o.first_ms));
  last_ms = std::max(last_ms, o.last_ms);
  flows += o.flows;
  packets += o.packets;
  ioc_is_host = ioc_is_host || o.ioc_is_host;
  if (advisory.empty()) advisory = o.advisory;
  if (group.empty()) group = o.group;
  if (action.empty()) action = o.action;
}

bool is_botnet_feed(const std::string& feed, const std::string& group) {
  auto has = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s.find("botnet") != std::string::npos;
  };
  return has(feed) || has(group);
}

void HitStore::add(const HitRecord& delta) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, created] = pending_.try_emplace(delta.key(), delta);
  if (!created) it->second.merge(delta);
}

bool HitStore::flush(int64_t now_ms, std::string* error) {
  std::lock_guard<std::mutex> io(io_mu_);  // a reader sees a batch in the file or pending, never neither
  std::map<Key, HitRecord> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return true;
  std::string text;
  for (const auto& [k, r] : batch) text += to_json(r).dump() + "\n";
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const std::string path = dir_ + "/hits-" + day_of(now_ms) + ".jsonl";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  bool ok = fd >= 0;
  if (ok) {
    ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fdatasync(fd) == 0;
    close(fd);
  }
  if (!ok) {
    *error = path + ": " + std::strerror(errno);
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [k, r] : batch) {
      auto [it, created] = pending_.try_emplace(k, r);
      if (!created) it->second.merge(r);
    }
  }
  return ok;
}

std::vector<HitRecord> HitStore::read(int64_t since_ms, const std::string& feed) const {
  Merged m;
  std::lock_guard<std::mutex> io(io_mu_);
  read_files(dir_, since_ms, feed, m);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [k, r] : pending_) merge_into(m, r, since_ms, feed);
  return to_vector(m);
}

std::vector<HitRecord> read_hit_files(const std::string& dir, int64_t since_ms, const std::string& feed) {
  Merged m;
  read_files(dir, since_ms, feed, m);
  return to_vector(m);
}

}  // namespace iocgate
