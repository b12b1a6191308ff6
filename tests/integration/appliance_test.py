#!/usr/bin/python3
"""Drives the real appliance: `iocgate dataplane` + `iocgate control` + `iocctl`, under
continuous traffic (net_pcap infinite_rx into net_null), through the faults the appliance
must survive without losing anything.

usage: appliance_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE] [--pushes N]

Checks:
  push-cycle        N pushes alternating add/remove under traffic: each acknowledged, each
                    enforced by every worker within 1 s, generations consecutive; at a clean
                    stop rx = forwarded + dropped, nothing missed or failed on the ports, and
                    the per-generation tallies sum to rx (each packet judged by exactly one
                    generation).
  malformed-feed    a bad feed is refused with FILE:LINE and the live table does not change.
  kill-control      kill -9 of the control process at random moments, also mid-publish: the
                    dataplane keeps forwarding; a restarted control recovers every
                    acknowledged feed and continues from the current generation.
  kill-dataplane    kill -9 of the dataplane; restarted (without the control process) it
                    enforces the last table from its first packet: the passed packets of a
                    finite capture are exactly those the verdict semantics let through.
Ends with "N passed, M failed".
"""
import json
import os
import random
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, not_forwarded, run_suite  # noqa: E402

check = None  # the suite's Checks, set in main()


def accounting_ok(name, final):
    w = final["workers"][0]
    c = w["counters"]
    ports = {p["name"]: p for p in final["ports"]}
    rx, tx, dropped = c["rx_packets"], c["tx_packets"], not_forwarded(c)
    check(f"{name}: rx = forwarded + not forwarded (dropped, held, unreadable)", rx == tx + dropped and rx > 0,
          f"rx {rx}, tx {tx}, dropped {c['dropped_packets']}, held {c['reasm_out_of_order']}, "
          f"unreadable {c['unreadable_dropped']}")
    check(f"{name}: no tx failures, no port misses or errors",
          c["tx_failed"] == 0 and all(p["imissed"] == 0 and p["ierrors"] == 0 and p["oerrors"] == 0
                                      for p in ports.values()), json.dumps(final["ports"]))
    check(f"{name}: port counters agree with the worker", ports["net_pcap_in"]["ipackets"] == rx and
          ports["net_null_out"]["opackets"] == tx, json.dumps(final["ports"]))
    check(f"{name}: every packet judged by exactly one generation", w["judged"] == rx,
          f"per-generation tallies sum to {w['judged']}, rx {rx}, {w['switches']} switches")
    return w


def push_cycle(app, traffic, feed, pushes):
    cfg = app.config("cycle.toml", f"net_pcap_in,rx_pcap={traffic},infinite_rx=1", "net_null_out,no-rx=1")
    app.start_dataplane(cfg)
    app.start_control(cfg)
    _, st, _ = app.ctl_cmd("status")
    gen = st["generation"]["published"]
    slow, bad_gen, acked = [], [], 0
    for i in range(pushes):
        if i % 2 == 0:
            _, r, _ = app.ctl_cmd("feed", "push", feed, "--name", "apt", "--advisory", "941/CATTT-NCSC",
                                  "--group", "Mustang Panda")
        else:
            _, r, _ = app.ctl_cmd("feed", "remove", "apt")
        acked += 1
        if r["enforce_seconds"] >= 1.0 or not r["dataplane_running"]:
            slow.append((i, r["enforce_seconds"]))
        if r["generation"] != gen + 1:
            bad_gen.append((i, r["generation"], gen + 1))
        gen = r["generation"]
    check("push-cycle: every push and removal acknowledged", acked == pushes, f"{acked} of {pushes}")
    check("push-cycle: each enforced by every worker within 1 s", not slow, f"late: {slow[:5]}")
    check("push-cycle: generations consecutive", not bad_gen, f"{bad_gen[:5]}")
    _, st, _ = app.ctl_cmd("status")
    check("push-cycle: status shows the worker alive on the last generation",
          st["workers"] and st["workers"][0]["alive"] and st["workers"][0]["generation"] == gen,
          json.dumps(st["workers"]))
    check("push-cycle: status shows both ports up", len(st["ports"]) == 2 and all(p["up"] for p in st["ports"]),
          json.dumps(st["ports"]))
    final = app.stop_dataplane()
    w = accounting_ok("push-cycle", final)
    check("push-cycle: the worker switched generations for every push", w["switches"] >= pushes,
          f"{w['switches']} switches")
    check("push-cycle: the feed's IoCs were dropped while enforced", w["counters"]["dropped_packets"] > 0)
    return cfg


