// tests/base/cli_conventions_test.cc — the shared command-line conventions: suggestions by
// edit distance, `help COMMAND`, exit 2 for usage errors with the command as typed, and the
// command tree the man pages and completion are generated from.

#include "base/cli_conventions.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace iocgate::cli {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndSwaps) {
  EXPECT_EQ(edit_distance("status", "status"), 0u);
  EXPECT_EQ(edit_distance("stauts", "status"), 1u);  // two neighbours swapped
  EXPECT_EQ(edit_distance("stats", "status"), 1u);
  EXPECT_EQ(edit_distance("", "feed"), 4u);
  EXPECT_EQ(edit_distance("push", "list"), 3u);
}

TEST(Closest, SuggestsOnlyPlausibleTypos) {
  const std::vector<std::string> commands = {"feed", "explain", "ioc", "status", "stats", "report"};
  EXPECT_EQ(closest("stauts", commands), "status");  // ties go to the first listed
  EXPECT_EQ(closest("repotr", commands), "report");
  EXPECT_EQ(closest("expl", commands), "explain");  // a beginning
  EXPECT_EQ(closest("frobnicate", commands), "");
  EXPECT_EQ(closest("x", commands), "");
  EXPECT_EQ(closest("--jsn", {"--help", "--json", "--socket"}), "--json");
}

std::vector<char*> argv_of(std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return argv;
}

TEST(RewriteHelp, HelpCommandBecomesHelpFlag) {
  std::vector<std::string> words = {"iocctl", "help", "feed", "push"};
  std::vector<char*> argv = argv_of(words);
  int argc = 4;
  char** av = argv.data();
  rewrite_help(argc, av);
  ASSERT_EQ(argc, 4);
  EXPECT_STREQ(av[1], "feed");
  EXPECT_STREQ(av[2], "push");
  EXPECT_STREQ(av[3], "--help");
  EXPECT_EQ(av[4], nullptr);
}

struct Tool {
  CLI::App app{"tool: a test program"};
  std::string name;
  bool json = false;
  CLI::App* feed = nullptr;
  CLI::App* push = nullptr;
  Tool() {
    app.require_subcommand(1);
    feed = app.add_subcommand("feed", "Feeds");
    feed->require_subcommand(1);
    push = feed->add_subcommand("push", "Push one");
    push->add_option("--name", name, "Feed name")->required();
    push->add_option("--action", name, "What to do")->check(CLI::IsMember({"drop", "allow"}));
    push->add_flag("--json", json, "JSON");
    feed->add_subcommand("list", "List them");
  }
  std::optional<int> run(std::vector<std::string> words, std::string* err) {
    words.insert(words.begin(), "tool");
    std::vector<char*> argv = argv_of(words);
    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    std::optional<int> rc = parse(app, "tool", static_cast<int>(words.size()), argv.data());
    testing::internal::GetCapturedStdout();
    *err = testing::internal::GetCapturedStderr();
    return rc;
  }
};

TEST(Parse, UnknownCommandIsNamedWithTheClosestAndExits2) {
  Tool t;
  std::string err;
  EXPECT_EQ(t.run({"feed", "lst"}, &err), kExitUsage);
  EXPECT_NE(err.find("tool feed: unknown command 'lst'; did you mean 'list'?"), std::string::npos) << err;
  EXPECT_NE(err.find("The commands are: push, list."), std::string::npos) << err;
}

TEST(Parse, UnknownOptionBeatsTheMissingRequiredOne) {
  Tool t;
  std::string err;
  EXPECT_EQ(t.run({"feed", "push", "--nmae", "x"}, &err), kExitUsage);
  EXPECT_NE(err.find("tool feed push: unknown option '--nmae'; did you mean '--name'?"), std::string::npos) << err;
}

TEST(Parse, MissingCommandAndBadValueExit2) {
  Tool t;
  std::string err;
  EXPECT_EQ(t.run({"feed"}, &err), kExitUsage);
  EXPECT_NE(err.find("tool feed: a command is required: push, list."), std::string::npos) << err;
  Tool u;
  EXPECT_EQ(u.run({"feed", "push", "--name", "x", "--action", "burn"}, &err), kExitUsage);
  EXPECT_NE(err.find("tool feed push: --action"), std::string::npos) << err;
}

TEST(Parse, HelpAndVersionExit0AndAGoodLineGoesOn) {
  Tool t;
  std::string err;
  EXPECT_EQ(t.run({"help", "feed"}, &err), 0);
  Tool u;
  EXPECT_EQ(u.run({"--version"}, &err), 0);
  Tool v;
  EXPECT_EQ(v.run({"feed", "push", "--name", "x"}, &err), std::nullopt) << err;
  EXPECT_TRUE(v.push->parsed());
  EXPECT_EQ(v.name, "x");
}

TEST(Schema, ListsCommandsOptionsAndChoices) {
  Tool t;
  t.app.name("tool");
  const std::string s = schema_json(t.app);
  EXPECT_EQ(s.rfind("{\"version\":\"" + std::string(version()) + "\",\"name\":\"tool\"", 0), 0u) << s;
  EXPECT_NE(s.find("\"name\":\"push\""), std::string::npos);
  EXPECT_NE(s.find("\"names\":[\"--action\"]"), std::string::npos);
  EXPECT_NE(s.find("\"choices\":[\"drop\",\"allow\"]"), std::string::npos) << s;
  EXPECT_NE(s.find("\"names\":[\"--json\"],\"flag\":true"), std::string::npos) << s;
}

}  // namespace
}  // namespace iocgate::cli
