// tests/xdp/ruleset_follower_test.cc — the XDP path follows generations by the dataplane's
// rules, on a real control block and table store in a scratch directory and the loaded
// program: the published snapshot first, the store's newest valid table at start-up, damaged
// snapshots refused with the ruleset in force kept, fail-closed and fail-open without any
// valid table, and the control block's fields a push waits for.

#include "xdp/ruleset_follower.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fcntl.h>

#include "shm/control_block.h"
#include "tests/control/test_dir.h"
#include "tests/xdp/xdp_test_support.h"

namespace iocgate::test {
namespace {

using table::Action;

table::TableBlob table_listing(uint8_t last_octet) {
  TableSpec s;
  s.v4(Action::kDrop, {203, 0, 113, last_octet}, 32);
  return s.build();
}

Bytes frame_to(uint8_t last_octet) {
  return PacketBuilder().ipv4({10, 0, 0, 2}, {203, 0, 113, last_octet}).udp(1000 + last_octet, 80).build();
}

class Follower : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!may_load_bpf()) GTEST_SKIP() << "loading BPF programs needs root";
    chmod(dir_.path().c_str(), 0755);
    cfg_.path = dir_.path() + "/iocgate.toml";
    cfg_.instance = "xfol";
    cfg_.state_dir = dir_.path() + "/state";
    cfg_.shm_dir = dir_.path() + "/shm";
    auto cb = open_control_block(cfg_, owners_);
    ASSERT_TRUE(cb.ok()) << cb.message();
    cb_ = *cb;
    xdp::LoadOptions o;
    o.instance = cfg_.instance;
    auto l = xdp::XdpLoader::load(o);
    ASSERT_TRUE(l.ok()) << l.message();
    loader_ = std::move(*l);
    store_ = std::make_unique<TableStore>(cfg_, owners_);
  }
  std::unique_ptr<xdp::RulesetFollower> follower() {
    return std::make_unique<xdp::RulesetFollower>(cfg_, cb_, &cb_->workers[0], loader_.get(), owners_,
                                                  [this](const std::string& s) { log_ += s + "\n"; });
  }
  void store(const table::TableBlob& b, uint64_t g) {
    std::string warning;
    Status s = store_->put(b.data(), b.size(), g, &warning);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  void publish(const table::TableBlob& b, uint64_t g) {
    Status s = write_table_object(table_object_path(cfg_, g), b.data(), b.size(), {cfg_.instance, g});
    ASSERT_TRUE(s.ok()) << s.message();
    cb_->published_generation.store(g);
  }
  int verdict(uint8_t last_octet) { return run_frame(loader_->xdp_prog_fd(), frame_to(last_octet)); }

  ::iocgate::testing::TempDir dir_;
  ApplianceConfig cfg_;
  TrustedOwners owners_ = trusted_owners("root", "root");
  ControlBlock* cb_ = nullptr;
  std::unique_ptr<xdp::XdpLoader> loader_;
  std::unique_ptr<TableStore> store_;
  std::string log_;
};

TEST_F(Follower, AFreshAppliancePassesThenEnforcesEachPublishedGeneration) {
  auto f = follower();
  f->load_initial();
  EXPECT_NE(log_.find("no table yet"), std::string::npos) << log_;
  EXPECT_EQ(verdict(1), XDP_PASS);
  EXPECT_EQ(cb_->active_generation.load(), 0u);

  publish(table_listing(1), 1);
  f->poll();
  EXPECT_EQ(cb_->active_generation.load(), 1u);
  EXPECT_EQ(cb_->workers[0].generation.load(), 1u) << "the quiescent report a push waits for";
  EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kPublished));
  EXPECT_EQ(cb_->active_entries[0].load(), 1u);
  EXPECT_EQ(verdict(1), XDP_DROP);
  EXPECT_EQ(verdict(2), XDP_PASS);

  const table::TableBlob two = table_listing(2);
  publish(two, 2);
  f->poll();
  EXPECT_EQ(cb_->workers[0].generation.load(), 2u);
  EXPECT_EQ(cb_->active_checksum.load(), stamped_header(two.data(), {cfg_.instance, 2}).header_checksum);
  EXPECT_EQ(verdict(1), XDP_PASS);
  EXPECT_EQ(verdict(2), XDP_DROP);
  EXPECT_EQ(f->switches(), 2u);
}

