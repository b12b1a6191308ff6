// dataplane/dpdk_port.h — bringing up DPDK ports for the workers: one mbuf pool, N RX/TX
// queues, RSS hashed symmetrically so both directions of a flow reach one worker.
// Called once at start-up; errors come back as text for the operator.
#pragma once

#include <cstdint>
#include <string>

struct rte_mempool;

namespace iocgate {

struct PortSetup {
  uint16_t port_id = 0;
  uint16_t queues = 1;
  uint16_t rx_desc = 1024;
  uint16_t tx_desc = 1024;
  bool promiscuous = true;
};

// Creates the shared mbuf pool (mbuf data room fits a 9000-byte jumbo frame in one segment
// where the PMD allows; larger frames arrive chained and are linearized by the worker).
rte_mempool* create_mbuf_pool(const char* name, uint32_t mbufs, int socket, std::string* error);

// Configures and starts the port. Returns false with *error set.
bool setup_port(const PortSetup& p, rte_mempool* pool, std::string* error);

// The RX/TX queue pairs the port's driver offers (0 when its info cannot be read): fewer
// than the workers means a distributor lcore must spread its frames.
uint16_t port_queue_limit(uint16_t port_id);

// Finds a port by its device name ("net_pcap0", "0000:03:00.0"); false when absent.
bool find_port(const std::string& name, uint16_t* port_id);

}  // namespace iocgate
