// control/history_store.cc — partitions of checked, zstd-compressed blocks: append, fdatasync,
// cut torn tails at open, drop whole partitions by age and size.

#include "control/history_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fmt/format.h>

#include "table/table_hash.h"

namespace iocgate {

namespace {

constexpr char kFileMagic[8] = {'I', 'G', 'H', 'I', 'S', 'T', '0', '1'};
constexpr uint32_t kFileHeaderLen = 64;
constexpr uint32_t kBlockMagic = 0x31424749;  // "IGB1"
constexpr uint32_t kBlockHeaderLen = 192;
constexpr uint32_t kMaxPositions = 16;
// A block never holds more than this, so a damaged length cannot make a reader allocate more.
constexpr uint32_t kMaxBlockBytes = 64u << 20;

void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t get32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t get64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// Over the 8-byte words of a header: tells a header a crash cut or a stray write from a
// complete one (the payload has zstd's own checksum).
uint64_t header_check(const uint8_t* p, size_t words) {
  uint64_t h = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < words; ++i) h = table::mix64(h ^ get64(p + 8 * i));
  return h;
}

std::string errno_text() { return std::strerror(errno); }

std::string utc_stamp(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool partition_name(const std::string& n) {
  return n.size() == 33 && n.rfind("flows-", 0) == 0 && n.compare(n.size() - 4, 4, ".igh") == 0;
}

Status sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::error(dir + ": " + errno_text());
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::error(dir + ": fsync: " + errno_text());
  return Status();
}

bool full_pwrite(int fd, const void* data, size_t n, uint64_t off) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return true;
}

bool full_pread(int fd, void* data, size_t n, uint64_t off) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    const ssize_t r = pread(fd, p, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
    off += static_cast<uint64_t>(r);
  }
  return true;
}

}  // namespace

struct HistoryStore::Partition {
  std::string path;
  uint64_t size = 0;       // bytes of the file that belong to it (header and whole blocks)
  uint64_t records = 0;
  int64_t min_ms = 0, max_ms = 0;
  std::vector<HistoryBlock> blocks;
};

HistoryStore::HistoryStore(HistoryConfig cfg) : cfg_(std::move(cfg)) {
  if (cfg_.partition_bytes == 0) cfg_.partition_bytes = std::max<uint64_t>(cfg_.max_bytes / 32, 64u << 10);
  cctx_ = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(cctx_), ZSTD_c_compressionLevel, cfg_.zstd_level);
  ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx*>(cctx_), ZSTD_c_checksumFlag, 1);
}

HistoryStore::~HistoryStore() {
  if (fd_ >= 0) close(fd_);
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
}

