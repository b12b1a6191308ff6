// dataplane/dpdk_port.cc — port and mempool set-up with DPDK's ethdev API.

#include "dataplane/dpdk_port.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstring>

namespace iocgate {

namespace {
// The Toeplitz key of repeated 0x6d5a makes the hash symmetric in (src, dst) and
// (sport, dport): the reply of a flow lands on the worker that saw the request.
uint8_t kSymmetricRssKey[40] = {
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
    0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a};
}  // namespace

rte_mempool* create_mbuf_pool(const char* name, uint32_t mbufs, int socket, std::string* error) {
  rte_mempool* mp = rte_pktmbuf_pool_create(name, mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
  if (mp == nullptr) *error = std::string("cannot create mbuf pool: ") + rte_strerror(rte_errno);
  return mp;
}

uint16_t port_queue_limit(uint16_t port_id) {
  rte_eth_dev_info info;
  if (rte_eth_dev_info_get(port_id, &info) != 0) return 0;
  return std::min(info.max_rx_queues, info.max_tx_queues);
}

bool find_port(const std::string& name, uint16_t* port_id) {
  return rte_eth_dev_get_port_by_name(name.c_str(), port_id) == 0;
}

bool setup_port(const PortSetup& p, rte_mempool* pool, std::string* error) {
  rte_eth_dev_info info;
  int rc = rte_eth_dev_info_get(p.port_id, &info);
  if (rc != 0) {
    *error = "port " + std::to_string(p.port_id) + ": cannot read device info: " + rte_strerror(-rc);
    return false;
  }
  if (p.queues > info.max_rx_queues || p.queues > info.max_tx_queues) {
    *error = "port " + std::to_string(p.port_id) + " (" + info.driver_name + ") supports " +
             std::to_string(std::min(info.max_rx_queues, info.max_tx_queues)) + " queues, " +
             std::to_string(p.queues) + " requested";
    return false;
  }
  rte_eth_conf conf;
  std::memset(&conf, 0, sizeof(conf));
  if (p.queues > 1 && info.flow_type_rss_offloads != 0) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = kSymmetricRssKey;
    conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(kSymmetricRssKey);
    conf.rx_adv_conf.rss_conf.rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
    conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  rc = rte_eth_dev_configure(p.port_id, p.queues, p.queues, &conf);
  if (rc != 0) {
    *error = "port " + std::to_string(p.port_id) + ": configure failed: " + rte_strerror(-rc);
    return false;
  }
  uint16_t rxd = p.rx_desc, txd = p.tx_desc;
  rte_eth_dev_adjust_nb_rx_tx_desc(p.port_id, &rxd, &txd);
  const int socket = rte_eth_dev_socket_id(p.port_id);
  for (uint16_t q = 0; q < p.queues; ++q) {
    rc = rte_eth_rx_queue_setup(p.port_id, q, rxd, socket, nullptr, pool);
    if (rc == 0) rc = rte_eth_tx_queue_setup(p.port_id, q, txd, socket, nullptr);
    if (rc != 0) {
      *error = "port " + std::to_string(p.port_id) + " queue " + std::to_string(q) +
               ": setup failed: " + rte_strerror(-rc);
      return false;
    }
  }
  rc = rte_eth_dev_start(p.port_id);
  if (rc != 0) {
    *error = "port " + std::to_string(p.port_id) + ": start failed: " + rte_strerror(-rc);
    return false;
  }
  if (p.promiscuous) rte_eth_promiscuous_enable(p.port_id);
  return true;
}

}  // namespace iocgate
