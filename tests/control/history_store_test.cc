// tests/control/history_store_test.cc — the flow history on disk: rows come back as written
// (across a reopen), a block a crash cut is cut off and counted while every block before it
// stays, a damaged file is set aside, the size and age bounds drop the oldest partitions
// first and are counted, a failed write keeps its rows for the next flush, and the ring
// positions stored with the newest block come back.

#include "control/history_store.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1719187200000;  // 2024-06-24T00:00:00Z
constexpr int64_t kDay = 86400000;

std::string names_bytes(FlowNameKind k, const std::string& n) {
  std::string s;
  s.push_back(static_cast<char>(k));
  s.push_back(static_cast<char>(n.size()));
  return s + n;
}

// Rows of every shape; `i` varies them.
FlowRow row(uint32_t i, int64_t first_ms, const std::string* names = nullptr) {
  FlowRow r;
  r.first_ms = first_ms;
  r.last_ms = first_ms + i % 5000;
  r.ip_version = i % 3 == 0 ? 6 : 4;
  r.proto = i % 4 == 0 ? 6 : i % 4 == 1 ? 17 : i % 4 == 2 ? 1 : 132;
  if (r.ip_version == 4) {
    const uint32_t c = htonl(0x0A000000 | (i & 0xFFFF)), s = htonl(0xCB007100 | (i & 0xFF));
    std::memcpy(r.client, &c, 4);
    std::memcpy(r.server, &s, 4);
  } else {
    inet_pton(AF_INET6, "fd00::1", r.client);
    inet_pton(AF_INET6, "2001:db8::9", r.server);
    r.client[15] = static_cast<uint8_t>(i);
  }
  r.client_port = static_cast<uint16_t>(1024 + i);
  r.server_port = static_cast<uint16_t>(i % 2 ? 443 : 53);
  r.packets[0] = i;
  r.packets[1] = i * 3;
  r.bytes[0] = uint64_t{i} * 1000;
  r.bytes[1] = uint64_t{i} << 33;  // past 32 bits
  r.tcp_flags = static_cast<uint8_t>(i);
  r.end = static_cast<uint8_t>(1 + i % 5);
  r.flags = static_cast<uint8_t>(i % 64);
  if (i % 7 == 0) {
    r.vlan = static_cast<uint16_t>(i % 4096);
    r.vlan_count = 1 + i % 2;
  }
  if (i % 5 == 0) {
    r.action = 3;
    r.kind = 3;
    r.match = 0x60000000u | i;
    r.generation = 1000 + i;
  }
  if (names != nullptr) {
    r.names = reinterpret_cast<const uint8_t*>(names->data());
    r.names_len = static_cast<uint16_t>(names->size());
    r.name_count = 1;
  }
  if (i % 6 == 0) {
    r.answer_count = 3;
    r.answer_v6 = 0b010;
    r.answer_ttl = 300 + i;
    for (int k = 0; k < 3; ++k)
      for (int b = 0; b < 16; ++b) r.answers[k][b] = k == 1 || b < 4 ? static_cast<uint8_t>(i + k + b) : 0;
  }
  return r;
}

void expect_same(const FlowRow& a, const FlowRow& b) {
  EXPECT_EQ(a.first_ms, b.first_ms);
  EXPECT_EQ(a.last_ms, b.last_ms);
  EXPECT_EQ(a.ip_version, b.ip_version);
  EXPECT_EQ(a.proto, b.proto);
  EXPECT_EQ(0, std::memcmp(a.client, b.client, 16));
  EXPECT_EQ(0, std::memcmp(a.server, b.server, 16));
  EXPECT_EQ(a.client_port, b.client_port);
  EXPECT_EQ(a.server_port, b.server_port);
  EXPECT_EQ(a.packets[0], b.packets[0]);
  EXPECT_EQ(a.packets[1], b.packets[1]);
  EXPECT_EQ(a.bytes[0], b.bytes[0]);
  EXPECT_EQ(a.bytes[1], b.bytes[1]);
  EXPECT_EQ(a.tcp_flags, b.tcp_flags);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.vlan, b.vlan);
  EXPECT_EQ(a.vlan_count, b.vlan_count);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.match, b.match);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.name_count, b.name_count);
  ASSERT_EQ(a.names_len, b.names_len);
  if (a.names_len) {
    EXPECT_EQ(0, std::memcmp(a.names, b.names, a.names_len));
  }
  ASSERT_EQ(a.answer_count, b.answer_count);
  EXPECT_EQ(a.answer_v6, b.answer_v6);
  EXPECT_EQ(a.answer_ttl, b.answer_ttl);
  for (int k = 0; k < a.answer_count; ++k) EXPECT_EQ(0, std::memcmp(a.answers[k], b.answers[k], 16)) << k;
}