def malformed_feed(app, cfg, work):
    app.start_dataplane(cfg)
    app.ctl_cmd("feed", "push", os.path.join(work, "traffic", "feed.txt"), "--name", "good")
    _, before, _ = app.ctl_cmd("status")
    bad = os.path.join(work, "bad.txt")
    with open(bad, "w") as f:
        f.write("# advisory\n198.51.100.7\n300.1.2.3\n")
    rc, reply, err = app.ctl_cmd("feed", "push", bad, "--name", "good", check=False)
    check("malformed-feed: refused", rc != 0 and not reply.get("ok"), f"exit {rc}")
    check("malformed-feed: the error names file and line", f"{bad}:3:" in reply.get("error", ""), reply.get("error", ""))
    _, after, _ = app.ctl_cmd("status")
    check("malformed-feed: the live table did not change",
          # What must not change: the generation, its checksum and entries (never a clock).
          after["generation"] == before["generation"] and
          {k: after["table"][k] for k in ("ipv4", "ipv6", "domains")} ==
          {k: before["table"][k] for k in ("ipv4", "ipv6", "domains")},
          f"{before['generation']} -> {after['generation']}")
    _, shown, _ = app.ctl_cmd("feed", "show", "good")
    check("malformed-feed: the stored feed is the good one", shown["feed"]["iocs"] > 10, str(shown["feed"]["iocs"]))


def guards(app, work):
    risky = os.path.join(work, "risky.txt")
    with open(risky, "w") as f:
        f.write("198.51.100.9\n127.0.0.1\n10.1.2.0/24\n")
    _, before, _ = app.ctl_cmd("status")
    rc, reply, _ = app.ctl_cmd("feed", "push", risky, "--name", "risky", check=False)
    err = reply.get("error", "")
    check("guards: loopback and an own network are refused, with file, line and --force",
          rc != 0 and f"{risky}:2:" in err and f"{risky}:3:" in err and "--force" in err, err)
    _, after, _ = app.ctl_cmd("status")
    check("guards: a refused feed leaves the live table unchanged", after["generation"] == before["generation"])
    rc, reply, _ = app.ctl_cmd("feed", "push", risky, "--name", "risky", "--force", "127.0.0.1",
                               "--force", "10.1.2.0/24", check=False)
    check("guards: --force per entry lets the operator enforce them", rc == 0 and reply.get("ok"), json.dumps(reply)[:300])
    small = os.path.join(work, "small.txt")
    with open(small, "w") as f:
        f.write("198.51.100.9\n")
    big = os.path.join(work, "traffic", "feed.txt")
    app.ctl_cmd("feed", "push", big, "--name", "shrinks")
    rc, reply, _ = app.ctl_cmd("feed", "push", small, "--name", "shrinks", check=False)
    check("guards: an update that loses most IoCs is held for confirmation",
          rc != 0 and "held for confirmation" in reply.get("error", ""), reply.get("error", ""))
    rc, reply, _ = app.ctl_cmd("feed", "push", small, "--name", "shrinks", "--confirm", check=False)
    check("guards: --confirm applies it", rc == 0 and reply["feed"]["iocs"] == 1, json.dumps(reply)[:300])
    for name in ("risky", "shrinks"):
        app.ctl_cmd("feed", "remove", name)


