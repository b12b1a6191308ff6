// tests/shm/table_store_test.cc — the kept table generations and the ownership checks under
// them: newest valid first, damaged ones refused with a reason, identity enforced, numbering
// that survives lost files, planted and foreign-owned objects refused.

#include "shm/table_store.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "shm/control_block.h"
#include "tests/control/test_dir.h"
#include "tests/shm/host_table.h"

namespace iocgate {
namespace {

using testing::TempDir;
using testing::host_table;

struct Store {
  TempDir dir;
  ApplianceConfig cfg;
  TrustedOwners owners = trusted_owners("root", "root");
  std::unique_ptr<TableStore> store;
  Store() {
    cfg.instance = "edge";
    cfg.state_dir = dir.path() + "/state";
    cfg.shm_dir = dir.path() + "/shm";
    cfg.keep_tables = 3;
    chmod(dir.path().c_str(), 0755);
    store = std::make_unique<TableStore>(cfg, owners);
  }
  void put(int hosts, uint64_t g) {
    table::TableBlob b = host_table(hosts);
    std::string warning;
    Status s = store->put(b.data(), b.size(), g, &warning);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(warning, "");
  }
};

void flip(const std::string& path, off_t at) {
  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  uint8_t b;
  ASSERT_EQ(pread(fd, &b, 1, at), 1);
  b ^= 0x40;
  ASSERT_EQ(pwrite(fd, &b, 1, at), 1);
  close(fd);
}

TEST(TableStore, NewestValidFirstOlderWhenDamaged) {
  Store s;
  EXPECT_FALSE(s.store->has_enforced_before());
  s.put(1, 1);
  s.put(2, 2);
  s.put(3, 3);
  EXPECT_TRUE(s.store->has_enforced_before());
  auto found = s.store->newest_valid();
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_EQ(found->table->generation(), 3u);
  EXPECT_TRUE(found->newest);
  EXPECT_TRUE(found->refused.empty());
  // table.current is the newest under another name: damaging it damages generation 3.
  flip(s.cfg.table_file(), 4000);
  found = s.store->newest_valid();
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->table->generation(), 2u);
  EXPECT_FALSE(found->newest);
  ASSERT_EQ(found->refused.size(), 1u);  // tables/3.table; table.current is tried last
  EXPECT_NE(found->refused[0].find("3.table: table content checksum mismatch"), std::string::npos) << found->refused[0];
}

TEST(TableStore, KeepsOnlyTheNewestAndNeverRestartsNumbering) {
  Store s;
  for (uint64_t g = 1; g <= 6; ++g) s.put(static_cast<int>(g), g);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(s.cfg.tables_dir())) files += e.path().extension() == ".table";
  EXPECT_EQ(files, 3);
  for (const auto& e : std::filesystem::directory_iterator(s.cfg.tables_dir()))
    if (e.path().extension() == ".table") std::filesystem::remove(e.path());
  std::filesystem::remove(s.cfg.table_file());
  EXPECT_EQ(s.store->highest_generation(), 6u) << "the marker remembers the numbering";
  EXPECT_TRUE(s.store->has_enforced_before());
  EXPECT_FALSE(s.store->newest_valid().ok());
}

TEST(TableStore, RefusesAnotherInstanceAndAPatchedGeneration) {
  Store s;
  s.put(2, 7);
  const std::string path = s.store->path_of(7);
  auto t = MappedTable::open(path, s.owners, {"edge", 7});
  ASSERT_TRUE(t.ok()) << t.message();
  EXPECT_EQ((*t)->header().generation, 7u);
  auto other = MappedTable::open(path, s.owners, {"other", 0});
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.message().find("instance 'edge', not 'other'"), std::string::npos) << other.message();
  auto wrong = MappedTable::open(path, s.owners, {"edge", 8});
  ASSERT_FALSE(wrong.ok());
  // Patching the generation in place breaks the header checksum.
  const int fd = open(path.c_str(), O_RDWR);
  const uint64_t g = 8;
  ASSERT_EQ(pwrite(fd, &g, sizeof(g), offsetof(table::Header, generation)), 8);
  close(fd);
  auto patched = MappedTable::open(path, s.owners, {"edge", 0});
  ASSERT_FALSE(patched.ok());
  EXPECT_NE(patched.message().find("header checksum"), std::string::npos) << patched.message();
}

TEST(TableStore, FindsTheSameContentOnlyWhenItIsTheSame) {
  Store s;
  s.put(3, 1);
  table::TableBlob same = host_table(3);
  table::TableBlob other = host_table(4);
  EXPECT_EQ(s.store->find_same_content(same.data(), same.size()), 1u);
  EXPECT_EQ(s.store->find_same_content(other.data(), other.size()), 0u);
}

TEST(SecureFile, RefusesOthersFilesAndDirectories) {
  TempDir dir;
  const TrustedOwners owners = trusted_owners("root", "root");
  chmod(dir.path().c_str(), 0755);
  const std::string loose = dir.path() + "/loose";
  mkdir(loose.c_str(), 0777);
  chmod(loose.c_str(), 0777);
  Status s = check_trusted_dir(loose, owners);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("writable by group or others"), std::string::npos) << s.message();
  const std::string sticky = dir.path() + "/sticky";
  mkdir(sticky.c_str(), 0777);
  chmod(sticky.c_str(), 01777);
  EXPECT_TRUE(check_trusted_dir(sticky, owners).ok()) << "like /tmp: others cannot replace our names";
  const std::string link = dir.path() + "/link";
  ASSERT_EQ(symlink(loose.c_str(), link.c_str()), 0);
  s = check_trusted_dir(link, owners);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();

  const std::string file = dir.path() + "/f";
  { std::ofstream(file) << "x"; }
  chmod(file.c_str(), 0666);
  auto fd = open_trusted(file, O_RDONLY, owners);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.message().find("writable by group or others"), std::string::npos);
  chmod(file.c_str(), 0644);
  ASSERT_EQ(chown(file.c_str(), 65534, 65534), 0);
  fd = open_trusted(file, O_RDONLY, owners);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.message().find("does not trust"), std::string::npos) << fd.message();
  ASSERT_EQ(mkfifo((dir.path() + "/fifo").c_str(), 0600), 0);
  fd = open_trusted(dir.path() + "/fifo", O_RDONLY, owners);
  ASSERT_FALSE(fd.ok());
  EXPECT_NE(fd.message().find("not a regular file"), std::string::npos) << fd.message();

  // Exclusive creation never adopts a name; replace_stale removes it first.
  auto created = create_exclusive(file, 0600, false);
  EXPECT_FALSE(created.ok());
  created = create_exclusive(file, 0600, true);
  ASSERT_TRUE(created.ok()) << created.message();
  struct stat st;
  fstat(*created, &st);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  close(*created);
}

TEST(ControlBlock, CreatedOnceThenOpenedRefusedWhenForeign) {
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  ApplianceConfig cfg;
  cfg.instance = "cb";
  cfg.shm_dir = dir.path() + "/shm";
  const TrustedOwners owners = trusted_owners("root", "root");
  auto a = open_control_block(cfg, owners);
  ASSERT_TRUE(a.ok()) << a.message();
  (*a)->published_generation.store(5);
  auto b = open_control_block(cfg, owners);
  ASSERT_TRUE(b.ok()) << b.message();
  EXPECT_EQ((*b)->published_generation.load(), 5u) << "the second process maps the same block";
  ASSERT_EQ(chown(control_block_path(cfg).c_str(), 65534, 65534), 0);
  auto c = open_control_block(cfg, owners);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("does not trust"), std::string::npos) << c.message();
}

}  // namespace
}  // namespace iocgate
