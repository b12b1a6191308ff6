#!/usr/bin/python3
"""The operator's commands on a table of a million IoCs, against the real processes: the
wall time of `iocctl feed push` of 1M IPv4 lines and of 1M domains until every worker enforces
them, and the latency of `iocctl explain` (hits and misses, addresses and subdomains) on the
resulting table. With --ipset-netns, also `ipset restore` of the same hosts (hash:ip, the set
one would make of a host list) in that network namespace, timed the same way, and the ratio.
Prints one JSON line per figure.

usage: push_bench.py IOCGATE IOCCTL IOCGATE-DATAPLANE [--hosts N] [--domains N] [--explains N]
                     [--ipset-netns NS]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
from iocgate_harness import Appliance, Binaries, make_work  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocgate")
    ap.add_argument("iocctl")
    ap.add_argument("dataplane")
    ap.add_argument("--hosts", type=int, default=1_000_000)
    ap.add_argument("--domains", type=int, default=1_000_000)
    ap.add_argument("--explains", type=int, default=200)
    ap.add_argument("--ipset-netns", default="")
    a = ap.parse_args()
    work = make_work("iocgate-pushbench.")
    app = Appliance(Binaries(a.iocgate, a.iocctl, a.dataplane), work, instance=f"pb{os.getpid()}")
    rng = random.Random(17)
    # Public unicast only: the guards (rightly) refuse private, shared, documentation and
    # special-purpose ranges, and a benchmark of refusals measures nothing.
    firsts = [o for o in range(11, 223) if o not in (100, 127, 169, 172, 192, 198, 203)]
    hosts = set()
    while len(hosts) < a.hosts:
        hosts.add(f"{rng.choice(firsts)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
    hosts = sorted(hosts)
    v4 = os.path.join(work, "hosts.txt")
    with open(v4, "w") as f:
        f.write("".join(h + "\n" for h in hosts))
    names = [f"c2-{i:07d}.{rng.choice(['badcdn', 'upd-check', 'mail-sync'])}{i % 977}.example" for i in range(a.domains)]
    dom = os.path.join(work, "domains.txt")
    with open(dom, "w") as f:
        f.write("".join(n + "\n" for n in names))
    cfg = app.config("bench.toml", "net_null_in", "net_null_out,no-rx=1", network={"internal": ["10.0.0.0/8"]},
                     control={"publish_timeout_ms": 600000})
    try:
        app.start_dataplane(cfg)
        app.start_control(cfg)
        walls = {}
        for label, path, n in (("push_1m_ipv4", v4, a.hosts), ("push_1m_domains", dom, a.domains)):
            t = time.monotonic()
            rc, r, err = app.ctl_cmd("feed", "push", path, "--name", label, check=False, timeout=1200)
            wall = time.monotonic() - t
            walls[label] = wall
            print(json.dumps({"figure": label, "iocs": n, "seconds": round(wall, 3), "exit": rc,
                              "compile_seconds": r.get("compile_seconds"), "enforce_seconds": r.get("enforce_seconds"),
                              "enforced": r.get("enforced"), "command": f"iocctl feed push {os.path.basename(path)}"}),
                  flush=True)
        if a.ipset_netns:
            restore = os.path.join(work, "hosts.ipset")
            with open(restore, "w") as f:
                size = 1 << max(10, (len(hosts) // 2 - 1).bit_length())
                f.write(f"create iocpush hash:ip family inet hashsize {size} maxelem {len(hosts) + 1024}\n")
                f.write("".join(f"add iocpush {h}\n" for h in hosts))
            cmd = ["ip", "netns", "exec", a.ipset_netns, "ipset", "-exist", "restore", "-f", restore]
            t = time.monotonic()
            rc = subprocess.run(cmd).returncode
            wall = time.monotonic() - t
            subprocess.run(["ip", "netns", "exec", a.ipset_netns, "ipset", "destroy", "iocpush"], stderr=subprocess.DEVNULL)
            print(json.dumps({"figure": "ipset_restore_same_hosts", "iocs": len(hosts), "seconds": round(wall, 3),
                              "exit": rc, "command": " ".join(cmd),
                              "push_to_ipset_ratio": round(walls["push_1m_ipv4"] / wall, 3) if rc == 0 else None}),
                  flush=True)
        queries = []
        for _ in range(a.explains // 4):
            queries.append(rng.choice(hosts))                                    # a listed host
            queries.append(f"{rng.choice(firsts)}.{rng.randrange(256)}.{rng.randrange(256)}.255")  # a miss
            queries.append("www." + rng.choice(names))                           # a subdomain of a listed name
            queries.append(f"nothing-{rng.randrange(10**9)}.example")            # a miss
        lat = []
        for q in queries:
            t = time.monotonic()
            rc, r, _ = app.ctl_cmd("explain", q, check=False)
            lat.append((time.monotonic() - t) * 1000)
            if rc != 0:
                raise RuntimeError(f"explain {q}: {r}")
        lat.sort()
        print(json.dumps({"figure": "explain_latency_ms", "table_iocs": a.hosts + a.domains, "queries": len(lat),
                          "p50": round(lat[len(lat) // 2], 1), "p99": round(lat[int(len(lat) * 0.99) - 1], 1),
                          "max": round(lat[-1], 1),
                          "note": "wall time of one iocctl process per query: connect, request, explain, reply, print"}),
              flush=True)
    finally:
        app.cleanup()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
