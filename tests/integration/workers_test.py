#!/usr/bin/python3
"""Two workers judge exactly as one: the real dataplane and control processes with
`workers = 2`, against the same processes with one worker on the whole capture, on both
kinds of port: one with a queue per worker (net_pcap with one capture per RX queue, split by
a symmetric hash of the address pair, as symmetric RSS splits a real port), and one with a
single queue (AF_XDP or AF_PACKET on one queue, virtual devices), which `distribute = "auto"`
serves with a distributor lcore that hashes each frame's address pair to a worker.

usage: workers_test.py IOCGATE IOCCTL IOCGATE-DATAPLANE

Checks:
  same-verdicts  gen_traffic's capture (both directions of every flow, VLAN/QinQ, IPv6, split
                 and overlapping ClientHellos, IP fragments): the per-kind match counters, the
                 drops and the multiset of forwarded frames are identical with 1 and 2 workers,
                 and equal the capture's truth; each worker judged its queue's share.
  distributed    the same capture on single-queue ports, 2 workers: "auto" chose the
                 distributor, every packet judged as with 1 worker, both workers took a share.
  refusals       a distributor without an lcore of its own, and "rss" forced on single-queue
                 ports, are refused at start with the reason (exit 2 and 3), nothing forwarded.
  pushes         (on both kinds of port) the capture replayed without end while 200 pushes
                 and removals alternate:
                 each enforced by both workers within 1 s, generations consecutive, both
                 workers on the last one; then kill -9 of control: both workers keep dropping;
                 a restarted control process takes the next push. At the stop every worker's
                 rx = forwarded + not forwarded and every packet was judged by one generation;
                 with RSS no port missed a packet, with the distributor every frame the port
                 received was judged by a worker or counted in the port's imissed (a source
                 that never pauses outruns workers sharing two CPUs with it).
The machine may have fewer cores than lcores: the lcores are mapped onto the CPUs there are
(EAL --lcores), which costs speed, not correctness.
Ends with "N passed, M failed".
"""
import collections
import json
import os
import subprocess
import sys
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, make_work, not_forwarded, run_suite  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
check = None


def lcores_for(workers):
    """The main lcore and one per worker, mapped onto the CPUs this machine has."""
    cpus = os.cpu_count() or 1
    return ",".join(f"{i}@{i % cpus}" for i in range(workers + 1))


def split_capture(capture, queues, prefix):
    """One capture per queue, every packet of an address pair in the same one (the symmetric
    split RSS with a symmetric key makes), order kept within each."""
    from scapy.all import IP, IPv6, PcapReader, PcapWriter
    paths = [f"{prefix}.{q}.pcap" for q in range(queues)]
    outs = [PcapWriter(p, sync=False) for p in paths]
    counts = [0] * queues
    for p in PcapReader(capture):
        pair = (p[IP].src, p[IP].dst) if IP in p else (p[IPv6].src, p[IPv6].dst) if IPv6 in p else ("", "")
        q = zlib.crc32("|".join(sorted(pair)).encode()) % queues
        outs[q].write(p)
        counts[q] += 1
    for o in outs:
        o.close()
    return paths, counts


def empty_capture(path):
    from scapy.all import PcapWriter
    PcapWriter(path, sync=False).close()
    # An empty writer writes no header until a packet; write the global header by hand.
    if os.path.getsize(path) == 0:
        import struct
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    return path


def frames(paths):
    from scapy.all import PcapReader
    c = collections.Counter()
    for p in paths:
        if os.path.exists(p) and os.path.getsize(p) > 24:
            for pkt in PcapReader(p):
                c[bytes(pkt)] += 1
    return c


def totals(final):
    keys = ("rx_packets", "tx_packets", "dropped_packets", "match_ip", "match_dns", "match_sni", "match_host",
            "unreadable_dropped", "reasm_out_of_order", "fragments", "ipfrag_reassembled")
    return {k: sum(w["counters"][k] for w in final["workers"]) for k in keys}