std::vector<FlowRow> read_all(const HistoryStore& s, std::vector<std::string>* keep) {
  std::vector<FlowRow> out;
  for (const HistoryBlock& b : s.blocks(0, INT64_MAX)) {
    keep->emplace_back();
    EXPECT_TRUE(s.read_block(b, &keep->back()).ok());
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(keep->back().data()), keep->back().size(), b.base_ms);
    FlowRow r;
    while (rd.next(&r)) out.push_back(r);
    EXPECT_FALSE(rd.error());
  }
  return out;
}

HistoryConfig cfg_in(const std::string& dir) {
  HistoryConfig c;
  c.dir = dir;
  return c;
}

TEST(FlowRowEncoding, EveryShapeComesBackAndDamageStopsTheReader) {
  const std::string sni = names_bytes(FlowNameKind::kSni, "www.evil.example");
  std::string enc;
  std::vector<FlowRow> rows;
  for (uint32_t i = 0; i < 500; ++i) {
    // Times before and after the base (a long flow started before the block's first row).
    rows.push_back(row(i, kT0 + (static_cast<int64_t>(i) - 250) * 1000, i % 2 ? &sni : nullptr));
    encode_flow_row(rows.back(), kT0, &enc);
  }
  FlowRowReader rd(reinterpret_cast<const uint8_t*>(enc.data()), enc.size(), kT0);
  FlowRow r;
  for (const FlowRow& want : rows) {
    ASSERT_TRUE(rd.next(&r));
    expect_same(want, r);
  }
  EXPECT_FALSE(rd.next(&r));
  EXPECT_FALSE(rd.error());
  // Cut anywhere inside the last row: the rows before it come back, then an error.
  std::string one;
  encode_flow_row(rows[6], kT0, &one);
  for (size_t cut = 1; cut < one.size(); ++cut) {
    std::string part = enc + one.substr(0, cut);
    FlowRowReader d(reinterpret_cast<const uint8_t*>(part.data()), part.size(), kT0);
    size_t n = 0;
    while (d.next(&r)) ++n;
    EXPECT_EQ(n, rows.size()) << cut;
    EXPECT_TRUE(d.error()) << cut;
  }
}

TEST(HistoryStore, RowsComeBackAfterAReopenWithTheRingPositions) {
  testing::TempDir dir;
  const std::string host = names_bytes(FlowNameKind::kHttpHost, "a.example");
  std::vector<FlowRow> rows;
  {
    HistoryStore s(cfg_in(dir.path()));
    ASSERT_TRUE(s.open(kT0).ok());
    for (uint32_t i = 0; i < 3000; ++i) {
      rows.push_back(row(i, kT0 + i, &host));
      s.add(rows.back(), {i, 2 * i});
      if (i % 1000 == 999) ASSERT_TRUE(s.flush(kT0 + i).ok());
    }
    const HistoryCounters c = s.counters();
    EXPECT_EQ(c.records_written, 3000u);
    EXPECT_EQ(c.blocks_written, 3u);
    EXPECT_EQ(c.records_stored, 3000u);
    EXPECT_EQ(c.oldest_ms, kT0);
  }
  HistoryStore s(cfg_in(dir.path()));
  ASSERT_TRUE(s.open(kT0 + 5000).ok());
  EXPECT_EQ(s.durable_positions(), (std::vector<uint64_t>{2999, 5998}));
  std::vector<std::string> keep;
  const std::vector<FlowRow> got = read_all(s, &keep);
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) expect_same(rows[i], got[i]);
  EXPECT_EQ(s.counters().records_stored, 3000u);
  // A time range reads only the blocks that overlap it (row i spans [T0 + i, T0 + 2i]).
  EXPECT_EQ(s.blocks(kT0 + 4500, kT0 + 4600).size(), 1u);
  EXPECT_EQ(s.blocks(kT0 + 1500, kT0 + 1600).size(), 2u);
  // Unwritten rows are visible to readers.
  s.add(row(7, kT0 + 9000), {});
  ASSERT_EQ(s.pending().size(), 1u);
  EXPECT_EQ(s.pending()[0].records, 1u);
}

