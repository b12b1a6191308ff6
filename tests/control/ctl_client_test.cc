// iocctl's reading of a feed file for a push: regular files only, within the push limit,
// and nothing (a FIFO without a writer) that can hang it.

#include "control/ctl_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/ctl_protocol.h"
#include "control/utf8_text.h"
#include "tests/control/test_dir.h"

namespace iocgate {
namespace {

TEST(ReadPushFile, ReadsARegularFileAndThroughASymlink) {
  testing::TempDir d;
  const std::string f = d.path() + "/feed.txt";
  std::ofstream(f) << "1.2.3.4\nevil.example\n";
  Result<PushFile> r = read_push_file(f);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->content, "1.2.3.4\nevil.example\n");
  EXPECT_EQ(r->source, f);
  std::filesystem::create_symlink(f, d.path() + "/current");
  r = read_push_file(d.path() + "/current");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->content.size(), 21u);
  std::ofstream(d.path() + "/empty");
  r = read_push_file(d.path() + "/empty");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->content, "");
}

TEST(ReadPushFile, RefusesWhatIsNotARegularFile) {
  testing::TempDir d;
  const std::string fifo = d.path() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  Result<PushFile> r = read_push_file(fifo);  // no writer: a blocking open would hang here
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("a FIFO; push a regular file"), std::string::npos) << r.message();
  r = read_push_file(d.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("a directory"), std::string::npos) << r.message();
  r = read_push_file("/dev/null");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("a character device"), std::string::npos) << r.message();
  r = read_push_file(d.path() + "/missing");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("No such file"), std::string::npos) << r.message();
}

TEST(ReadPushFile, RefusesAFileOverThePushLimitWithoutReadingIt) {
  testing::TempDir d;
  const std::string f = d.path() + "/huge";
  const int fd = open(f.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kMaxPushBytes) + 1), 0);  // sparse: no disk used
  close(fd);
  Result<PushFile> r = read_push_file(f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("1073741825 bytes, over the 1 GiB push limit"), std::string::npos) << r.message();
}

TEST(ReadPushFile, TheSourceLabelIsUtf8WhateverThePath) {
  testing::TempDir d;
  const std::string f = d.path() + "/caf\xE9\nfeed";
  std::ofstream(f) << "x\n";
  Result<PushFile> r = read_push_file(f);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_FALSE(utf8_error_offset(r->source));
  EXPECT_EQ(r->source.find('\n'), std::string::npos);
  FeedPushRequest p;
  p.name = "x";
  p.source = r->source;
  EXPECT_TRUE(encode_ctl_request(CtlRequest{p}).ok());
}

TEST(CtlClientDeadlines, PushesGetTheLongerDeadline) {
  EXPECT_EQ(default_deadline(CtlRequest{FeedPushRequest{}}), kCtlPushDeadline);
  EXPECT_EQ(default_deadline(CtlRequest{FeedRemoveRequest{}}), kCtlPushDeadline);
  EXPECT_EQ(default_deadline(CtlRequest{StatusRequest{}}), kCtlReplyDeadline);
}

}  // namespace
}  // namespace iocgate