def finite_run(bins, traffic_dir, workers, captures, distributed=False):
    """Judges `captures` (one per queue) with `workers` workers; (final accounting, forwarded
    frames, packets, the dataplane's log). `distributed`: one capture on single-queue ports."""
    work = make_work(f"iocgate-workers{workers}.")
    app = Appliance(bins, work, instance=f"w{workers}{'d' if distributed else ''}{os.getpid()}")
    empty = empty_capture(os.path.join(work, "empty.pcap"))
    queues = len(captures)
    outs = [os.path.join(work, f"out.{q}.pcap") for q in range(queues)]
    inside = "net_pcap_in," + ",".join(f"rx_pcap={c}" for c in captures)
    outside = "net_pcap_out," + ",".join(f"rx_pcap={empty},tx_pcap={o}" for o in outs)
    cfg = app.config(f"finite{workers}.toml", inside, outside,
                     dataplane={"lcores": lcores_for(workers + (1 if distributed else 0)), "workers": workers})
    app.start_control(cfg)
    app.ctl_cmd("feed", "push", os.path.join(traffic_dir, "feed.txt"), "--name", "apt", "--advisory",
                "941/CATTT-NCSC", check=False)  # exit 4: published, the dataplane not yet running
    app.start_dataplane(cfg)
    want = sum(1 for _ in open(os.path.join(traffic_dir, "truth.tsv")))
    deadline = time.time() + 60
    while time.time() < deadline:
        _, st, _ = app.ctl_cmd("stats")
        if st["counters"]["rx_packets"] >= want:
            break
        time.sleep(0.5)
    time.sleep(1)
    final = app.stop_dataplane()
    log = open(app.dp_log, errors="replace").read()
    app.stop("ctl")
    app.cleanup()
    return final, frames(outs), want, log


