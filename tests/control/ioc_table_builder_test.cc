// tests/control/ioc_table_builder_test.cc — the compiler's name pass on random sets: every
// name's verdict is the strongest action among itself and its listed parents, as brute force says.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "control/ioc_table_builder.h"
#include "table/ioc_table_view.h"

namespace iocgate::table {
namespace {

Ioc dom(const std::string& d) {
  Ioc i;
  i.kind = IocKind::kDomain;
  i.domain = d;
  i.line = 1;
  return i;
}

TEST(IocTableBuilder, NamesTakeTheStrongestActionOfTheirListedParents) {
  std::mt19937_64 rng(7);
  const char* labels[] = {"a", "b", "c2", "evil", "cdn", "x", "upd", "mail"};
  const Action actions[] = {Action::kAlert, Action::kMirror, Action::kDrop, Action::kReject, Action::kAllow};
  IocTableBuilder b;
  uint32_t feed[5];
  for (int k = 0; k < 5; ++k) feed[k] = b.add_feed({std::string("f") + std::to_string(k), actions[k]});
  // Short names over few labels: many are parents of others, many listed twice.
  std::map<std::string, Action> listed;
  for (int n = 0; n < 20000; ++n) {
    std::string name = "example";
    for (int depth = 1 + static_cast<int>(rng() % 4); depth > 0; --depth) name = std::string(labels[rng() % 8]) + "." + name;
    const int k = static_cast<int>(rng() % 5);
    b.add(feed[k], dom(name));
    listed[name] = std::max(listed.count(name) ? listed[name] : Action::kNone, actions[k]);
  }
  auto blob = b.build();
  ASSERT_TRUE(blob.ok()) << blob.message();
  IocTableView view;
  std::string err;
  ASSERT_TRUE(view.attach(blob->data(), blob->size(), &err)) << err;
  size_t checked = 0, strengthened = 0;
  for (const auto& [name, own] : listed) {
    Action want = own;
    for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
      auto it = listed.find(name.substr(dot + 1));
      if (it != listed.end()) want = std::max(want, it->second);
    }
    strengthened += want != own;
    ASSERT_EQ(view.lookup_domain(name.data(), name.size()).action(), want) << name;
    // An unlisted child takes the same verdict.
    const std::string child = "zz." + name;
    if (!listed.count(child)) ASSERT_EQ(view.lookup_domain(child.data(), child.size()).action(), want) << child;
    ++checked;
  }
  EXPECT_GT(checked, 1000u);
  EXPECT_GT(strengthened, 100u);  // the set really exercises parents
}

}  // namespace
}  // namespace iocgate::table
