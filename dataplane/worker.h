// dataplane/worker.h — the DPDK side of a worker: receive a burst, hand the frames to the
// Classifier, then forward, drop or mirror each mbuf. Thin on purpose: all judgement lives
// in the DPDK-free Classifier. Per packet: no locks, no allocation, no syscalls.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/classifier.h"

struct rte_mbuf;
struct rte_ring;

namespace iocgate {

inline constexpr int32_t kNoPort = -1;

struct WorkerPorts {
  uint16_t rx_port = 0;
  uint16_t rx_queue = 0;
  uint16_t tx_port = 0;          // where forwarded packets leave
  uint16_t tx_queue = 0;
  int32_t drop_port = kNoPort;   // dropped packets are sent here instead of freed (replay)
  int32_t mirror_port = kNoPort; // copies of mirrored packets
  uint16_t aux_queue = 0;        // TX queue on drop_port and mirror_port
  bool answer_rejects = true;    // send the reject action's answers (not in replay)
  // Set when a distributor lcore owns the ports (they have fewer queues than there are
  // workers): frames come from rx_ring and leave through the rings, which the distributor
  // empties onto the ports. Each ring has this worker as its one producer or consumer.
  rte_ring* rx_ring = nullptr;
  rte_ring* tx_ring = nullptr;      // towards tx_port
  rte_ring* back_ring = nullptr;    // towards rx_port: the answer to a rejected frame's sender
  rte_ring* mirror_ring = nullptr;  // towards mirror_port
};

class Worker {
 public:
  explicit Worker(Classifier& classifier);

  // Receives and handles one burst; returns how many packets it received.
  uint16_t poll(const WorkerPorts& ports, uint64_t now);

  Classifier& classifier() { return classifier_; }

  // Fail-closed: with no valid table on an appliance that enforced one before, every packet
  // is dropped (and counted) until a table arrives. Switched between bursts only.
  void set_fail_closed(bool on) { fail_closed_ = on; }

 private:
  // Frames that arrive in several segments are copied here so parsers see contiguous bytes.
  static constexpr uint32_t kLinearMax = 16384;

  // To the port queue, or to the distributor's ring when `ring` is set.
  void send(uint16_t port, uint16_t queue, rte_ring* ring, rte_mbuf** pkts, uint16_t n);
  // One frame (a reject answer); false when it could not be queued (the caller frees it).
  static bool send_one(uint16_t port, uint16_t queue, rte_ring* ring, rte_mbuf* m);
  // The answers of the reject action for one rejected frame: a reset back to the sender and
  // one on to the receiver (TCP), or an NXDOMAIN (a DNS query over UDP).
  void answer_rejected(const WorkerPorts& ports, rte_mbuf* m, const uint8_t* frame, uint32_t len);

  Classifier& classifier_;
  std::unique_ptr<uint8_t[]> linear_;
  bool fail_closed_ = false;
};

}  // namespace iocgate
