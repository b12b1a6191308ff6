// tests/config/appliance_config_test.cc — the [dataplane] keys that choose how frames reach the
// workers: the template's default, every value read, a bad one an error with file and line.

#include <gtest/gtest.h>

#include "config/appliance_config.h"
#include "tests/config/config_text.h"

namespace iocgate {
namespace {

Result<ApplianceConfig> load_text(const std::string& text) { return testing::load_config_text(text); }

TEST(ApplianceConfig, TheTemplateDistributesAutomatically) {
  auto c = load_config(IOCGATE_TEMPLATE);
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->distribute, "auto");
  EXPECT_EQ(c->workers, 1u);
}

TEST(ApplianceConfig, DistributeTakesEachOfItsValues) {
  for (const char* v : {"auto", "rss", "ring"}) {
    auto c = load_text(std::string("[dataplane]\nworkers = 2\ndistribute = \"") + v + "\"\n");
    ASSERT_TRUE(c.ok()) << c.message();
    EXPECT_EQ(c->distribute, v);
    EXPECT_EQ(c->workers, 2u);
  }
}

TEST(ApplianceConfig, ABadDistributeNamesTheFileTheLineAndTheChoices) {
  auto c = load_text("[dataplane]\nworkers = 2\ndistribute = \"round-robin\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("iocgate.toml:3"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("'distribute' must be \"auto\", \"rss\" or \"ring\""), std::string::npos) << c.message();
  auto n = load_text("[dataplane]\ndistribute = 2\n");
  EXPECT_FALSE(n.ok());
}

}  // namespace
}  // namespace iocgate
