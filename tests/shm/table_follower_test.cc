// tests/shm/table_follower_test.cc — the table source rules both forwarding processes share,
// on a real control block, snapshots and table store in a scratch directory, with an enforcer
// that records what it is handed: published generations adopted in order, a damaged or
// refused one rejected once with the table in force kept, the store at start-up, and
// fail-closed or fail-open without any valid table.

#include "shm/table_follower.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "shm/control_block.h"
#include "tests/control/test_dir.h"
#include "tests/shm/host_table.h"

namespace iocgate {
namespace {

using testing::TempDir;
using testing::host_table;

// Overwrites bytes of the table's body: its checksum no longer holds.
void damage(const std::string& path) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  ASSERT_EQ(pwrite(fd, "garbage", 7, 2048), 7);
  close(fd);
}

// Records what the follower hands it; refuses while `accept` is false.
struct Recorder final : TableEnforcer {
  ControlBlock* cb = nullptr;
  bool accept = true;
  bool dropping = false;
  std::vector<uint64_t> generations;
  std::vector<TableSource> sources;
  bool adopt(std::unique_ptr<MappedTable> t, TableSource source) override {
    if (!accept) return false;
    report_enforced_table(cb, t->header(), source);
    dropping = false;
    generations.push_back(t->generation());
    sources.push_back(source);
    cb->active_generation.store(t->generation());
    return true;
  }
  void drop_everything() override { dropping = true; }
};

class Follow : public ::testing::Test {
 protected:
  void SetUp() override {
    chmod(dir_.path().c_str(), 0755);
    cfg_.path = dir_.path() + "/iocgate.toml";
    cfg_.instance = "fol";
    cfg_.state_dir = dir_.path() + "/state";
    cfg_.shm_dir = dir_.path() + "/shm";
    cfg_.keep_tables = 3;
    auto cb = open_control_block(cfg_, owners_);
    ASSERT_TRUE(cb.ok()) << cb.message();
    cb_ = *cb;
    rec_.cb = cb_;
    store_ = std::make_unique<TableStore>(cfg_, owners_);
  }
  std::unique_ptr<TableFollower> follower() {
    return std::make_unique<TableFollower>(cfg_, cb_, owners_, &rec_, FollowerWords{"passing", "frame", "passes"},
                                           [this](const std::string& s) { log_ += s + "\n"; });
  }
  void store(int hosts, uint64_t g) {
    table::TableBlob b = host_table(hosts);
    std::string warning;
    Status s = store_->put(b.data(), b.size(), g, &warning);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void publish(int hosts, uint64_t g) {
    table::TableBlob b = host_table(hosts);
    Status s = write_table_object(table_object_path(cfg_, g), b.data(), b.size(), {cfg_.instance, g});
    ASSERT_TRUE(s.ok()) << s.message();
    cb_->published_generation.store(g);
  }
  size_t count(const std::string& what) const {
    size_t n = 0;
    for (size_t at = log_.find(what); at != std::string::npos; at = log_.find(what, at + 1)) ++n;
    return n;
  }

  TempDir dir_;
  ApplianceConfig cfg_;
  TrustedOwners owners_ = trusted_owners("root", "root");
  ControlBlock* cb_ = nullptr;
  std::unique_ptr<TableStore> store_;
  Recorder rec_;
  std::string log_;
};

TEST_F(Follow, AFreshApplianceLetsTrafficThroughThenAdoptsEachPublishedGeneration) {
  auto f = follower();
  f->load_initial();
  EXPECT_EQ(count("no table yet"), 1u) << log_;
  EXPECT_NE(log_.find("passing everything until the first one is published"), std::string::npos) << log_;
  EXPECT_TRUE(rec_.generations.empty());
  EXPECT_FALSE(rec_.dropping);
  EXPECT_EQ(f->active_generation(), 0u);

  publish(2, 1);
  f->poll();
  publish(3, 2);
  f->poll();
  f->poll();  // nothing newer: nothing adopted again
  EXPECT_EQ(rec_.generations, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(rec_.sources, (std::vector<TableSource>{TableSource::kPublished, TableSource::kPublished}));
  EXPECT_EQ(f->active_generation(), 2u);
  EXPECT_EQ(cb_->active_entries[0].load(), 3u);
  EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kPublished));
}

TEST_F(Follow, ADamagedOrRefusedSnapshotIsRejectedOnceAndTheTableInForceStays) {
  auto f = follower();
  publish(1, 1);
  f->load_initial();
  ASSERT_EQ(rec_.generations, (std::vector<uint64_t>{1}));
  EXPECT_NE(log_.find("enforcing published generation 1 (1 IoCs, "), std::string::npos) << log_;

  publish(2, 2);
  damage(table_object_path(cfg_, 2));
  f->poll();
  f->poll();  // refused once, not retried every millisecond
  EXPECT_EQ(count("refusing generation 2"), 1u) << log_;
  EXPECT_EQ(cb_->rejected_generation.load(), 2u);
  EXPECT_EQ(f->active_generation(), 1u);

  // A valid snapshot the enforcer cannot take is rejected too.
  publish(3, 3);
  rec_.accept = false;
  f->poll();
  EXPECT_EQ(cb_->rejected_generation.load(), 3u);
  EXPECT_EQ(f->active_generation(), 1u);
  rec_.accept = true;
  f->poll();
  EXPECT_EQ(rec_.generations, (std::vector<uint64_t>{1}));

  publish(4, 4);
  f->poll();
  EXPECT_EQ(rec_.generations, (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(f->active_generation(), 4u);
}

TEST_F(Follow, AtStartTheStoreFillsInForAMissingSnapshotAndAnOlderTableForADamagedOne) {
  store(1, 1);
  store(2, 2);
  cb_->published_generation.store(3);  // published, but its snapshot is gone
  {
    auto f = follower();
    f->load_initial();
    EXPECT_NE(log_.find("published generation 3 unavailable"), std::string::npos) << log_;
    EXPECT_EQ(rec_.generations, (std::vector<uint64_t>{2}));
    EXPECT_EQ(rec_.sources, (std::vector<TableSource>{TableSource::kStore}));
  }
  damage(cfg_.table_file());
  damage(store_->path_of(2));
  log_.clear();
  auto f = follower();
  f->load_initial();
  EXPECT_NE(log_.find("REFUSED "), std::string::npos) << log_;
  EXPECT_NE(log_.find("WARNING: enforcing an OLDER table generation 1"), std::string::npos) << log_;
  EXPECT_EQ(rec_.sources.back(), TableSource::kOlderStore);
  EXPECT_EQ(f->active_generation(), 1u);
}

TEST_F(Follow, WithEveryStoredTableDamagedItFailsClosedOrOpenAsConfigured) {
  store(1, 1);
  damage(cfg_.table_file());
  damage(store_->path_of(1));
  {
    auto f = follower();
    f->load_initial();
    EXPECT_TRUE(rec_.dropping);
    EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kFailClosed));
    EXPECT_NE(log_.find("FAIL-CLOSED: "), std::string::npos) << log_;
    EXPECT_NE(log_.find("dropping every frame until"), std::string::npos) << log_;
    EXPECT_NE(log_.find(" passes instead)"), std::string::npos) << log_;
    publish(1, 2);
    f->poll();
    EXPECT_FALSE(rec_.dropping) << "a valid table ends fail-closed";
  }
  rec_ = Recorder{};
  rec_.cb = cb_;
  cb_->published_generation.store(0);
  cfg_.on_no_table = "forward";
  log_.clear();
  auto f = follower();
  f->load_initial();
  EXPECT_FALSE(rec_.dropping);
  EXPECT_TRUE(rec_.generations.empty());
  EXPECT_NE(log_.find("passing everything UNFILTERED"), std::string::npos) << log_;
}

}  // namespace
}  // namespace iocgate
