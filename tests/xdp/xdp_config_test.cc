// tests/xdp/xdp_config_test.cc — the [xdp] section of the appliance config: the shipped
// template loads with its documented defaults, every key is read, and a bad value or an
// unknown key is an error naming the file, the line and what is allowed.

#include <gtest/gtest.h>

#include "config/appliance_config.h"
#include "tests/config/config_text.h"

namespace iocgate {
namespace {

Result<ApplianceConfig> load_text(const std::string& text) { return testing::load_config_text(text); }

TEST(XdpConfig, TheTemplateLoadsWithTheDocumentedDefaults) {
  auto c = load_config(IOCGATE_TEMPLATE);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->xdp_interfaces.empty());
  EXPECT_EQ(c->xdp_mode, "native");
  EXPECT_EQ(c->xdp_on_load_failure, "exit");
  EXPECT_EQ(c->xdp_on_crash, "detach");
  EXPECT_EQ(c->xdp_flow_capacity, 65536u);
  EXPECT_EQ(c->xdp_flow_idle_seconds, 30u);
  EXPECT_EQ(c->xdp_alert_mark, 0u);
  EXPECT_EQ(c->xdp_mirror_mark, 0u);
}

TEST(XdpConfig, EveryKeyIsRead) {
  auto c = load_text(
      "[xdp]\ninterfaces = [\"bond0\", \"eth1.100\"]\nmode = \"auto\"\non_load_failure = \"link-down\"\n"
      "on_crash = \"keep\"\nflow_capacity = 4096\nflow_idle_seconds = 5\nalert_mark = 4294967295\nmirror_mark = 7\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->xdp_interfaces, (std::vector<std::string>{"bond0", "eth1.100"}));
  EXPECT_EQ(c->xdp_mode, "auto");
  EXPECT_EQ(c->xdp_on_load_failure, "link-down");
  EXPECT_EQ(c->xdp_on_crash, "keep");
  EXPECT_EQ(c->xdp_flow_capacity, 4096u);
  EXPECT_EQ(c->xdp_flow_idle_seconds, 5u);
  EXPECT_EQ(c->xdp_alert_mark, 0xffffffffu);
  EXPECT_EQ(c->xdp_mirror_mark, 7u);
}

TEST(XdpConfig, BadValuesAndUnknownKeysAreErrorsWithFileAndLine) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"[xdp]\nmode = \"turbo\"\n", ":2: 'mode' must be one of \"native\", \"generic\", \"auto\""},
      {"[xdp]\non_load_failure = \"ignore\"\n", ":2: 'on_load_failure' must be one of \"exit\", \"link-down\""},
      {"[xdp]\non_crash = \"stay\"\n", ":2: 'on_crash' must be one of \"detach\", \"keep\""},
      {"[xdp]\ninterfaces = [\"eth0\", \"eth0\"]\n", "names 'eth0' twice"},
      {"[xdp]\ninterfaces = [\"a-name-far-too-long\"]\n", "is not an interface name"},
      {"[xdp]\ninterfaces = [\"eth0;rm\"]\n", "is not an interface name"},
      {"[xdp]\ninterfaces = [\"a\", \"b\", \"c\", \"d\", \"e\"]\n", "at most 4"},
      {"[xdp]\ninterfaces = \"eth0\"\n", "must be an array of strings"},
      {"[xdp]\nflow_capacity = 10\n", ":2: 'flow_capacity' must be an integer from 1024"},
      {"[xdp]\nflow_idle_seconds = 0\n", "'flow_idle_seconds' must be an integer from 1"},
      {"[xdp]\nalert_mark = -1\n", "'alert_mark' must be an integer from 0 to 4294967295"},
      {"[xdp]\n\ninterface = [\"eth0\"]\n", ":3: unknown key 'interface' in [xdp]"},
      {"xdp = 1\n", "'xdp' must be a section"},
  };
  for (const Case& c : cases) {
    auto r = load_text(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.message().find(c.says), std::string::npos) << c.text << " -> " << r.message();
    EXPECT_NE(r.message().find("iocgate.toml"), std::string::npos) << r.message();
  }
}

}  // namespace
}  // namespace iocgate
