// tests/config/config_text.h — test-only: an appliance config written from a string to a file
// in a temporary directory and read by the real loader, so its messages name a file and line.
#pragma once

#include <fstream>
#include <string>

#include "config/appliance_config.h"
#include "tests/control/test_dir.h"

namespace iocgate::testing {

inline Result<ApplianceConfig> load_config_text(const std::string& text) {
  static TempDir dir;
  const std::string path = dir.path() + "/iocgate.toml";
  std::ofstream(path) << text;
  return load_config(path);
}

}  // namespace iocgate::testing
