// control/feed_check.cc — per-file verdicts on feeds, for operators and scripts. The
// verdict itself is computed by the pure feeds/feed_verdict; this file does I/O and printing.

#include "control/feed_check.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "control/feed_file.h"
#include "feeds/feed_parser.h"
#include "feeds/feed_verdict.h"
#include "feeds/ip_prefix.h"

namespace iocgate {
namespace {

constexpr const char* kKinds[] = {"ipv4", "cidr4", "ipv6", "cidr6", "domain", "url-host"};
constexpr size_t kMaxPrintedErrors = 50;

bool build_guards(const FeedCheckOptions& o, GuardConfig& guards, std::string& error) {
  if (!o.config_path.empty()) {
    auto cfg = load_config(o.config_path);
    if (!cfg.ok()) {
      error = cfg.message();
      return false;
    }
    Result<GuardConfig> g = guard_config_from(*cfg);
    if (!g) {
      error = g.message();
      return false;
    }
    guards = std::move(*g);
  }
  if (o.skip_refused) guards.mode = GuardMode::kSkipRefused;
  for (const std::string& cidr : o.own_networks) {
    auto p = parse_ip_prefix(cidr, error);
    if (!p) {
      error = "--own-network " + error;
      return false;
    }
    guards.own_networks.push_back(OwnNetwork{*p, cidr, "--own-network"});
  }
  for (const std::string& path : o.allow_files) {
    Result<std::string> content = read_feed_bytes(path);
    if (!content.ok()) {
      error = content.message();
      return false;
    }
    if (!parse_allowlist(*content, path, guards.allowlist, error)) return false;
  }
  return true;
}

void print_text(const FeedVerdict& v) {
  if (!v.accepted && v.feed.iocs.empty() && v.skipped.empty()) {
    fmt::print("{}: REFUSED (format {})\n", v.file, feed_format_name(v.format));
  } else {
    fmt::print("{}: {}, format {}\n", v.file, v.accepted ? "accepted" : "REFUSED", feed_format_name(v.format));
  }
  if (!v.feed.advisory.empty() || !v.feed.group.empty())
    fmt::print("  provenance: advisory '{}', group '{}'\n", v.feed.advisory, v.feed.group);
  if (!v.errors.empty() && v.feed.iocs.empty() && v.skipped.empty()) {
    fmt::print("  {}\n", v.errors.front());
    return;
  }
  std::string kinds;
  for (const char* k : kKinds) {
    auto it = v.by_kind.find(k);
    kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", k, it == v.by_kind.end() ? 0 : it->second);
  }
  fmt::print("  {} IoCs: {}\n", v.enforce.size(), kinds);
  for (const auto& [category, reasons] : v.skipped) {
    uint64_t total = 0;
    std::string detail;
    size_t shown = 0;
    for (const auto& [reason, n] : reasons) {
      total += n;
      if (shown++ < 8) detail += fmt::format("{}{} {}", detail.empty() ? "" : ", ", reason, n);
    }
    if (reasons.size() > 8) detail += ", ...";
    fmt::print("  skipped, {}: {} ({})\n", category, total, detail);
  }
  for (const std::string& f : v.forced) fmt::print("  forced: {}\n", f);
  for (const std::string& w : v.warnings) fmt::print("  warning: {}\n", w);
  for (size_t i = 0; i < v.left_out.size() && i < kMaxPrintedErrors; ++i)
    fmt::print("  left out (--skip-refused): {}\n", v.left_out[i]);
  if (v.left_out.size() > kMaxPrintedErrors)
    fmt::print("  ... {} more left out\n", v.left_out.size() - kMaxPrintedErrors);
  for (const std::string& n : v.feed.notes) fmt::print("  note: line {}\n", n);
  if (v.feed.notes_dropped) fmt::print("  note: {} more\n", v.feed.notes_dropped);
  for (size_t i = 0; i < v.errors.size() && i < kMaxPrintedErrors; ++i) fmt::print("  {}\n", v.errors[i]);
  if (v.errors.size() > kMaxPrintedErrors) fmt::print("  ... {} more refusals\n", v.errors.size() - kMaxPrintedErrors);
}

nlohmann::json to_json(const FeedVerdict& v) {
  nlohmann::json by_kind = nlohmann::json::object();
  for (const char* k : kKinds) by_kind[k] = v.by_kind.count(k) ? v.by_kind.at(k) : 0;
  return {{"file", v.file},
          {"accepted", v.accepted},
          {"format", feed_format_name(v.format)},
          {"advisory", v.feed.advisory},
          {"group", v.feed.group},
          {"iocs", v.enforce.size()},
          {"by_kind", by_kind},
          {"skipped", v.skipped},
          {"errors", v.errors},
          {"forced", v.forced},
          {"left_out", v.left_out},
          {"warnings", v.warnings},
          {"expired", v.feed.expired},
          {"not_for_ids", v.feed.not_for_ids},
          {"ignored", v.feed.notes}};
}

}  // namespace

Result<std::vector<OwnNetwork>> internal_networks_from(const ApplianceConfig& cfg) {
  std::vector<OwnNetwork> out;
  for (const std::string& n : cfg.internal_networks) {
    std::string why;
    auto p = parse_ip_prefix(n, why);
    if (!p) return Status::error(fmt::format("{}: [network] internal: {}", cfg.path, why));
    out.push_back(OwnNetwork{*p, n, "config [network] internal"});
  }
  return out;
}

Result<GuardConfig> guard_config_from(const ApplianceConfig& cfg) {
  GuardConfig g;
  g.min_prefix_v4 = static_cast<uint8_t>(cfg.guards_min_prefix_v4);
  g.min_prefix_v6 = static_cast<uint8_t>(cfg.guards_min_prefix_v6);
  g.max_shrink_fraction = cfg.guards_max_shrink_percent / 100.0;
  Result<std::vector<OwnNetwork>> nets = internal_networks_from(cfg);
  if (!nets) return nets.status();
  g.own_networks = std::move(*nets);
  if (!cfg.guards_allowlist.empty()) {
    Result<std::string> content = read_feed_bytes(cfg.guards_allowlist);
    if (!content.ok()) return Status::error(fmt::format("{}: [guards] allowlist: {}", cfg.path, content.message()));
    std::string error;
    if (!parse_allowlist(*content, cfg.guards_allowlist, g.allowlist, error)) return Status::error(error);
  }
  return g;
}

int run_feed_check(const FeedCheckOptions& o) {
  ParseOptions base;
  base.now_unix = o.now_unix;
  base.include_not_for_ids = o.include_not_for_ids;
  if (!o.format.empty()) {
    auto f = feed_format_from_name(o.format);
    if (!f) {
      fmt::print(stderr, "--format {}: unknown format; the formats are: {}\n", o.format, feed_format_names());
      return 1;
    }
    base.format = *f;
  }
  GuardConfig guards;
  std::string error;
  if (!build_guards(o, guards, error)) {
    fmt::print(stderr, "{}\n", error);
    return 1;
  }
  const std::set<std::string> forced(o.force.begin(), o.force.end());
  int rc = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& path : o.files) {
    FeedVerdict v;
    Result<std::string> content = read_feed_bytes(path);
    if (!content.ok()) {
      v.file = path;
      v.errors.push_back(content.message());
    } else {
      ParseOptions opts = base;
      opts.file_name = path;
      v = check_feed(*content, opts, guards, forced);
    }
    if (!v.accepted) rc = 2;
    if (o.json) out.push_back(to_json(v));
    else print_text(v);
  }
  if (o.json) fmt::print("{}\n", out.dump(2));
  return rc;
}

}  // namespace iocgate