TEST(HistoryStore, ABlockACrashCutIsCutOffAndCountedAndNothingBeforeItIsLost) {
  testing::TempDir dir;
  {
    HistoryStore s(cfg_in(dir.path()));
    ASSERT_TRUE(s.open(kT0).ok());
    for (int b = 0; b < 3; ++b) {
      for (uint32_t i = 0; i < 100; ++i) s.add(row(i, kT0 + b * 1000 + i), {uint64_t(b * 100 + i + 1)});
      ASSERT_TRUE(s.flush(kT0 + b * 1000).ok());
    }
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir.path())) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  const uint64_t size = fs::file_size(files[0]);
  // Cut the last block in its middle, as a kill -9 during its write leaves it.
  HistoryBlock last;
  {
    HistoryStore s(cfg_in(dir.path()));
    ASSERT_TRUE(s.open(kT0).ok());
    last = s.blocks(0, INT64_MAX).back();
  }
  fs::resize_file(files[0], last.offset + 192 + last.compressed_len / 2);
  {
    HistoryStore s(cfg_in(dir.path()));
    ASSERT_TRUE(s.open(kT0 + 10000).ok());
    const HistoryCounters c = s.counters();
    EXPECT_EQ(c.torn_blocks, 1u);
    EXPECT_EQ(c.records_lost_torn, 100u);
    EXPECT_EQ(c.records_stored, 200u);
    EXPECT_EQ(s.durable_positions(), std::vector<uint64_t>{200}) << "the positions of the last whole block";
    std::vector<std::string> keep;
    EXPECT_EQ(read_all(s, &keep).size(), 200u);
    // It writes on after the cut.
    s.add(row(1, kT0 + 20000), {});
    ASSERT_TRUE(s.flush(kT0 + 20000).ok());
    EXPECT_EQ(read_all(s, &keep).size(), 201u);
  }
  EXPECT_LT(fs::file_size(files[0]), size) << "the torn tail is gone from the file";
  // Garbage after the last block (a header that does not check) is cut the same way.
  {
    std::FILE* f = std::fopen(files[0].c_str(), "ab");
    std::fputs("not a block header, not a block header, not a block header, not a block header.......", f);
    std::fclose(f);
  }
  HistoryStore s(cfg_in(dir.path()));
  ASSERT_TRUE(s.open(kT0 + 30000).ok());
  EXPECT_EQ(s.counters().torn_blocks, 1u);
  EXPECT_EQ(s.counters().records_stored, 201u) << "the 200 before the cut and the one written after it";
}

TEST(HistoryStore, AFileThatIsNotAPartitionIsSetAside) {
  testing::TempDir dir;
  {
    std::FILE* f = std::fopen((dir.path() + "/flows-20240624T000000Z-000000.igh").c_str(), "wb");
    std::fputs("something else entirely, long enough to hold a header of sixty-four bytes........", f);
    std::fclose(f);
  }
  HistoryStore s(cfg_in(dir.path()));
  ASSERT_TRUE(s.open(kT0).ok());
  EXPECT_EQ(s.counters().damaged_partitions, 1u);
  EXPECT_TRUE(fs::exists(dir.path() + "/flows-20240624T000000Z-000000.igh.bad"));
  s.add(row(1, kT0), {});
  EXPECT_TRUE(s.flush(kT0).ok());
}

