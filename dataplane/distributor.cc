// dataplane/distributor.cc — receive, hash, enqueue per worker; dequeue per worker, transmit.
// Order is kept per flow: one flow's frames take one ring each way, and rings are FIFO.

#include "dataplane/distributor.h"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include <algorithm>

#include "dataplane/classifier.h"
#include "dataplane/symmetric_hash.h"

namespace iocgate {

namespace {

// Enough for the headers the hash reads (Ethernet, 8 VLAN tags, IPv6 addresses).
constexpr uint32_t kHeaderBytes = 14 + 8 * 4 + 40;

// Plain store of a value this thread alone writes: no locked instruction on the hot path.
void bump(std::atomic<uint64_t>& a, uint64_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace

bool Distributor::init(uint32_t workers, const std::vector<uint16_t>& rx_ports, const std::vector<uint16_t>& tx_ports,
                       int socket, std::string* error) {
  if (rx_ports.size() > kMaxRxPorts || tx_ports.size() > kMaxTxPorts || workers == 0 || workers > kMaxWorkers) {
    *error = "the distributor serves 1 to 16 workers, at most 2 ports and a mirror port";
    return false;
  }
  workers_ = workers;
  rx_ports_ = rx_ports;
  tx_ports_ = tx_ports;
  rx_.assign(workers, std::vector<rte_ring*>(rx_ports.size(), nullptr));
  tx_.assign(workers, std::vector<rte_ring*>(tx_ports.size(), nullptr));
  auto make = [&](const char* kind, uint32_t w, uint32_t p, rte_ring** out) {
    char name[32];
    std::snprintf(name, sizeof(name), "iocgate_%s_%u_%u", kind, w, p);
    *out = rte_ring_create(name, kRingSlots, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (*out == nullptr)
      *error = std::string("cannot create the distributor's ring ") + name + ": " + rte_strerror(rte_errno);
    return *out != nullptr;
  };
  for (uint32_t w = 0; w < workers; ++w) {
    for (uint32_t p = 0; p < rx_ports.size(); ++p)
      if (!make("rx", w, p, &rx_[w][p])) return false;
    for (uint32_t p = 0; p < tx_ports.size(); ++p)
      if (!make("tx", w, p, &tx_[w][p])) return false;
  }
  return true;
}

Distributor::~Distributor() {
  drain();
  for (auto* rings : {&rx_, &tx_})
    for (auto& per_worker : *rings)
      for (rte_ring* r : per_worker) rte_ring_free(r);
}

void Distributor::receive(uint32_t p) {
  rte_mbuf* pkts[kBurstSize];
  const uint16_t n = rte_eth_rx_burst(rx_ports_[p], 0, pkts, kBurstSize);
  if (n == 0) return;
  rte_mbuf* bucket[kMaxWorkers][kBurstSize];
  uint16_t count[kMaxWorkers] = {};
  for (uint16_t i = 0; i < n; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    uint8_t copy[kHeaderBytes];
    const uint32_t len = std::min<uint32_t>(rte_pktmbuf_pkt_len(m), kHeaderBytes);
    // Contiguous headers (nearly always) are read in place; a chain is copied first.
    const auto* frame = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, len, copy));
    const uint32_t h = frame != nullptr ? symmetric_address_hash(frame, len) : 0;
    // Multiply-shift maps the hash onto [0, workers) without a division.
    const uint32_t w = static_cast<uint32_t>((uint64_t{h} * workers_) >> 32);
    bucket[w][count[w]++] = m;
  }
  for (uint32_t w = 0; w < workers_; ++w) {
    if (count[w] == 0) continue;
    const unsigned put =
        rte_ring_sp_enqueue_burst(rx_[w][p], reinterpret_cast<void* const*>(bucket[w]), count[w], nullptr);
    if (put < count[w]) {
      bump(undistributed_[p], count[w] - put);
      rte_pktmbuf_free_bulk(bucket[w] + put, count[w] - put);
    }
  }
}

void Distributor::transmit(uint32_t w, uint32_t p) {
  rte_mbuf* pkts[kBurstSize];
  const unsigned n = rte_ring_sc_dequeue_burst(tx_[w][p], reinterpret_cast<void**>(pkts), kBurstSize, nullptr);
  if (n == 0) return;
  uint16_t sent = 0;
  // As a worker does on its own queue: a few retries, then the rest is counted and freed.
  for (int tries = 0; sent < n && tries < 8; ++tries)
    sent += rte_eth_tx_burst(tx_ports_[p], 0, pkts + sent, static_cast<uint16_t>(n - sent));
  if (sent < n) {
    bump(tx_failed_[p], n - sent);
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  }
}

void Distributor::run(const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    for (uint32_t p = 0; p < rx_ports_.size(); ++p) receive(p);
    for (uint32_t w = 0; w < workers_; ++w)
      for (uint32_t p = 0; p < tx_ports_.size(); ++p) transmit(w, p);
  }
  // The workers stopped first (see `stop`): what they sent still leaves, and what they did
  // not take is counted as a port counts what it could not deliver.
  for (uint32_t w = 0; w < workers_; ++w) {
    for (uint32_t p = 0; p < tx_ports_.size(); ++p)
      for (unsigned k = 0; k <= kRingSlots / kBurstSize && rte_ring_count(tx_[w][p]) != 0; ++k) transmit(w, p);
    for (uint32_t p = 0; p < rx_ports_.size(); ++p) bump(undistributed_[p], rte_ring_count(rx_[w][p]));
  }
}

void Distributor::drain() {
  void* m;
  for (auto* rings : {&rx_, &tx_})
    for (auto& per_worker : *rings)
      for (rte_ring* r : per_worker)
        while (r != nullptr && rte_ring_sc_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf*>(m));
}

}  // namespace iocgate