Status HistoryStore::open(int64_t now_ms) {
  if (mkdir(cfg_.dir.c_str(), 0750) != 0 && errno != EEXIST)
    return Status::error(cfg_.dir + ": cannot create the history directory: " + errno_text());
  struct stat st;
  if (stat(cfg_.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return Status::error(cfg_.dir + ": not a directory ([history] dir)");
  DIR* d = opendir(cfg_.dir.c_str());
  if (d == nullptr) return Status::error(cfg_.dir + ": " + errno_text());
  std::vector<std::string> names;
  while (dirent* e = readdir(d))
    if (partition_name(e->d_name)) names.emplace_back(e->d_name);
  closedir(d);
  std::sort(names.begin(), names.end());
  std::unique_lock<std::mutex> lock(mu_);
  for (size_t i = 0; i < names.size(); ++i)
    if (Status s = open_partition(cfg_.dir + "/" + names[i], i + 1 == names.size(), now_ms); !s.ok()) return s;
  for (auto it = parts_.rbegin(); it != parts_.rend() && durable_.empty(); ++it) {
    if ((*it)->blocks.empty()) continue;
    // The positions of the newest block, read again from its header.
    const HistoryBlock& b = (*it)->blocks.back();
    const int fd = ::open(b.path.c_str(), O_RDONLY | O_CLOEXEC);
    uint8_t h[kBlockHeaderLen];
    if (fd >= 0 && full_pread(fd, h, sizeof h, b.offset)) {
      const uint32_t n = std::min(get32(h + 20), kMaxPositions);
      for (uint32_t k = 0; k < n; ++k) durable_.push_back(get64(h + 56 + 8 * k));
    }
    if (fd >= 0) close(fd);
  }
  lock.unlock();
  apply_bounds(now_ms);
  return Status();
}

Status HistoryStore::open_partition(const std::string& path, bool newest, int64_t now_ms) {
  (void)newest;
  (void)now_ms;
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::error(path + ": " + errno_text());
  struct stat st;
  fstat(fd, &st);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  uint8_t fh[kFileHeaderLen];
  if (!S_ISREG(st.st_mode) || file_size < kFileHeaderLen || !full_pread(fd, fh, sizeof fh, 0) ||
      std::memcmp(fh, kFileMagic, 8) != 0 || get64(fh + 56) != header_check(fh, 7)) {
    close(fd);
    // Not ours or damaged at its start: kept aside for a person to look at, never read.
    ++c_.damaged_partitions;
    std::rename(path.c_str(), (path + ".bad").c_str());
    return Status();
  }
  auto p = std::make_unique<Partition>();
  p->path = path;
  uint64_t off = kFileHeaderLen;
  while (off < file_size) {
    uint8_t h[kBlockHeaderLen];
    const bool whole_header = off + kBlockHeaderLen <= file_size && full_pread(fd, h, sizeof h, off);
    const bool good = whole_header && get32(h) == kBlockMagic && get32(h + 4) == kBlockHeaderLen &&
                      get64(h + 184) == header_check(h, 23) && get32(h + 8) <= kMaxBlockBytes &&
                      get32(h + 12) <= kMaxBlockBytes;
    if (!good || off + kBlockHeaderLen + get32(h + 8) > file_size) {
      // The block a crash cut short (or a damaged tail): the partition ends before it.
      ++c_.torn_blocks;
      if (good) c_.records_lost_torn += get32(h + 16);
      if (ftruncate(fd, static_cast<off_t>(off)) == 0) fdatasync(fd);
      break;
    }
    HistoryBlock b;
    b.path = path;
    b.offset = off;
    b.compressed_len = get32(h + 8);
    b.raw_len = get32(h + 12);
    b.records = get32(h + 16);
    b.base_ms = static_cast<int64_t>(get64(h + 24));
    b.min_ms = static_cast<int64_t>(get64(h + 32));
    b.max_ms = static_cast<int64_t>(get64(h + 40));
    p->records += b.records;
    p->min_ms = p->blocks.empty() ? b.min_ms : std::min(p->min_ms, b.min_ms);
    p->max_ms = p->blocks.empty() ? b.max_ms : std::max(p->max_ms, b.max_ms);
    p->blocks.push_back(b);
    off += kBlockHeaderLen + b.compressed_len;
  }
  close(fd);
  p->size = off;
  c_.bytes_on_disk += p->size;
  c_.records_stored += p->records;
  parts_.push_back(std::move(p));
  return Status();
}

std::vector<uint64_t> HistoryStore::durable_positions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return durable_;
}

void HistoryStore::count_crash_loss(uint64_t records) {
  std::lock_guard<std::mutex> lock(mu_);
  c_.records_lost_crash += records;
}

bool HistoryStore::add(const FlowRow& row, const std::vector<uint64_t>& positions) {
  std::lock_guard<std::mutex> lock(mu_);
  Unwritten& u = filling_;
  if (u.records == 0) {
    u.base_ms = row.first_ms;
    u.min_ms = row.first_ms;
    u.max_ms = row.last_ms;
  }
  encode_flow_row(row, u.base_ms, &u.raw);
  u.min_ms = std::min(u.min_ms, row.first_ms);
  u.max_ms = std::max(u.max_ms, row.last_ms);
  ++u.records;
  u.positions = positions;
  return u.raw.size() >= cfg_.block_raw_bytes;
}

Status HistoryStore::start_partition(int64_t now_ms) {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  for (int tries = 0; tries < 1000; ++tries) {
    const std::string path = fmt::format("{}/flows-{}-{:06d}.igh", cfg_.dir, utc_stamp(now_ms), seq_++ % 1000000);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return Status::error(path + ": cannot create a history partition: " + errno_text());
    uint8_t fh[kFileHeaderLen] = {};
    std::memcpy(fh, kFileMagic, 8);
    put32(fh + 8, 1);
    put32(fh + 12, kFileHeaderLen);
    put64(fh + 16, static_cast<uint64_t>(now_ms));
    put64(fh + 56, header_check(fh, 7));
    if (!full_pwrite(fd, fh, sizeof fh, 0) || fdatasync(fd) != 0) {
      const std::string e = errno_text();
      close(fd);
      unlink(path.c_str());
      return Status::error(path + ": " + e);
    }
    // The new name survives a power cut, not just a crash.
    if (Status s = sync_dir(cfg_.dir); !s.ok()) {
      close(fd);
      unlink(path.c_str());
      return s;
    }
    fd_ = fd;
    fd_size_ = kFileHeaderLen;
    fd_start_ms_ = now_ms;
    auto p = std::make_unique<Partition>();
    p->path = path;
    p->size = kFileHeaderLen;
    std::lock_guard<std::mutex> lock(mu_);
    c_.bytes_on_disk += p->size;
    parts_.push_back(std::move(p));
    return Status();
  }
  return Status::error(cfg_.dir + ": no free partition name");
}

Status HistoryStore::write_block(const Unwritten& u, int64_t now_ms) {
  const bool new_hour = fd_ >= 0 && now_ms / cfg_.partition_ms != fd_start_ms_ / cfg_.partition_ms;
  if (fd_ < 0 || new_hour || fd_size_ >= cfg_.partition_bytes) {
    if (Status s = start_partition(now_ms); !s.ok()) return s;
  }
  std::string out(kBlockHeaderLen + ZSTD_compressBound(u.raw.size()), '\0');
  uint8_t* h = reinterpret_cast<uint8_t*>(out.data());
  const size_t z = ZSTD_compress2(static_cast<ZSTD_CCtx*>(cctx_), out.data() + kBlockHeaderLen,
                                  out.size() - kBlockHeaderLen, u.raw.data(), u.raw.size());
  if (ZSTD_isError(z)) return Status::error(std::string("history: zstd: ") + ZSTD_getErrorName(z));
  out.resize(kBlockHeaderLen + z);
  h = reinterpret_cast<uint8_t*>(out.data());
  put32(h, kBlockMagic);
  put32(h + 4, kBlockHeaderLen);
  put32(h + 8, static_cast<uint32_t>(z));
  put32(h + 12, static_cast<uint32_t>(u.raw.size()));
  put32(h + 16, u.records);
  const uint32_t np = std::min<uint32_t>(static_cast<uint32_t>(u.positions.size()), kMaxPositions);
  put32(h + 20, np);
  put64(h + 24, static_cast<uint64_t>(u.base_ms));
  put64(h + 32, static_cast<uint64_t>(u.min_ms));
  put64(h + 40, static_cast<uint64_t>(u.max_ms));
  put64(h + 48, static_cast<uint64_t>(now_ms));
  for (uint32_t k = 0; k < np; ++k) put64(h + 56 + 8 * k, u.positions[k]);
  put64(h + 184, header_check(h, 23));
  // Room first, so the history is never over max_bytes, not even until apply_bounds after
  // this write. The partition being written is the newest one, never dropped here.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (parts_.size() < 2 || c_.bytes_on_disk + out.size() <= cfg_.max_bytes) break;
    }
    drop_front(true);
  }
  const std::string path = parts_.back()->path;
  if (!full_pwrite(fd_, out.data(), out.size(), fd_size_) || fdatasync(fd_) != 0) {
    const std::string e = errno_text();
    // Leave no partial block behind: the next write starts where this one did.
    if (ftruncate(fd_, static_cast<off_t>(fd_size_)) != 0) {
      close(fd_);
      fd_ = -1;
    }
    return Status::error(path + ": cannot write flow history: " + e);
  }
  HistoryBlock b;
  b.path = path;
  b.offset = fd_size_;
  b.compressed_len = static_cast<uint32_t>(z);
  b.raw_len = static_cast<uint32_t>(u.raw.size());
  b.records = u.records;
  b.base_ms = u.base_ms;
  b.min_ms = u.min_ms;
  b.max_ms = u.max_ms;
  fd_size_ += out.size();
  std::lock_guard<std::mutex> lock(mu_);
  Partition& p = *parts_.back();
  p.min_ms = p.blocks.empty() ? b.min_ms : std::min(p.min_ms, b.min_ms);
  p.max_ms = p.blocks.empty() ? b.max_ms : std::max(p.max_ms, b.max_ms);
  p.blocks.push_back(b);
  p.size = fd_size_;
  p.records += b.records;
  c_.bytes_on_disk += out.size();
  c_.records_stored += b.records;
  c_.records_written += b.records;
  c_.blocks_written += 1;
  c_.bytes_written += out.size();
  c_.raw_bytes_written += b.raw_len;
  if (!u.positions.empty()) durable_ = u.positions;
  return Status();
}

