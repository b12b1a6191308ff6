// replay/replay_main.cc — `iocgate-replay` (also reached as `iocgate replay`): judge a capture
// with the real dataplane code over DPDK's pcap driver. A DPDK program of its own, so the
// operator's front command and the control process link no DPDK.

#include <CLI/CLI.hpp>
#include <sstream>

#include "base/cli_conventions.h"
#include "replay/replay.h"

int main(int argc, char** argv) {
  CLI::App app{"iocgate replay: judge a capture with the real dataplane: passed and dropped packets to pcaps"};
  iocgate::ReplayOptions replay;
  std::string eal;
  app.add_option("--feed", replay.feeds, "IoC feed (any format `iocgate feed check` reads; repeatable)")->required();
  app.add_option("--in", replay.in, "Capture to judge (pcap, Ethernet)")->required();
  app.add_option("--out", replay.out, "Where the passed packets go (pcap, capture order)")->required();
  app.add_option("--dropped", replay.dropped, "Where the dropped packets go (pcap, capture order)");
  app.add_option("--eal", eal, "DPDK EAL arguments replacing the default in-memory ones");
  app.add_flag("--json", replay.json, "Print the result as JSON");
  if (std::optional<int> rc = iocgate::cli::parse(app, "iocgate-replay", argc, argv)) return *rc;
  std::istringstream words(eal);
  for (std::string w; words >> w;) replay.eal_args.push_back(w);
  return iocgate::run_replay(replay);
}