TEST(HistoryStore, TheSizeBoundDropsTheOldestPartitionsFirst) {
  testing::TempDir dir;
  HistoryConfig c = cfg_in(dir.path());
  c.max_bytes = 1u << 20;
  c.partition_bytes = 64u << 10;
  c.zstd_level = 1;
  HistoryStore s(c);
  ASSERT_TRUE(s.open(kT0).ok());
  const std::string sni = names_bytes(FlowNameKind::kSni, "incompressible-name.example");
  uint64_t added = 0;
  for (uint32_t i = 0; i < 60000; ++i) {
    FlowRow r = row(i * 2654435761u % 100000, kT0 + i, &sni);
    r.first_ms = kT0 + i;
    r.last_ms = r.first_ms + 5;
    s.add(r, {});
    ++added;
    if (i % 500 == 499) {
      ASSERT_TRUE(s.flush(kT0 + i).ok());
      EXPECT_LE(s.counters().bytes_on_disk, c.max_bytes) << "after the flush at row " << i;
    }
  }
  const HistoryCounters k = s.counters();
  EXPECT_GT(k.partitions_dropped_size, 0u);
  EXPECT_EQ(k.records_dropped_size + k.records_stored, added) << "every row is stored or counted dropped";
  EXPECT_EQ(k.partitions_dropped_age, 0u);
  // What is left is the newest, without a gap.
  std::vector<std::string> keep;
  const std::vector<FlowRow> got = read_all(s, &keep);
  ASSERT_EQ(got.size(), k.records_stored);
  EXPECT_EQ(got.back().first_ms, kT0 + 59999);
  EXPECT_EQ(got.front().first_ms, kT0 + static_cast<int64_t>(k.records_dropped_size));
  uint64_t disk = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) disk += fs::file_size(e.path());
  EXPECT_EQ(disk, k.bytes_on_disk);
  EXPECT_LE(disk, c.max_bytes);
}

TEST(HistoryStore, TheAgeBoundDropsPartitionsOlderThanTheDays) {
  testing::TempDir dir;
  HistoryConfig c = cfg_in(dir.path());
  c.max_age_ms = 30 * kDay;
  HistoryStore s(c);
  ASSERT_TRUE(s.open(kT0).ok());
  for (uint32_t i = 0; i < 10; ++i) s.add(row(i, kT0 + i), {});
  ASSERT_TRUE(s.flush(kT0).ok());
  for (uint32_t i = 0; i < 10; ++i) s.add(row(i, kT0 + 20 * kDay + i), {});
  ASSERT_TRUE(s.flush(kT0 + 20 * kDay).ok());
  EXPECT_EQ(s.counters().partitions, 2u);
  // 31 days on: the first partition is older than the bound, the second is not.
  s.add(row(1, kT0 + 31 * kDay), {});
  ASSERT_TRUE(s.flush(kT0 + 31 * kDay).ok());
  const HistoryCounters k = s.counters();
  EXPECT_EQ(k.partitions_dropped_age, 1u);
  EXPECT_EQ(k.records_dropped_age, 10u);
  EXPECT_EQ(k.records_stored, 11u);
  EXPECT_EQ(k.oldest_ms, kT0 + 20 * kDay);
}

TEST(HistoryStore, AFailedWriteKeepsItsRowsForTheNextFlush) {
  testing::TempDir dir;
  const std::string sub = dir.path() + "/h";
  HistoryConfig c = cfg_in(sub);
  c.partition_bytes = 1;  // every block in a new partition: a flush has to create a file
  HistoryStore s(c);
  ASSERT_TRUE(s.open(kT0).ok());
  s.add(row(1, kT0), {});
  ASSERT_TRUE(s.flush(kT0).ok());
  fs::remove_all(sub);
  for (uint32_t i = 0; i < 5; ++i) s.add(row(i, kT0 + 100 + i), {});
  const Status failed = s.flush(kT0 + 200);
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find(sub), std::string::npos) << failed.message();
  EXPECT_EQ(s.counters().write_errors, 1u);
  EXPECT_EQ(s.counters().pending_records, 5u);
  ASSERT_EQ(s.pending().size(), 1u) << "readers still see them";
  fs::create_directory(sub);
  s.add(row(9, kT0 + 300), {});
  ASSERT_TRUE(s.flush(kT0 + 300).ok());
  EXPECT_EQ(s.counters().pending_records, 0u);
  EXPECT_EQ(s.counters().records_written, 7u);
  EXPECT_EQ(s.counters().records_lost_write, 0u);
}

}  // namespace
}  // namespace iocgate