Status HistoryStore::flush(int64_t now_ms) {
  std::lock_guard<std::mutex> io(io_mu_);
  std::vector<Unwritten> todo;
  {
    std::lock_guard<std::mutex> lock(mu_);
    todo.swap(failed_);
    if (filling_.records != 0) {
      todo.push_back(std::move(filling_));
      filling_ = Unwritten{};
    }
  }
  Status result;
  size_t done = 0;
  for (; done < todo.size(); ++done) {
    Status s = write_block(todo[done], now_ms);
    if (!s.ok()) {
      result = s;
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done < todo.size()) {
      ++c_.write_errors;
      // Kept for the next flush, oldest first, within a bound; beyond it the oldest go.
      std::vector<Unwritten> keep(std::make_move_iterator(todo.begin() + static_cast<ptrdiff_t>(done)),
                                  std::make_move_iterator(todo.end()));
      size_t bytes = 0;
      for (const Unwritten& u : keep) bytes += u.raw.size();
      size_t drop = 0;
      while (drop < keep.size() && bytes > cfg_.max_pending_raw_bytes) {
        bytes -= keep[drop].raw.size();
        c_.records_lost_write += keep[drop].records;
        ++drop;
      }
      failed_.assign(std::make_move_iterator(keep.begin() + static_cast<ptrdiff_t>(drop)),
                     std::make_move_iterator(keep.end()));
    }
  }
  apply_bounds(now_ms);
  return result;
}

