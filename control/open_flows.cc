// control/open_flows.cc — the open-flow journal.

#include "control/open_flows.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <string_view>
#include <nlohmann/json.hpp>

namespace iocgate {

using nlohmann::json;

namespace {

json to_json(const OpenFlow& f) {
  json listings = json::array();
  for (const auto& l : f.ioc.listings)
    listings.push_back({l.feed, l.advisory, l.group, l.action, l.line, l.infected_hosts});
  return {{"ioc", f.ioc.ioc}, {"feed", f.ioc.feed},     {"advisory", f.ioc.advisory}, {"group", f.ioc.group},
          {"action", f.ioc.action}, {"line", f.ioc.line}, {"by_key", f.ioc.by_key}, {"listings", listings},
          {"kind", f.kind},       {"host", f.host},       {"direction", f.direction},   {"ioc_is_host", f.ioc_is_host}};
}

bool from_json(const json& j, OpenFlow* f) {
  try {
    f->ioc.ioc = j.at("ioc").get<std::string>();
    f->ioc.feed = j.at("feed").get<std::string>();
    f->ioc.advisory = j.at("advisory").get<std::string>();
    f->ioc.group = j.at("group").get<std::string>();
    f->ioc.action = j.at("action").get<std::string>();
    f->ioc.line = j.at("line").get<uint32_t>();
    f->ioc.by_key = j.at("by_key").get<bool>();
    for (const json& l : j.at("listings"))
      f->ioc.listings.push_back({l.at(0).get<std::string>(), l.at(1).get<std::string>(), l.at(2).get<std::string>(),
                                 l.at(3).get<std::string>(), l.at(4).get<uint32_t>(), l.at(5).get<bool>()});
    f->kind = j.at("kind").get<std::string>();
    f->host = j.at("host").get<std::string>();
    f->direction = j.at("direction").get<std::string>();
    f->ioc_is_host = j.at("ioc_is_host").get<bool>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Keys are bytes (addresses, ports); the journal is lines: hex.
std::string hex(const std::string& key) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(key.size() * 2);
  for (unsigned char c : key) out += kDigits[c >> 4], out += kDigits[c & 15];
  return out;
}

bool unhex(std::string_view h, std::string* key) {
  if (h.size() % 2 != 0) return false;
  key->clear();
  auto nib = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
  for (size_t i = 0; i < h.size(); i += 2) {
    const int a = nib(h[i]), b = nib(h[i + 1]);
    if (a < 0 || b < 0) return false;
    key->push_back(static_cast<char>(a << 4 | b));
  }
  return true;
}

}  // namespace

OpenFlows::~OpenFlows() {
  if (out_ != nullptr) std::fclose(out_);
}

Status OpenFlows::load() {
  flows_.clear();
  std::ifstream in(path_);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    std::string key;
    if (line.size() >= 2 && line[0] == '-' && unhex(std::string_view(line).substr(1), &key)) {
      flows_.erase(key);
      continue;
    }
    if (line.size() < 2 || line[0] != '+' || tab == std::string::npos ||
        !unhex(std::string_view(line).substr(1, tab - 1), &key)) {
      ++torn_;
      continue;
    }
    json j = json::parse(line.substr(tab + 1), nullptr, false);
    OpenFlow f;
    if (j.is_discarded() || !from_json(j, &f)) {
      ++torn_;  // the last line of a journal a kill -9 cut short
      continue;
    }
    if (flows_.size() < max_ || flows_.count(key) != 0) flows_.insert_or_assign(key, std::move(f));
  }
  return rewrite();
}

const OpenFlow* OpenFlows::find(const std::string& key) const {
  auto it = flows_.find(key);
  return it == flows_.end() ? nullptr : &it->second;
}

void OpenFlows::put(const std::string& key, OpenFlow f) {
  if (flows_.size() >= max_ && flows_.count(key) == 0) {
    ++full_;
    return;
  }
  pending_ += "+" + hex(key) + "\t" + to_json(f).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  flows_.insert_or_assign(key, std::move(f));
}

void OpenFlows::erase(const std::string& key) {
  if (flows_.erase(key) != 0) pending_ += "-" + hex(key) + "\n";
}

Status OpenFlows::flush() {
  if (pending_.empty()) return Status();
  // Mostly erased history: write the live flows afresh instead.
  if (journal_lines_ > 4 * flows_.size() + 1024) return rewrite();
  if (out_ == nullptr) return Status::error(path_ + ": not open");
  const size_t lines = static_cast<size_t>(std::count(pending_.begin(), pending_.end(), '\n'));
  if (std::fwrite(pending_.data(), 1, pending_.size(), out_) != pending_.size() || std::fflush(out_) != 0)
    return Status::error(path_ + ": cannot append: " + std::strerror(errno));
  journal_lines_ += lines;
  pending_.clear();
  return Status();
}

Status OpenFlows::rewrite() {
  if (out_ != nullptr) {
    std::fclose(out_);
    out_ = nullptr;
  }
  const std::string tmp = path_ + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) return Status::error(tmp + ": " + std::strerror(errno));
  for (const auto& [key, flow] : flows_)
    std::fprintf(f, "+%s\t%s\n", hex(key).c_str(),
                 to_json(flow).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  const bool ok = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0) return Status::error(path_ + ": cannot write: " + std::strerror(errno));
  journal_lines_ = flows_.size();
  pending_.clear();
  out_ = std::fopen(path_.c_str(), "a");
  if (out_ == nullptr) return Status::error(path_ + ": " + std::strerror(errno));
  return Status();
}

}  // namespace iocgate
