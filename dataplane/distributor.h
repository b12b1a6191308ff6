// dataplane/distributor.h — the RX/TX lcore for ports with fewer queues than workers (AF_XDP
// or AF_PACKET on one queue, virtual devices): it receives from every port, hands each frame
// to the worker its address pair hashes to (symmetric, so both directions of a flow and its
// fragments meet on one worker) over a ring, and sends what the workers put in their rings.
// Per packet: no locks, no allocation, no syscalls; rings are single-producer single-consumer.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

struct rte_ring;
struct rte_mbuf;

namespace iocgate {

class Distributor {
 public:
  // Each ring's capacity in frames: a few bursts of slack for a worker that is briefly late.
  static constexpr uint32_t kRingSlots = 4096;
  static constexpr uint32_t kMaxRxPorts = 2;
  static constexpr uint32_t kMaxTxPorts = 3;
  static constexpr uint32_t kMaxWorkers = 16;  // the config's limit

  // `rx_ports`: the ports received from (inside, outside); `tx_ports`: every port a worker
  // sends to (the same two, then the mirror port if any), all configured with one queue.
  // Creates the rings on `socket`; false with *error naming what could not be made.
  bool init(uint32_t workers, const std::vector<uint16_t>& rx_ports, const std::vector<uint16_t>& tx_ports,
            int socket, std::string* error);
  ~Distributor();  // frees the rings and any frame still in them

  // The ring worker `w` receives the frames of rx_ports[p] from.
  rte_ring* rx_ring(uint32_t w, uint32_t p) const { return rx_[w][p]; }
  // The ring worker `w` puts frames for tx_ports[p] in.
  rte_ring* tx_ring(uint32_t w, uint32_t p) const { return tx_[w][p]; }

  // The lcore's loop, until `stop`, which the caller sets once every worker has returned:
  // then what the workers sent is transmitted and what they never took is counted.
  void run(const std::atomic<bool>& stop);

  // Frames a port received that no worker took (its ring was full): what imissed counts on
  // a port with RSS queues, so they are added to the port's imissed.
  uint64_t undistributed(uint32_t p) const { return undistributed_[p].load(std::memory_order_relaxed); }
  // Frames the workers sent that the port's TX queue would not take: added to its oerrors.
  uint64_t tx_failed(uint32_t p) const { return tx_failed_[p].load(std::memory_order_relaxed); }

 private:
  void receive(uint32_t p);
  void transmit(uint32_t w, uint32_t p);
  void drain();

  uint32_t workers_ = 0;
  std::vector<uint16_t> rx_ports_, tx_ports_;
  std::vector<std::vector<rte_ring*>> rx_, tx_;
  std::atomic<uint64_t> undistributed_[kMaxRxPorts] = {};
  std::atomic<uint64_t> tx_failed_[kMaxTxPorts] = {};
};

}  // namespace iocgate
