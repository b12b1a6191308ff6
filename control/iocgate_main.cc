// control/iocgate_main.cc — `iocgate`, the operator's front command: `feed check` and the
// control process run here; `dataplane` and `replay` hand over to their own executables
// (iocgate-dataplane, iocgate-replay, installed beside this one), which link DPDK.

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "base/cli_conventions.h"
#include "config/appliance_config.h"
#include "control/control_process.h"
#include "control/feed_check.h"
#include "feeds/ioc.h"

namespace {

// Replaces this process with `tool` from this executable's directory, passing the
// arguments after the subcommand on unchanged.
int hand_over(const char* tool, int argc, char** argv, int first_arg) {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const std::filesystem::path dir = ec ? std::filesystem::path(argv[0]).parent_path() : self.parent_path();
  // Installed, the tools sit beside iocgate; in a build tree, in their components' folders.
  std::string path = dir / tool;
  for (const char* sub : {"../dataplane", "../replay"})
    if (access(path.c_str(), X_OK) != 0 && access((dir / sub / tool).c_str(), X_OK) == 0) path = dir / sub / tool;
  std::vector<char*> args;
  args.push_back(const_cast<char*>(path.c_str()));
  for (int i = first_arg; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::fprintf(stderr, "iocgate: cannot run %s: %s (it is installed beside iocgate)\n", path.c_str(),
               std::strerror(errno));
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  // Subcommands that are programs of their own take every later argument as theirs.
  iocgate::cli::rewrite_help(argc, argv);
  if (argc >= 2 && std::strcmp(argv[1], "dataplane") == 0) return hand_over("iocgate-dataplane", argc, argv, 2);
  if (argc >= 2 && std::strcmp(argv[1], "replay") == 0) return hand_over("iocgate-replay", argc, argv, 2);

  CLI::App app{"iocgate: block traffic to and from Indicators of Compromise at line rate"};
  app.require_subcommand(1);

  app.add_subcommand("replay", "Judge a capture with the real dataplane: passed and dropped packets to pcaps "
                               "(iocgate replay --help)");
  app.add_subcommand("dataplane", "Run the forwarding process (iocgate-dataplane --help)");

  iocgate::FeedCheckOptions check_opts;
  CLI::App* feed = app.add_subcommand("feed", "Work with IoC feeds");
  feed->require_subcommand(1);
  CLI::App* check = feed->add_subcommand("check", "Parse feeds without touching a live table; exit 0 if all are accepted");
  check->add_option("files", check_opts.files, "Feed files")->required();
  std::string format_help = "Read every file in this format instead of detecting it:";
  for (const iocgate::FeedFormatInfo* f = iocgate::feed_formats(); f->name; ++f)
    format_help += std::string("\n  ") + f->name + ": " + f->description;
  check->add_option("--format", check_opts.format, format_help);
  check->add_flag("--json", check_opts.json, "Print the result as JSON");
  check->add_option("--own-network", check_opts.own_networks, "A CIDR of the operator's own networks the guards protect (repeatable)");
  check->add_option("--allow", check_opts.allow_files, "An allowlist file: addresses, CIDRs, domains (covering subdomains) (repeatable)");
  check->add_option("--force", check_opts.force, "Enforce this entry despite a guard refusal, as printed in quotes (repeatable)");
  check->add_option("--config", check_opts.config_path,
                    "Take the guards from this appliance config ([guards], [network] internal), as a push would");
  check->add_flag("--skip-refused", check_opts.skip_refused,
                  "Accept the feed without the entries a guard refuses, listing each with its reason");
  check->add_flag("--include-not-for-ids", check_opts.include_not_for_ids,
                  "Also take entries the publisher marked not for detection (MISP to_ids=false)");

  std::string config_path = "/etc/iocgate/iocgate.toml";
  CLI::App* ctl = app.add_subcommand("control", "Run the control process (feeds, table publishing, iocctl socket)");
  ctl->add_option("--config", config_path, "Appliance config file")->capture_default_str();

  if (std::optional<int> rc = iocgate::cli::parse(app, "iocgate", argc, argv)) return *rc;

  if (ctl->parsed()) {
    iocgate::Result<iocgate::ApplianceConfig> cfg = iocgate::load_config(config_path);
    if (!cfg.ok()) {
      std::fprintf(stderr, "iocgate: %s\n", cfg.message().c_str());
      return 2;
    }
    return iocgate::run_control(*cfg);
  }
  if (check->parsed()) return iocgate::run_feed_check(check_opts);
  return 1;
}
