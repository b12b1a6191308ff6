// dataplane/worker.cc — one burst: rx, classify, then tx in capture order.

#include "dataplane/worker.h"

#include <cstring>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dataplane/reject_reply.h"

namespace iocgate {

Worker::Worker(Classifier& classifier)
    : classifier_(classifier), linear_(new uint8_t[size_t{kBurstSize} * kLinearMax]) {}

void Worker::send(uint16_t port, uint16_t queue, rte_ring* ring, rte_mbuf** pkts, uint16_t n) {
  uint16_t sent = 0;
  // A few retries ride out a momentarily full TX ring; past them the packets are counted
  // and freed rather than stalling reception.
  for (int tries = 0; sent < n && tries < 8; ++tries)
    sent += ring != nullptr ? static_cast<uint16_t>(rte_ring_sp_enqueue_burst(
                                  ring, reinterpret_cast<void* const*>(pkts + sent), n - sent, nullptr))
                            : rte_eth_tx_burst(port, queue, pkts + sent, n - sent);
  if (sent < n) {
    classifier_.counters().tx_failed += n - sent;
    rte_pktmbuf_free_bulk(pkts + sent, n - sent);
  }
}

bool Worker::send_one(uint16_t port, uint16_t queue, rte_ring* ring, rte_mbuf* m) {
  if (ring != nullptr) return rte_ring_sp_enqueue(ring, m) == 0;
  return rte_eth_tx_burst(port, queue, &m, 1) == 1;
}

void Worker::answer_rejected(const WorkerPorts& ports, rte_mbuf* m, const uint8_t* frame, uint32_t len) {
  PacketMeta meta{};
  if (parse_packet(frame, len, meta) != ParseStatus::kOk && meta.ip_version == 0) return;
  uint8_t buf[2][kMaxRejectReply];
  size_t n[2] = {0, 0};
  if (meta.l4_proto == 6) {
    n[0] = build_tcp_reset(frame, meta, /*to_sender=*/true, buf[0]);
    n[1] = build_tcp_reset(frame, meta, /*to_sender=*/false, buf[1]);
  } else if (meta.l4_proto == 17) {
    n[0] = build_dns_nxdomain(frame, meta, buf[0]);
  }
  // The answer to the sender leaves where the frame came in; the reset to the receiver goes
  // on the way the frame was going.
  const uint16_t port[2] = {ports.rx_port, ports.tx_port};
  const uint16_t queue[2] = {ports.rx_queue, ports.tx_queue};
  rte_ring* const ring[2] = {ports.back_ring, ports.tx_ring};
  DataplaneCounters& c = classifier_.counters();
  for (int k = 0; k < 2; ++k) {
    if (n[k] == 0) continue;
    rte_mbuf* r = rte_pktmbuf_alloc(m->pool);
    char* dst = r != nullptr ? rte_pktmbuf_append(r, static_cast<uint16_t>(n[k])) : nullptr;
    if (dst == nullptr) {
      if (r != nullptr) rte_pktmbuf_free(r);
      ++c.reject_replies_failed;
      continue;
    }
    std::memcpy(dst, buf[k], n[k]);
    if (send_one(port[k], queue[k], ring[k], r)) {
      ++c.reject_replies;
    } else {
      rte_pktmbuf_free(r);
      ++c.reject_replies_failed;
    }
  }
}

uint16_t Worker::poll(const WorkerPorts& ports, uint64_t now) {
  rte_mbuf* pkts[kBurstSize];
  const uint16_t n =
      ports.rx_ring != nullptr
          ? static_cast<uint16_t>(rte_ring_sc_dequeue_burst(ports.rx_ring, reinterpret_cast<void**>(pkts), kBurstSize, nullptr))
          : rte_eth_rx_burst(ports.rx_port, ports.rx_queue, pkts, kBurstSize);
  if (n == 0) return 0;
  if (fail_closed_) {
    DataplaneCounters& c = classifier_.counters();
    c.rx_packets += n;
    c.dropped_no_table += n;  // not an IoC verdict: counted apart from dropped_packets
    rte_pktmbuf_free_bulk(pkts, n);
    return n;
  }

  const uint8_t* frames[kBurstSize];
  uint32_t lens[kBurstSize];
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = pkts[i];
    lens[i] = rte_pktmbuf_pkt_len(m);
    if (m->nb_segs == 1) {
      frames[i] = rte_pktmbuf_mtod(m, const uint8_t*);
    } else {
      if (lens[i] > kLinearMax) lens[i] = kLinearMax;
      uint8_t* dst = linear_.get() + size_t{i} * kLinearMax;
      frames[i] = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, lens[i], dst));
    }
  }

  Verdict verdicts[kBurstSize];
  classifier_.classify_burst(frames, lens, n, now, verdicts);

  rte_mbuf* fwd[kBurstSize];
  rte_mbuf* drop[kBurstSize];
  rte_mbuf* mirror[kBurstSize];
  uint16_t nf = 0, nd = 0, nm = 0;
  for (uint16_t i = 0; i < n; ++i) {
    switch (verdicts[i]) {
      case Verdict::kForward:
        fwd[nf++] = pkts[i];
        break;
      case Verdict::kDrop:
        drop[nd++] = pkts[i];
        break;
      case Verdict::kReject:
        if (ports.answer_rejects) answer_rejected(ports, pkts[i], frames[i], lens[i]);
        drop[nd++] = pkts[i];
        break;
      case Verdict::kMirror:
        fwd[nf++] = pkts[i];
        if (ports.mirror_port != kNoPort) {
          // The copy shares the data: both ports only read it before freeing their reference.
          rte_mbuf_refcnt_update(pkts[i], 1);
          mirror[nm++] = pkts[i];
        }
        break;
    }
  }
  if (nf != 0) {
    classifier_.counters().tx_packets += nf;
    send(ports.tx_port, ports.tx_queue, ports.tx_ring, fwd, nf);
  }
  if (nm != 0) send(static_cast<uint16_t>(ports.mirror_port), ports.aux_queue, ports.mirror_ring, mirror, nm);
  if (nd != 0) {
    if (ports.drop_port != kNoPort)
      send(static_cast<uint16_t>(ports.drop_port), ports.aux_queue, nullptr, drop, nd);
    else
      rte_pktmbuf_free_bulk(drop, nd);
  }
  return n;
}

}  // namespace iocgate