def kill_control(app, cfg, work, rounds=20):
    feed = os.path.join(work, "traffic", "feed.txt")
    acked = set()
    rng = random.Random(7)
    dp_pid = app.dp.pid
    # The kill lands before, during and after the publish: the window scales with how long a
    # push takes on this machine (a loaded one takes longer), measured once here.
    t = time.time()
    app.ctl_cmd("feed", "push", feed, "--name", "k-timing")
    window = max(0.2, 1.5 * (time.time() - t))
    for i in range(rounds):
        push = subprocess.Popen([app.bins.iocctl, "--socket", app.sock, "feed", "push", feed, "--name", f"k{i}", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(rng.uniform(0, window))
        app.kill("ctl")
        out, _ = push.communicate(timeout=30)
        try:
            if json.loads(out).get("ok"):
                acked.add(f"k{i}")
        except (json.JSONDecodeError, ValueError):
            pass
        app.start_control(cfg)
        _, st, _ = app.ctl_cmd("status")
        if not st["dataplane"]["running"] or st["dataplane"]["pid"] != dp_pid:
            return check("kill-control: the dataplane survived", False, json.dumps(st["dataplane"]))
    _, listed, _ = app.ctl_cmd("feed", "list")
    names = {f["name"] for f in listed["feeds"]}
    check("kill-control: the dataplane kept running through 20 kills", app.dp.poll() is None)
    check("kill-control: every acknowledged feed recovered", acked and acked <= names,
          f"{len(acked)} acknowledged, missing {sorted(acked - names)}")
    _, st, _ = app.ctl_cmd("status")
    g = st["generation"]
    check("kill-control: the dataplane runs the published generation", g["active"] == g["published"], json.dumps(g))
    rx1, _ = dp_rx(app)
    time.sleep(0.5)
    rx2, _ = dp_rx(app)
    check("kill-control: still forwarding", rx2 > rx1, f"{rx1} -> {rx2}")
    _, r, _ = app.ctl_cmd("feed", "remove", "k0") if "k0" in names else app.ctl_cmd("feed", "push", feed, "--name", "k0")
    check("kill-control: the next publish continues from the current generation",
          r["generation"] == g["published"] + 1, f"{g['published']} -> {r['generation']}")
    final = app.stop_dataplane()
    accounting_ok("kill-control", final)


def dp_rx(app):
    _, st, _ = app.ctl_cmd("status")
    w = st["workers"]
    return (w[0]["rx_packets"] if w else 0), st


def kill_dataplane(app, work, traffic_dir):
    traffic = os.path.join(traffic_dir, "traffic.pcap")
    cfg = app.config("live.toml", f"net_pcap_in,rx_pcap={traffic},infinite_rx=1", "net_null_out,no-rx=1")
    app.start_dataplane(cfg)
    if app.ctl is None or app.ctl.poll() is not None:
        app.start_control(cfg)
    for name in [f["name"] for f in app.ctl_cmd("feed", "list")[1]["feeds"]]:
        app.ctl_cmd("feed", "remove", name)
    app.ctl_cmd("feed", "push", os.path.join(traffic_dir, "feed.txt"), "--name", "apt")
    app.kill("dp")
    app.kill("ctl")
    passed = os.path.join(work, "passed.pcap")
    finite = app.config("finite.toml", f"net_pcap_in,rx_pcap={traffic}", f"net_pcap_out,tx_pcap={passed}")
    app.start_dataplane(finite)
    time.sleep(3)  # the finite capture is consumed in well under a second
    app.dp.send_signal(signal.SIGTERM)
    app.dp.wait(timeout=30)
    r = subprocess.run([PY, os.path.join(HERE, "check_verdicts.py"), "--label", "kill-dataplane", traffic, passed, "-",
                        os.path.join(traffic_dir, "truth.tsv")], capture_output=True, text=True)
    check("kill-dataplane: restarted without the control process, the last table is enforced from the first packet",
          r.returncode == 0, (r.stdout + r.stderr)[-1500:])


def main():
    bins = Binaries.from_argv(sys.argv)
    pushes = int(sys.argv[sys.argv.index("--pushes") + 1]) if "--pushes" in sys.argv else 200

    def body(checks, work):
        global check
        check = checks
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "11", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        app = Appliance(bins, work)
        cfg = push_cycle(app, os.path.join(traffic_dir, "traffic.pcap"), os.path.join(traffic_dir, "feed.txt"), pushes)
        malformed_feed(app, cfg, work)
        guards(app, work)
        kill_control(app, cfg, work)
        kill_dataplane(app, work, traffic_dir)
    sys.exit(run_suite("appliance test", body, "iocgate-appliance."))


if __name__ == "__main__":
    main()
