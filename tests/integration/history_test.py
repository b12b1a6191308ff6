#!/usr/bin/python3
"""The appliance's memory of past flows, on the real dataplane and control processes.

usage: history_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]

Checks:
  hunt      gen_traffic.py --history (DNS, TLS, HTTP, plain TCP/UDP, ICMP, fragments, IPv4 and
            IPv6, VLAN tags, and listed names resolved and then contacted without SNI, by the
            host that asked and by hosts that never asked) replayed through the appliance with
            no feed; the control process restarted once; then the advisory pushed: the push's
            line and `iocctl hunt --feed` list exactly the internal hosts, and the contacts
            (host, how, IoC, what was seen, resolved from), of the traffic's hunt_truth.json;
            `iocctl hunt FILE` with the same IoCs as MISP CSV and STIX finds the same; every
            output format names every host.
  restart   the history after a control restart holds every record the dataplane made.
  kill -9   a second replay, the control process killed -9 right after it: on restart the
            records stored plus those counted lost equal the records the dataplane made, and
            the first replay's contacts are all still found.
  bound     a live capture fills a history bounded by [history] max_bytes: the files on disk
            and iocgate_history_bytes never exceed it, the oldest partitions are dropped and
            counted, and the newest flows are still hunted.
Ends with "N passed, M failed".
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, free_port, run_suite, wait_for  # noqa: E402

check = None


def metrics(port):
    """/metrics as {name{labels}: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


class HistoryRig(Appliance):
    def __init__(self, bins, work, traffic_dir, instance=None):
        super().__init__(bins, work, instance)
        self.traffic_dir = traffic_dir
        self.traffic = os.path.join(traffic_dir, "traffic.pcap")
        self.port = free_port()

    def cfg(self, name, live=False, **history):
        h = {"idle_timeout_s": 1, "active_timeout_s": 300}
        h.update(history)
        if live:
            inside, outside = f"net_pcap_in,rx_pcap={self.traffic},infinite_rx=1", "net_null_out,no-rx=1"
        else:
            inside, outside = f"net_pcap_in,rx_pcap={self.traffic}", f"net_pcap_out,tx_pcap={self.work}/passed.pcap"
        return self.config(name, inside, outside, history=h, metrics={"listen": f"127.0.0.1:{self.port}"})

    def m(self):
        return metrics(self.port)

    def replay(self, cfg):
        """The finite capture through the dataplane; its stop makes the record of every flow
        still open. Returns the records the dataplane made in this run."""
        self.start_dataplane(cfg)
        time.sleep(3)  # the capture is consumed in well under a second
        final = self.stop_dataplane()
        made = int(self.m().get("iocgate_dataplane_flow_records_total", 0))
        lost = int(self.m().get("iocgate_dataplane_flow_records_lost_total", 0))
        check("replay: the dataplane's final accounting line is there", final is not None)
        check("replay: no flow record lost to a full ring", lost == 0, lost)
        return made

    def stored(self):
        return int(self.m().get("iocgate_history_records", -1))

    def hunt(self, *args):
        rc, out, err = self.ctl_cmd("hunt", *args, "--format", "json", as_json=False, check=False)
        if rc != 0:
            raise RuntimeError(f"iocctl hunt {' '.join(args)}: exit {rc}: {out}{err}")
        return json.loads(out)


def contacts(hunt, with_feed=False):
    s = set()
    for h in hunt["hosts"]:
        for c in h["contacts"]:
            t = (h["host"], c["how"], c["ioc"], c["seen"], c.get("resolved_from", ""))
            s.add(t + ((c["feed"],) if with_feed else ()))
    return s


def compare(label, got, want):
    missing, extra = sorted(want - got), sorted(got - want)
    check(f"{label}: exactly the truth's {len(want)} contacts", not missing and not extra,
          f"missing {missing[:8]} extra {extra[:8]}")


def hunt_phase(rig, work):
    truth = json.load(open(os.path.join(rig.traffic_dir, "hunt_truth.json")))
    want = {(t["host"], t["how"], t["ioc"], t["seen"], t["resolved_from"]) for t in truth}
    hosts = {t["host"] for t in truth}
    ways = {t["how"] for t in truth}
    check("truth: every way of contact is in the traffic", ways == {"address", "dns", "sni", "http-host", "resolved"}, ways)
    # Hosts that only resolved a listed name (or did not even do that where the appliance sees
    # it) and then connected to its address: found by the answer alone.
    only_resolved = {t["host"] for t in truth if t["how"] == "resolved"} - {t["host"] for t in truth if t["how"] != "resolved"}
    check("truth: hosts known only by a resolved address", len(only_resolved) >= 4, sorted(only_resolved))

    cfg = rig.cfg("finite.toml")
    rig.start_control(cfg)
    made = rig.replay(cfg)
    check("replay: flow records made", made > 500, made)
    check("history: every record the dataplane made is stored", wait_for(lambda: rig.stored() == made, 20),
          f"{rig.stored()} of {made}")
    rig.stop("ctl")
    rig.start_control(cfg)
    check("restart: the history holds them all after a control restart", rig.stored() == made, f"{rig.stored()} of {made}")
    m = rig.m()
    check("metrics: history families on /metrics",
          all(k in m for k in ("iocgate_history_bytes", "iocgate_history_partitions",
                               'iocgate_history_lost_records_total{reason="crash"}',
                               'iocgate_history_dropped_records_total{reason="size"}')))

    feed = os.path.join(rig.traffic_dir, "feed.txt")
    rc, out, err = rig.ctl_cmd("feed", "push", feed, "--name", "adv", "--advisory", "ADV-1", as_json=False, check=False)
    line = next((l for l in out.splitlines() if "internal host" in l), "")
    # The history is minutes old, not 30 days: the line says where it starts.
    expect = re.compile(re.escape(f"{len(hosts)} internal hosts contacted these IoCs in the last 30 days") +
                        r" \(the flow history starts \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)" +
                        re.escape("; `iocctl hunt --feed adv` lists them") + "$")
    check("push: published (the dataplane is down: exit 4)", rc == 4, f"{rc} {err[-300:]}")
    check("push: the look-back line counts the truth's hosts", expect.match(line), f"{line!r}")

    h = rig.hunt("--feed", "adv")
    compare("hunt --feed adv", contacts(h), want)
    check("hunt --feed adv: the host count", h["host_count"] == len(hosts), h["host_count"])
    by_how = {}
    for c in contacts(h):
        by_how.setdefault(c[1], set()).add(c[0])
    for how in sorted(ways):
        want_hosts = {t["host"] for t in truth if t["how"] == how}
        check(f"hunt: the hosts by {how}", by_how.get(how, set()) == want_hosts,
              f"missing {sorted(want_hosts - by_how.get(how, set()))[:5]} extra {sorted(by_how.get(how, set()) - want_hosts)[:5]}")
    for name in ("feed.csv", "feed.stix.json"):
        hf = rig.hunt(os.path.join(rig.traffic_dir, name))
        compare(f"hunt {name}", contacts(hf), want)
    # The period: nothing before the replay, everything in the last hour.
    none = rig.hunt("--feed", "adv", "--since", "30d", "--until", "2h")
    check("hunt --until 2h ago: nothing (the traffic is newer)", none["host_count"] == 0, none["host_count"])
    for fmt in ("text", "csv", "html"):
        rc, out, err = rig.ctl_cmd("hunt", "--feed", "adv", "--format", fmt, as_json=False, check=False)
        check(f"hunt --format {fmt}: names every host", rc == 0 and all(x in out for x in hosts),
              f"rc {rc}, {sum(1 for x in hosts if x not in out)} missing")
    rc, out, err = rig.ctl_cmd("hunt", "--feed", "no-such-feed", as_json=False, check=False)
    check("hunt of an unknown feed: refused, naming it", rc == 1 and "no-such-feed" in err, err[-200:])
    rc, _, err = rig.ctl_cmd("hunt", "--feed", "adv", "--since", "yesterday-ish", as_json=False, check=False)
    check("hunt --since nonsense: refused, naming the option", rc == 1 and "--since" in err, err[-200:])
    return want, made


def kill_phase(rig, want, made_before):
    cfg = rig.cfg("finite.toml")
    made = rig.replay(cfg)
    # Right after the dataplane's last records: the control process has taken them and not yet
    # written them all (a block is written every 2 s).
    rig.kill("ctl")
    rig.start_control(cfg)
    m = rig.m()
    lost = int(m.get('iocgate_history_lost_records_total{reason="crash"}', 0))
    total = made_before + made
    check("kill -9: records stored + counted lost = records made",
          wait_for(lambda: rig.stored() + lost == total, 20), f"stored {rig.stored()} + lost {lost} vs made {total}")
    print(f"kill -9: {lost} records lost and counted, {rig.stored()} stored of {total}")
    h = rig.hunt("--feed", "adv")
    got = contacts(h)
    check("kill -9: every contact of the first replay is still found", want <= got,
          f"missing {sorted(want - got)[:5]}")
    log = open(rig.ctl_log, errors="replace").read()
    if lost:
        check("kill -9: the control log says what was lost", f"{lost} flow records were lost" in log)
    # The second replay ran with the advisory enforced: the connections without SNI to the
    # addresses its names resolved to were caught live, as "resolved" from the name.
    seen = set()
    for line in open(os.path.join(rig.state, "events.log"), errors="replace"):
        e = json.loads(line)
        if e.get("matched") == "resolved":
            seen.add((e["host"], e["server"], e.get("seen", "")))
    resolved = {(c[0], c[3], c[4]) for c in want if c[1] == "resolved"}
    check("live: every connection to a resolved address was matched as resolved from its name",
          resolved <= seen, f"missing {sorted(resolved - seen)[:5]}")


def bound_phase(bins, work, traffic_dir):
    rig = HistoryRig(bins, os.path.join(work, "bound"), traffic_dir, instance=f"b{os.getpid()}")
    os.makedirs(rig.work, exist_ok=True)
    os.chown(rig.work, os.stat(work).st_uid, os.stat(work).st_gid)
    limit = 2 << 20
    cfg = rig.cfg("live.toml", live=True, max_bytes=limit)
    rig.start_control(cfg)
    rig.start_dataplane(cfg)
    hist = os.path.join(rig.state, "history")
    over, peak, dropped = [], 0, 0
    deadline = time.time() + 25
    while time.time() < deadline:
        m = rig.m()
        on_disk = sum(os.path.getsize(os.path.join(hist, f)) for f in os.listdir(hist)) if os.path.isdir(hist) else 0
        gauge = int(m.get("iocgate_history_bytes", 0))
        peak = max(peak, on_disk)
        if on_disk > limit or gauge > limit:
            over.append((on_disk, gauge))
        dropped = int(m.get('iocgate_history_dropped_partitions_total{reason="size"}', 0))
        if dropped >= 8:
            break
        time.sleep(0.2)
    m = rig.m()
    dropped_records = int(m.get('iocgate_history_dropped_records_total{reason="size"}', 0))
    print(f"bound: peak {peak} bytes on disk of {limit}; {dropped} partitions, {dropped_records} records dropped; "
          f"{int(m.get('iocgate_dataplane_flow_records_total', 0))} records made, "
          f"{int(m.get('iocgate_dataplane_flow_records_lost_total', 0))} lost to full rings")
    check("bound: the history never held more than max_bytes", not over, over[:3])
    check("bound: the oldest partitions were dropped for size, and counted", dropped > 0, dropped)
    check("bound: the dropped records are counted", dropped_records > 0)
    rig.ctl_cmd("feed", "push", os.path.join(traffic_dir, "feed.txt"), "--name", "adv", as_json=False, check=False)
    h = rig.hunt("--feed", "adv", "--since", "10m")
    check("bound: the newest flows are still hunted", h["host_count"] > 0, h["host_count"])
    rig.stop("dp")
    rig.stop("ctl")


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(checks, work):
        global check
        check = checks
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "5", "--history", "--out", traffic_dir],
                       check=True, stdout=subprocess.DEVNULL)
        rig = HistoryRig(bins, work, traffic_dir)
        want, made = hunt_phase(rig, work)
        kill_phase(rig, want, made)
        rig.stop("ctl")
        bound_phase(bins, work, traffic_dir)
    sys.exit(run_suite("history test", body, "iocgate-history."))


if __name__ == "__main__":
    main()
