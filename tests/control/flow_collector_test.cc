// tests/control/flow_collector_test.cc — the flow rings into the history: every record of
// every worker's ring arrives with its times turned into wall clock, the positions go with
// the block, and records a control process took but died before writing are counted by the
// next one; rings that were made anew are not mistaken for a loss.

#include "control/flow_collector.h"

#include <gtest/gtest.h>

#include <sys/mman.h>

#include <cstdlib>
#include <memory>

#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

// A zeroed control block, as a fresh shared-memory object is (the pages are only touched
// where a test writes).
struct Block {
  Block()
      : cb(static_cast<ControlBlock*>(
            mmap(nullptr, sizeof(ControlBlock), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))) {
    cb->tsc_hz.store(1'000'000'000);  // 1 GHz: 1 ms = 1e6 cycles
  }
  ~Block() { munmap(cb, sizeof(ControlBlock)); }
  ControlBlock* cb;
};

FlowRecord record(uint16_t port, uint64_t at_tsc) {
  FlowRecord r{};
  r.ip_version = 4;
  r.proto = 17;
  r.client[0] = 10;
  r.server[0] = 192;
  r.client_port = port;
  r.server_port = 53;
  r.first_seen = at_tsc;
  r.last_seen = at_tsc + 5'000'000;  // 5 ms later
  r.packets[0] = 1;
  r.packets[1] = 1;
  r.match = ~0u;
  return r;
}

std::vector<FlowRow> rows(const HistoryStore& s, std::vector<std::string>* keep) {
  std::vector<FlowRow> out;
  for (const HistoryBlock& b : s.blocks(0, INT64_MAX)) {
    keep->emplace_back();
    EXPECT_TRUE(s.read_block(b, &keep->back()).ok());
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(keep->back().data()), keep->back().size(), b.base_ms);
    FlowRow r;
    while (rd.next(&r)) out.push_back(r);
  }
  for (const HistoryStore::Unwritten& u : s.pending()) {
    keep->push_back(u.raw);
    FlowRowReader rd(reinterpret_cast<const uint8_t*>(keep->back().data()), keep->back().size(), u.base_ms);
    FlowRow r;
    while (rd.next(&r)) out.push_back(r);
  }
  return out;
}

TEST(FlowCollector, TakesEveryWorkersRecordsIntoTheHistory) {
  testing::TempDir dir;
  Block b;
  HistoryStore store(HistoryConfig{dir.path()});
  ASSERT_TRUE(store.open(TscClock::wall_now_ms()).ok());
  FlowCollector c(b.cb, store);
  const uint64_t now = read_tsc();
  for (uint16_t i = 0; i < 10; ++i) ASSERT_TRUE(b.cb->workers[0].flows.push(record(1000 + i, now)));
  for (uint16_t i = 0; i < 5; ++i) ASSERT_TRUE(b.cb->workers[3].flows.push(record(2000 + i, now)));
  EXPECT_EQ(c.drain(), 15u);
  ASSERT_TRUE(store.flush(TscClock::wall_now_ms()).ok());
  std::vector<std::string> keep;
  const std::vector<FlowRow> got = rows(store, &keep);
  ASSERT_EQ(got.size(), 15u);
  const int64_t wall = TscClock::wall_now_ms();
  for (const FlowRow& r : got) {
    EXPECT_NEAR(static_cast<double>(r.first_ms), static_cast<double>(wall), 5000.0) << "the record's clock as wall time";
    EXPECT_NEAR(static_cast<double>(r.last_ms - r.first_ms), 5.0, 1.0) << "5 ms, each end rounded";
  }
  std::vector<uint64_t> want(kMaxWorkers, 0);
  want[0] = 10;
  want[3] = 5;
  EXPECT_EQ(store.durable_positions(), want);
}

TEST(FlowCollector, ANewProcessCountsWhatACrashedOneTookAndNeverWrote) {
  testing::TempDir dir;
  Block b;
  const uint64_t now = read_tsc();
  {
    HistoryStore store(HistoryConfig{dir.path()});
    ASSERT_TRUE(store.open(TscClock::wall_now_ms()).ok());
    FlowCollector c(b.cb, store);
    for (uint16_t i = 0; i < 20; ++i) ASSERT_TRUE(b.cb->workers[1].flows.push(record(i, now)));
    EXPECT_EQ(c.drain(), 20u);
    ASSERT_TRUE(store.flush(TscClock::wall_now_ms()).ok());
    // Seven more taken, then the process dies before the next flush (kill -9).
    for (uint16_t i = 0; i < 7; ++i) ASSERT_TRUE(b.cb->workers[1].flows.push(record(100 + i, now)));
    EXPECT_EQ(c.drain(), 7u);
  }
  // Queued while no control process ran: kept in the ring, not lost.
  for (uint16_t i = 0; i < 4; ++i) ASSERT_TRUE(b.cb->workers[1].flows.push(record(200 + i, now)));
  HistoryStore store(HistoryConfig{dir.path()});
  ASSERT_TRUE(store.open(TscClock::wall_now_ms()).ok());
  FlowCollector c(b.cb, store);
  ASSERT_TRUE(c.start().ok());
  c.stop();
  EXPECT_EQ(c.crash_loss(), 7u);
  EXPECT_EQ(store.counters().records_lost_crash, 7u);
  std::vector<std::string> keep;
  EXPECT_EQ(rows(store, &keep).size(), 24u) << "20 written before, the 4 queued while down";
}

TEST(FlowCollector, RingsMadeAnewAreNoLoss) {
  testing::TempDir dir;
  {
    Block b;
    HistoryStore store(HistoryConfig{dir.path()});
    ASSERT_TRUE(store.open(TscClock::wall_now_ms()).ok());
    FlowCollector c(b.cb, store);
    for (uint16_t i = 0; i < 30; ++i) ASSERT_TRUE(b.cb->workers[0].flows.push(record(i, read_tsc())));
    c.drain();
    ASSERT_TRUE(store.flush(TscClock::wall_now_ms()).ok());
  }
  Block fresh;  // a new control block (a reboot): its rings start at 0
  HistoryStore store(HistoryConfig{dir.path()});
  ASSERT_TRUE(store.open(TscClock::wall_now_ms()).ok());
  FlowCollector c(fresh.cb, store);
  ASSERT_TRUE(c.start().ok());
  c.stop();
  EXPECT_EQ(c.crash_loss(), 0u);
}

}  // namespace
}  // namespace iocgate