void HistoryStore::apply_bounds(int64_t now_ms) {
  std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
  for (;;) {
    lock.lock();
    bool drop = false, for_size = false;
    if (!parts_.empty()) {
      const Partition& oldest = *parts_.front();
      const bool writing = parts_.size() == 1 && fd_ >= 0;
      const bool aged = !oldest.blocks.empty() && oldest.max_ms < now_ms - cfg_.max_age_ms;
      const bool empty_old = oldest.blocks.empty() && !writing && parts_.size() > 1;
      if (aged || empty_old) drop = true;
      else if (c_.bytes_on_disk > cfg_.max_bytes) drop = for_size = true;
    }
    lock.unlock();
    if (!drop) return;
    drop_front(for_size);
  }
}

void HistoryStore::drop_front(bool for_size) {
  std::unique_ptr<Partition> p;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (parts_.empty()) return;
    p = std::move(parts_.front());
    parts_.erase(parts_.begin());
    c_.bytes_on_disk -= std::min(c_.bytes_on_disk, p->size);
    c_.records_stored -= std::min(c_.records_stored, p->records);
    if (for_size) {
      ++c_.partitions_dropped_size;
      c_.records_dropped_size += p->records;
      c_.bytes_dropped_size += p->size;
    } else {
      ++c_.partitions_dropped_age;
      c_.records_dropped_age += p->records;
      c_.bytes_dropped_age += p->size;
    }
    if (parts_.empty() && fd_ >= 0) {  // the one being written: the next block starts a new one
      close(fd_);
      fd_ = -1;
    }
  }
  unlink(p->path.c_str());
  (void)sync_dir(cfg_.dir);
}

HistoryCounters HistoryStore::counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  HistoryCounters c = c_;
  c.partitions = parts_.size();
  c.oldest_ms = c.newest_ms = 0;
  for (const auto& p : parts_) {
    if (p->blocks.empty()) continue;
    c.oldest_ms = c.oldest_ms == 0 ? p->min_ms : std::min(c.oldest_ms, p->min_ms);
    c.newest_ms = std::max(c.newest_ms, p->max_ms);
  }
  c.pending_records = filling_.records;
  for (const Unwritten& u : failed_) c.pending_records += u.records;
  return c;
}

std::vector<HistoryBlock> HistoryStore::blocks(int64_t since_ms, int64_t until_ms) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<HistoryBlock> out;
  for (const auto& p : parts_) {
    if (p->blocks.empty() || p->max_ms < since_ms || p->min_ms > until_ms) continue;
    for (const HistoryBlock& b : p->blocks)
      if (b.max_ms >= since_ms && b.min_ms <= until_ms) out.push_back(b);
  }
  return out;
}

std::vector<HistoryStore::Unwritten> HistoryStore::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Unwritten> out = failed_;
  if (filling_.records != 0) out.push_back(filling_);
  return out;
}

void HistoryStore::count_damaged_read() const {
  std::lock_guard<std::mutex> lock(mu_);
  ++c_.damaged_blocks_read;
}

Status HistoryStore::read_block(const HistoryBlock& b, std::string* raw) const {
  const std::string where = fmt::format("{} at offset {}", b.path, b.offset);
  if (b.compressed_len > kMaxBlockBytes || b.raw_len > kMaxBlockBytes) return Status::error(where + ": block too large");
  const int fd = ::open(b.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::error(where + ": " + errno_text() + (errno == ENOENT ? " (dropped meanwhile)" : ""));
  std::string z(b.compressed_len, '\0');
  const bool ok = full_pread(fd, z.data(), z.size(), b.offset + kBlockHeaderLen);
  close(fd);
  if (!ok) return Status::error(where + ": short read");
  thread_local ZSTD_DCtx* dctx = ZSTD_createDCtx();
  raw->resize(b.raw_len);
  const size_t n = ZSTD_decompressDCtx(dctx, raw->data(), raw->size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != b.raw_len)
    return Status::error(where + ": damaged block (" + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "size") + ")");
  return Status();
}

}  // namespace iocgate
