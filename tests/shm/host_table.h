// tests/shm/host_table.h — a compiled table that drops `hosts` addresses 198.51.100.1, .2, …
// (one feed): what the shm tests store, publish and damage.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <utility>

#include "control/ioc_table_builder.h"

namespace iocgate::testing {

inline table::TableBlob host_table(int hosts) {
  table::IocTableBuilder b;
  const uint32_t f = b.add_feed({"apt", table::Action::kDrop, "ADV-1", "Group"});
  for (int i = 0; i < hosts; ++i) {
    Ioc ioc;
    ioc.kind = IocKind::kIpv4;
    ioc.prefix_len = 32;
    ioc.addr = {198, 51, 100, static_cast<uint8_t>(i + 1)};
    ioc.line = static_cast<uint32_t>(i + 1);
    b.add(f, ioc);
  }
  auto blob = b.build();
  EXPECT_TRUE(blob) << blob.message();
  return std::move(*blob);
}

}  // namespace iocgate::testing
