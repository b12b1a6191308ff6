// dataplane/worker.h — the DPDK side of a worker: receive a burst, hand the frames to the
// Classifier, then forward, drop or mirror each mbuf. Thin on purpose: all judgement lives
// in the DPDK-free Classifier. Per packet: no locks, no allocation, no syscalls.
#pragma once

#include <cstdint>
#include <memory>

#include "dataplane/classifier.h"

struct rte_mbuf;

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

  void send(uint16_t port, uint16_t queue, rte_mbuf** pkts, uint16_t n);
  // The answers of the reject action for one rejected frame: a reset back to the sender and
  // one on to the receiver (TCP), or an NXDOMAIN (a DNS query over UDP).
  void answer_rejected(const WorkerPorts& ports, rte_mbuf* m, const uint8_t* frame, uint32_t len);

  Classifier& classifier_;
  std::unique_ptr<uint8_t[]> linear_;
  bool fail_closed_ = false;
};

}  // namespace iocgate