def same_verdicts(bins, work, traffic_dir):
    capture = os.path.join(traffic_dir, "traffic.pcap")
    split, counts = split_capture(capture, 2, os.path.join(traffic_dir, "queue"))
    check("same-verdicts: the split gives each queue a share", min(counts) > sum(counts) // 5, counts)
    one, fwd1, want, _ = finite_run(bins, traffic_dir, 1, [capture])
    two, fwd2, _, _ = finite_run(bins, traffic_dir, 2, split)
    if not check("same-verdicts: both runs ended with their accounting", one and two):
        return None
    t1, t2 = totals(one), totals(two)
    check("same-verdicts: 1 worker judged the whole capture", t1["rx_packets"] == want, t1)
    check("same-verdicts: 2 workers judged the whole capture, each its queue's share",
          t2["rx_packets"] == want and [w["counters"]["rx_packets"] for w in two["workers"]] == counts,
          [w["counters"]["rx_packets"] for w in two["workers"]])
    check("same-verdicts: counters identical with 1 and 2 workers", t1 == t2,
          {k: (t1[k], t2[k]) for k in t1 if t1[k] != t2[k]})
    check("same-verdicts: the forwarded frames identical (as a multiset)", fwd1 == fwd2 and sum(fwd1.values()) > 0,
          f"{sum(fwd1.values())} vs {sum(fwd2.values())} frames, {len(fwd1 - fwd2)} only with 1, "
          f"{len(fwd2 - fwd1)} only with 2")
    truth = [l.rstrip("\n").split("\t") for l in open(os.path.join(traffic_dir, "truth.tsv"))]
    passed = sum(1 for t in truth if t[1] != "drop")
    check("same-verdicts: forwarded = the truth's passed packets", sum(fwd2.values()) == passed,
          f"{sum(fwd2.values())} forwarded, truth {passed}")
    return t1, fwd1, want


def distributed_verdicts(bins, traffic_dir, one):
    """The whole capture on single-queue ports with 2 workers, against the 1-worker run."""
    t1, fwd1, want = one
    two, fwd2, _, log = finite_run(bins, traffic_dir, 2, [os.path.join(traffic_dir, "traffic.pcap")],
                                   distributed=True)
    check("distributed: distribute = \"auto\" chose the distributor for ports with 1 queue",
          "spread by a distributor on lcore" in log, [l for l in log.splitlines() if "forwarding" in l])
    if not check("distributed: the run ended with its accounting", two is not None):
        return
    t2 = totals(two)
    shares = [w["counters"]["rx_packets"] for w in two["workers"]]
    check("distributed: 2 workers judged the whole capture, each a share", t2["rx_packets"] == want and
          min(shares) > want // 5, shares)
    check("distributed: counters identical with 1 worker", t1 == t2, {k: (t1[k], t2[k]) for k in t1 if t1[k] != t2[k]})
    check("distributed: the forwarded frames identical (as a multiset)", fwd1 == fwd2 and sum(fwd1.values()) > 0,
          f"{sum(fwd1.values())} vs {sum(fwd2.values())} frames, {len(fwd1 - fwd2)} only with 1, "
          f"{len(fwd2 - fwd1)} only with 2")
    check("distributed: nothing missed or failed on a finite capture",
          all(p["imissed"] == 0 and p["oerrors"] == 0 for p in two["ports"]), json.dumps(two["ports"]))


def refusals(bins, traffic_dir):
    """Start-up refusals of a distribution the machine or the ports cannot give."""
    work = make_work("iocgate-workers-refuse.")
    app = Appliance(bins, work, instance=f"wr{os.getpid()}")
    capture = os.path.join(traffic_dir, "traffic.pcap")
    out = os.path.join(work, "out.pcap")
    empty = empty_capture(os.path.join(work, "empty.pcap"))
    inside, outside = f"net_pcap_in,rx_pcap={capture}", f"net_pcap_out,rx_pcap={empty},tx_pcap={out}"
    for name, dataplane, rc, reason in [
        ("a distributor needs an lcore besides the workers'", {"lcores": lcores_for(2), "workers": 2}, 2,
         "workers = 2 and the distributor (the ports have 1 queue(s)) need 3 lcores besides the main one"),
        ("\"rss\" on ports with one queue", {"lcores": lcores_for(2), "workers": 2, "distribute": "rss"}, 3,
         "supports 1 queues, 2 requested"),
    ]:
        cfg = app.config("refuse.toml", inside, outside, dataplane=dataplane)
        got, log = app.dataplane_refuses(cfg)
        check(f"refusals: {name}: exit {rc} with the reason, nothing forwarded",
              got == rc and reason in log and "iocgate dataplane: forwarding " not in log and
              (not os.path.exists(out) or os.path.getsize(out) <= 24),
              f"exit {got}: {log.strip()[-400:]}")
    app.cleanup()


def pushes_under_traffic(bins, work, traffic_dir, captures, pushes=200):
    """`captures`: one per queue (RSS), or a single one (the distributor)."""
    distributed = len(captures) == 1
    kind = "pushes (distributor)" if distributed else "pushes"
    app = Appliance(bins, make_work("iocgate-workers-push.") if distributed else work, instance=f"wp{'d' if distributed else ''}{os.getpid()}")
    inside = "net_pcap_in," + ",".join(f"rx_pcap={c}" for c in captures) + ",infinite_rx=1"
    outside = "net_null_out,no-rx=1"
    cfg = app.config("pushes.toml", inside, outside,
                     dataplane={"lcores": lcores_for(3 if distributed else 2), "workers": 2})
    app.start_dataplane(cfg)
    app.start_control(cfg)
    _, st, _ = app.ctl_cmd("status")
    gen = st["generation"]["published"]
    feed = os.path.join(traffic_dir, "feed.txt")
    slow, bad_gen = [], []
    for i in range(pushes):
        if i % 2 == 0:
            _, r, _ = app.ctl_cmd("feed", "push", feed, "--name", "apt", "--advisory", "941/CATTT-NCSC")
        else:
            _, r, _ = app.ctl_cmd("feed", "remove", "apt")
        if r["enforce_seconds"] >= 1.0 or not r["dataplane_running"]:
            slow.append((i, r["enforce_seconds"]))
        if r["generation"] != gen + 1:
            bad_gen.append((i, r["generation"], gen + 1))
        gen = r["generation"]
    check(f"{kind}: {pushes} pushes and removals each enforced by both workers within 1 s", not slow,
          f"late: {slow[:5]}")
    check(f"{kind}: generations consecutive", not bad_gen, bad_gen[:5])
    _, st, _ = app.ctl_cmd("status")
    check(f"{kind}: status shows 2 workers alive on the last generation",
          len(st["workers"]) == 2 and all(w["alive"] and w["generation"] == gen for w in st["workers"]),
          json.dumps(st["workers"]))
    # The last push left the feed removed; push it once more, then kill control.
    _, r, _ = app.ctl_cmd("feed", "push", feed, "--name", "apt", "--advisory", "941/CATTT-NCSC")
    time.sleep(1)
    _, before, _ = app.ctl_cmd("stats")
    app.kill("ctl")
    time.sleep(3)
    alive = app.dp.poll() is None
    app.start_control(cfg)
    _, after, _ = app.ctl_cmd("stats")
    check(f"{kind}: after kill -9 of control the dataplane ran on and both workers kept dropping",
          alive and all(a["counters"]["dropped_packets"] > b["counters"]["dropped_packets"]
                        for a, b in zip(after["workers"], before["workers"])),
          [(b["counters"]["dropped_packets"], a["counters"]["dropped_packets"])
           for a, b in zip(after["workers"], before["workers"])])
    _, r, _ = app.ctl_cmd("feed", "remove", "apt")
    check(f"{kind}: the restarted control process publishes, both workers follow within 1 s",
          r["enforced"] and r["enforce_seconds"] < 1.0, f"{r['enforce_seconds']} s")
    final = app.stop_dataplane()
    if not check(f"{kind}: the dataplane stopped with its accounting", final is not None):
        return
    for w in final["workers"]:
        c = w["counters"]
        check(f"{kind}: worker {w['worker']}: rx = forwarded + not forwarded, every packet judged by one generation",
              c["rx_packets"] > 0 and c["rx_packets"] == c["tx_packets"] + not_forwarded(c) and
              w["judged"] == c["rx_packets"] and c["tx_failed"] == 0,
              f"rx {c['rx_packets']} tx {c['tx_packets']} not forwarded {not_forwarded(c)} judged {w['judged']} "
              f"tx_failed {c['tx_failed']} switches {w['switches']}")
        check(f"{kind}: worker {w['worker']} switched generations for every push", w["switches"] >= pushes,
              w["switches"])
    if not distributed:
        check(f"{kind}: no port missed or failed a packet",
              all(p["imissed"] == 0 and p["ierrors"] == 0 and p["oerrors"] == 0 for p in final["ports"]),
              json.dumps(final["ports"]))
    else:
        rx = sum(w["counters"]["rx_packets"] for w in final["workers"])
        inside_port = final["ports"][0]
        check(f"{kind}: every frame the port received was judged by a worker or counted as missed",
              inside_port["ipackets"] == rx + inside_port["imissed"] and rx > 0 and
              all(p["ierrors"] == 0 and p["oerrors"] == 0 for p in final["ports"]),
              f"port received {inside_port['ipackets']}, workers judged {rx}, imissed {inside_port['imissed']}; "
              + json.dumps(final["ports"]))
    app.cleanup()


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(checks, work):
        global check
        check = checks
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "11", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        one = same_verdicts(bins, work, traffic_dir)
        if one is not None:
            distributed_verdicts(bins, traffic_dir, one)
        refusals(bins, traffic_dir)
        split = [os.path.join(traffic_dir, f"queue.{q}.pcap") for q in range(2)]
        pushes_under_traffic(bins, work, traffic_dir, split)
        pushes_under_traffic(bins, work, traffic_dir, [os.path.join(traffic_dir, "traffic.pcap")])

    sys.exit(run_suite("workers test", body, "iocgate-workers."))


if __name__ == "__main__":
    main()
