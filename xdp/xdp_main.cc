// xdp/xdp_main.cc — `iocgate-xdp --config FILE`: the XDP enforcement path.
// Links only what enforcing needs (the table view, the shm protocol, its config, libbpf);
// no feed parser, compiler, JSON library or DPDK.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/cli_conventions.h"
#include "config/appliance_config.h"
#include "xdp/xdp_process.h"

int main(int argc, char** argv) {
  CLI::App app{"iocgate-xdp: enforce the published IoC table on kernel interfaces with XDP"};
  std::string config_path = "/etc/iocgate/iocgate.toml";
  app.add_option("--config", config_path, "Appliance config file ([xdp] names the interfaces)")->capture_default_str();
  if (std::optional<int> rc = iocgate::cli::parse(app, "iocgate-xdp", argc, argv)) return *rc;
  iocgate::Result<iocgate::ApplianceConfig> cfg = iocgate::load_config(config_path);
  if (!cfg.ok()) {
    std::fprintf(stderr, "iocgate-xdp: %s\n", cfg.message().c_str());
    return 2;
  }
  return iocgate::xdp::run_xdp(*cfg);
}