TEST_F(Follower, ADamagedSnapshotIsRefusedAndTheRulesetInForceStays) {
  auto f = follower();
  f->load_initial();
  publish(table_listing(1), 1);
  f->poll();
  publish(table_listing(2), 2);
  // A byte of the body flipped after it was written: its checksum no longer holds.
  const std::string path = table_object_path(cfg_, 2);
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint8_t b = 0;
  ASSERT_EQ(pread(fd, &b, 1, 4096), 1);
  b ^= 0x10;
  ASSERT_EQ(pwrite(fd, &b, 1, 4096), 1);
  close(fd);
  f->poll();
  EXPECT_EQ(cb_->rejected_generation.load(), 2u);
  EXPECT_EQ(cb_->active_generation.load(), 1u);
  EXPECT_EQ(cb_->workers[0].generation.load(), 1u);
  EXPECT_NE(log_.find("refusing generation 2"), std::string::npos) << log_;
  EXPECT_EQ(verdict(1), XDP_DROP);
  EXPECT_EQ(verdict(2), XDP_PASS);
  f->poll();  // refused once, not retried every millisecond
  EXPECT_EQ(log_.find("refusing generation 2"), log_.rfind("refusing generation 2"));
}

TEST_F(Follower, AtStartTheStoreFillsInForAMissingSnapshotAndAnOlderTableForADamagedOne) {
  store(table_listing(1), 1);
  store(table_listing(2), 2);
  cb_->published_generation.store(2);  // published, but its snapshot is gone (a reboot cleared the tmpfs)
  {
    auto f = follower();
    f->load_initial();
    EXPECT_EQ(cb_->active_generation.load(), 2u);
    EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kStore));
    EXPECT_EQ(verdict(2), XDP_DROP);
  }
  // The newest stored table damaged: the one before it, with a warning.
  const std::string newest = store_->path_of(2);
  const int fd = open(newest.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "garbage", 7, 2048), 7);
  close(fd);
  unlink(cfg_.table_file().c_str());
  auto f = follower();
  f->load_initial();
  EXPECT_EQ(cb_->active_generation.load(), 1u);
  EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kOlderStore));
  EXPECT_NE(log_.find("WARNING: enforcing an OLDER"), std::string::npos) << log_;
  EXPECT_EQ(verdict(1), XDP_DROP);
  EXPECT_EQ(verdict(2), XDP_PASS);
}

TEST_F(Follower, WithEveryStoredTableDamagedItFailsClosedOrOpenAsConfigured) {
  store(table_listing(1), 1);
  const int fd = open(store_->path_of(1).c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, "garbage", 7, 2048), 7);
  close(fd);
  {
    auto f = follower();
    f->load_initial();
    EXPECT_TRUE(f->fail_closed());
    EXPECT_EQ(cb_->table_source.load(), static_cast<uint32_t>(TableSource::kFailClosed));
    EXPECT_NE(log_.find("FAIL-CLOSED"), std::string::npos) << log_;
    EXPECT_EQ(verdict(9), XDP_DROP) << "everything dropped, listed or not";
    EXPECT_GT(loader_->counters().dropped_no_table, 0u);
    // A valid publish ends it.
    publish(table_listing(1), 2);
    f->poll();
    EXPECT_FALSE(f->fail_closed());
    EXPECT_EQ(verdict(9), XDP_PASS);
    EXPECT_EQ(verdict(1), XDP_DROP);
  }
  ASSERT_TRUE(loader_->clear().ok());
  cb_->published_generation.store(0);
  cfg_.on_no_table = "forward";
  log_.clear();
  auto f = follower();
  f->load_initial();
  EXPECT_FALSE(f->fail_closed());
  EXPECT_NE(log_.find("UNFILTERED"), std::string::npos) << log_;
  EXPECT_EQ(verdict(9), XDP_PASS);
}

TEST_F(Follower, ASnapshotOfAnotherInstanceOrGenerationIsRefused) {
  auto f = follower();
  f->load_initial();
  const table::TableBlob b = table_listing(1);
  Status s = write_table_object(table_object_path(cfg_, 3), b.data(), b.size(), {"someone-else", 3});
  ASSERT_TRUE(s.ok()) << s.message();
  cb_->published_generation.store(3);
  f->poll();
  EXPECT_EQ(cb_->rejected_generation.load(), 3u);
  EXPECT_EQ(cb_->active_generation.load(), 0u);
  EXPECT_EQ(verdict(1), XDP_PASS);
}

}  // namespace
}  // namespace iocgate::test
