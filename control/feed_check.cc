// control/feed_check.cc — per-file verdicts on feeds, for operators and scripts.

#include "control/feed_check.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/feed_file.h"

namespace iocgate {

int run_feed_check(const std::vector<std::string>& files, bool json) {
  int rc = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& path : files) {
    std::string error;
    auto f = load_feed_file(path, FeedFormat::kAuto, &error);
    if (!f) {
      rc = 2;
      if (json) out.push_back({{"file", path}, {"accepted", false}, {"error", error}});
      else fmt::print("{}: REFUSED\n  {}\n", path, error);
      continue;
    }
    if (json) {
      out.push_back({{"file", path}, {"accepted", true}, {"format", feed_format_name(f->feed.format)},
                     {"iocs", f->feed.iocs.size()}, {"by_kind", summarize_iocs(f->feed)},
                     {"skipped", f->feed.skipped}});
      continue;
    }
    fmt::print("{}: accepted, format {}\n  {} IoCs: {}\n", path, feed_format_name(f->feed.format),
               f->feed.iocs.size(), summarize_iocs(f->feed));
    for (const auto& [why, n] : f->feed.skipped) fmt::print("  not enforced: {} {}\n", why, n);
  }
  if (json) fmt::print("{}\n", out.dump(2));
  return rc;
}

}  // namespace iocgate
