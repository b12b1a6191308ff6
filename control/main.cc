// control/main.cc — the `iocgate` command: subcommands declared in one CLI11 table that
// also generates the help.

#include <CLI/CLI.hpp>
#include <sstream>

#include "config/appliance_config.h"
#include "control/control_process.h"
#include "control/feed_check.h"
#include "control/replay.h"
#include "feeds/ioc.h"
#include "dataplane/dataplane_process.h"

int main(int argc, char** argv) {
  CLI::App app{"iocgate: block traffic to and from Indicators of Compromise at line rate"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "iocgate 0.1.0");

  iocgate::ReplayOptions replay;
  std::string eal;
  CLI::App* rp = app.add_subcommand("replay", "Judge a capture with the real dataplane: passed and dropped packets to pcaps");
  rp->add_option("--feed", replay.feeds, "IoC feed (plain list, MISP CSV or STIX 2.1; repeatable)")->required();
  rp->add_option("--in", replay.in, "Capture to judge (pcap, Ethernet)")->required();
  rp->add_option("--out", replay.out, "Where the passed packets go (pcap, capture order)")->required();
  rp->add_option("--dropped", replay.dropped, "Where the dropped packets go (pcap, capture order)");
  rp->add_option("--eal", eal, "DPDK EAL arguments replacing the default in-memory ones");
  rp->add_flag("--json", replay.json, "Print the result as JSON");

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
  CLI::App* dp = app.add_subcommand("dataplane", "Run the forwarding process (DPDK workers on the inline port pair)");
  dp->add_option("--config", config_path, "Appliance config file")->capture_default_str();
  CLI::App* ctl = app.add_subcommand("control", "Run the control process (feeds, table publishing, iocctl socket)");
  ctl->add_option("--config", config_path, "Appliance config file")->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (dp->parsed() || ctl->parsed()) {
    std::string error;
    auto cfg = iocgate::load_config(config_path, &error);
    if (!cfg) {
      std::fprintf(stderr, "iocgate: %s\n", error.c_str());
      return 2;
    }
    return dp->parsed() ? iocgate::run_dataplane(*cfg) : iocgate::run_control(*cfg);
  }

  if (rp->parsed()) {
    std::istringstream words(eal);
    for (std::string w; words >> w;) replay.eal_args.push_back(w);
    return iocgate::run_replay(replay);
  }
  if (check->parsed()) return iocgate::run_feed_check(check_opts);
  return 1;
}
