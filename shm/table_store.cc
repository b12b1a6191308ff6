// shm/table_store.cc — the kept table generations on disk.

#include "shm/table_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "table/table_hash.h"

namespace iocgate {

namespace fs = std::filesystem;

std::string TableStore::path_of(uint64_t g) const { return cfg_.tables_dir() + "/" + std::to_string(g) + ".table"; }

std::vector<uint64_t> TableStore::generations_on_disk() const {
  std::vector<uint64_t> gens;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cfg_.tables_dir(), ec)) {
    const std::string n = e.path().filename().string();
    const size_t dot = n.find(".table");
    if (dot == 0 || dot == std::string::npos || dot + 6 != n.size()) continue;
    const std::string digits = n.substr(0, dot);
    if (digits.size() > 19 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    gens.push_back(std::stoull(digits));
  }
  std::sort(gens.rbegin(), gens.rend());
  return gens;
}

uint64_t TableStore::highest_generation() const {
  uint64_t g = 0;
  const std::vector<uint64_t> on_disk = generations_on_disk();
  if (!on_disk.empty()) g = on_disk.front();
  std::ifstream in(marker_path());
  uint64_t marked = 0;
  if (in >> marked) g = std::max(g, marked);
  return g;
}

bool TableStore::has_enforced_before() const {
  struct stat st;
  return lstat(marker_path().c_str(), &st) == 0 || lstat(cfg_.table_file().c_str(), &st) == 0 ||
         !generations_on_disk().empty();
}

Result<TableStore::Found> TableStore::newest_valid() const {
  Found found;
  const uint64_t highest = highest_generation();
  std::vector<std::pair<std::string, uint64_t>> tries;  // path, expected generation (0: any)
  for (uint64_t g : generations_on_disk()) tries.emplace_back(path_of(g), g);
  tries.emplace_back(cfg_.table_file(), 0);
  // table.current is tried last: it is a second name for the newest, or (damaged names
  // aside) the only table an older layout of the store kept.
  for (const auto& [path, g] : tries) {
    Result<std::unique_ptr<MappedTable>> t = MappedTable::open(path, owners_, {cfg_.instance, g});
    if (!t.ok()) {
      struct stat st;
      if (g != 0 || lstat(path.c_str(), &st) == 0) found.refused.push_back(t.message());
      continue;
    }
    found.table = std::move(*t);
    found.newest = found.table->generation() >= highest;
    return found;
  }
  std::string msg = "no valid table in " + cfg_.tables_dir() + " or " + cfg_.table_file();
  for (const std::string& r : found.refused) msg += "\n  " + r;
  return Status::error(msg);
}

uint64_t TableStore::find_same_content(const uint8_t* blob, size_t size) const {
  table::Header want;
  std::memcpy(&want, blob, sizeof(want));
  for (uint64_t g : generations_on_disk()) {
    Result<std::unique_ptr<MappedTable>> t = MappedTable::open(path_of(g), owners_, {cfg_.instance, g});
    if (!t.ok()) continue;
    const table::Header& h = (*t)->header();
    if (h.content_checksum != want.content_checksum || h.total_size != size) continue;
    if (std::memcmp((*t)->view().base() + sizeof(table::Header), blob + sizeof(table::Header),
                    size - sizeof(table::Header)) == 0)
      return g;
  }
  return 0;
}

Status TableStore::put(const uint8_t* blob, size_t size, uint64_t g, std::string* warning) {
  if (Status s = ensure_trusted_dir(cfg_.tables_dir(), 0750, owners_); !s.ok()) return s;
  const std::string final_path = path_of(g);
  const std::string tmp = cfg_.tables_dir() + "/." + std::to_string(g) + ".table.tmp";
  Result<int> fd = create_exclusive(tmp, 0640, /*replace_stale=*/true);
  if (!fd.ok()) return fd.status();
  const table::Header h = stamped_header(blob, {cfg_.instance, g});
  bool ok = write_fully(*fd, &h, sizeof(h)) && write_fully(*fd, blob + sizeof(h), size - sizeof(h));
  ok = ok && fsync(*fd) == 0;
  const std::string why = errno_text();
  close(*fd);
  if (!ok || rename(tmp.c_str(), final_path.c_str()) != 0) {
    const std::string err = ok ? errno_text() : why;
    unlink(tmp.c_str());
    return Status::error(final_path + ": cannot write: " + err);
  }
  if (Status s = sync_parent_dir(final_path); !s.ok()) return s;

  // The marker: numbering continues from here even if every table file is lost later.
  {
    const std::string mtmp = marker_path() + ".tmp";
    Result<int> mfd = create_exclusive(mtmp, 0640, true);
    if (!mfd.ok()) return mfd.status();
    const std::string text = std::to_string(g) + "\n";
    const bool mok = write_fully(*mfd, text.data(), text.size()) && fsync(*mfd) == 0;
    const std::string mwhy = errno_text();
    close(*mfd);
    if (!mok || rename(mtmp.c_str(), marker_path().c_str()) != 0) {
      unlink(mtmp.c_str());
      return Status::error(marker_path() + ": cannot write: " + (mok ? errno_text() : mwhy));
    }
  }

  // table.current: a second name (hard link) for the newest, at no extra space.
  const std::string ctmp = cfg_.state_dir + "/.table.current.tmp";
  unlink(ctmp.c_str());
  if (link(final_path.c_str(), ctmp.c_str()) != 0 || rename(ctmp.c_str(), cfg_.table_file().c_str()) != 0) {
    *warning = cfg_.table_file() + ": cannot point it at generation " + std::to_string(g) + " (" + errno_text() +
               "); the table is stored as " + final_path;
    unlink(ctmp.c_str());
  }
  if (Status s = sync_parent_dir(cfg_.table_file()); !s.ok()) return s;

  // Keep the newest generations. Unlinking a table a dataplane still maps is safe: the
  // mapping keeps it until the dataplane lets go.
  const std::vector<uint64_t> gens = generations_on_disk();
  for (size_t i = cfg_.keep_tables; i < gens.size(); ++i)
    if (gens[i] != g && unlink(path_of(gens[i]).c_str()) != 0 && errno != ENOENT && warning->empty())
      *warning = path_of(gens[i]) + ": cannot remove an old generation: " + errno_text();
  return Status();
}

}  // namespace iocgate
