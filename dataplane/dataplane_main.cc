// dataplane/dataplane_main.cc — `iocgate-dataplane --config FILE`: the forwarding process.
// Links only what forwarding needs (packet parsers, classifier, table view, shm protocol,
// its config); tests/structure/link_graph_test.sh checks that it stays that way.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/cli_conventions.h"
#include "config/appliance_config.h"
#include "dataplane/dataplane_process.h"

int main(int argc, char** argv) {
  CLI::App app{"iocgate-dataplane: forward inside <-> outside, enforcing the published IoC table"};
  std::string config_path = "/etc/iocgate/iocgate.toml";
  app.add_option("--config", config_path, "Appliance config file")->capture_default_str();
  if (std::optional<int> rc = iocgate::cli::parse(app, "iocgate-dataplane", argc, argv)) return *rc;
  iocgate::Result<iocgate::ApplianceConfig> cfg = iocgate::load_config(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "iocgate-dataplane: %s\n", cfg.message().c_str());
    return 2;
  }
  return iocgate::run_dataplane(*cfg);
}
