#!/usr/bin/python3
"""IPFIX export to a real collector: Debian's nfcapd (nfdump package) receives the appliance's
flow records over UDP while generated traffic (gen_traffic.py: TCP, UDP, ICMP, DNS, TLS, HTTP,
IPv4 and IPv6, VLAN tags) is replayed; its files, read back with nfdump, must hold the same
flows as the appliance's own history: the same 5-tuples, start and end times, and packets and
bytes in both directions, each flow once.

usage: ipfix_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE] [--dump HISTORY_DUMP]
Ends with "N passed, M failed".
"""
import collections
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Binaries, free_port, run_suite, wait_for  # noqa: E402
from history_test import HistoryRig  # noqa: E402

check = None


def nfdump_flows(flow_dir):
    """Every flow nfdump reads from the directory (its JSON output: objects separated by
    commas), times in UTC."""
    r = subprocess.run(["nfdump", "-R", flow_dir, "-o", "json", "-N", "-q"], capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC"))
    if r.returncode != 0:
        raise RuntimeError("nfdump: " + r.stderr[-500:])
    text = r.stdout.strip().rstrip(",")
    flows = json.loads(text if text.startswith("[") else "[" + text + "]")
    return flows, r.stdout


def ms_of(text):
    """nfdump's "2026-12-01T11:40:58.199" (UTC) as milliseconds since the epoch."""
    t = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    return int(round(t.timestamp() * 1000))


def key_of_nf(f):
    src = f.get("src4_addr") or f.get("src6_addr")
    dst = f.get("dst4_addr") or f.get("dst6_addr")
    return (int(f["proto"]), src, int(f.get("src_port", 0)), dst, int(f.get("dst_port", 0)))


def main():
    bins = Binaries.from_argv(sys.argv)
    dump = sys.argv[sys.argv.index("--dump") + 1] if "--dump" in sys.argv else os.path.join(
        os.path.dirname(bins.iocgate), "..", "tests", "control", "history_dump")

    def body(checks, work):
        global check
        check = checks
        import history_test
        history_test.check = checks
        if not check("nfcapd and nfdump are installed (Debian package nfdump)", shutil.which("nfcapd") and shutil.which("nfdump")):
            return
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "9", "--history", "--out", traffic_dir],
                       check=True, stdout=subprocess.DEVNULL)
        flow_dir = os.path.join(work, "nfcapd")
        os.makedirs(flow_dir)
        port = free_port()
        rig = HistoryRig(bins, work, traffic_dir)
        nfcapd = rig.spawn("nfcapd", ["nfcapd", "-w", flow_dir, "-b", "127.0.0.1", "-p", str(port), "-t", "3600"],
                           log=os.path.join(work, "nfcapd.log"))
        time.sleep(1)
        check("nfcapd: listening", nfcapd.poll() is None, Appliance_tail(work))
        cfg = rig.cfg("finite.toml", ipfix=f"127.0.0.1:{port}")
        rig.start_control(cfg)
        made = rig.replay(cfg)
        check("history: every record stored", wait_for(lambda: rig.stored() == made, 20), f"{rig.stored()} of {made}")
        m = rig.m()
        sent = int(m.get("iocgate_ipfix_records_total", 0))
        rig.stop("ctl")  # sends what is buffered
        m_errors = int(m.get("iocgate_ipfix_send_errors_total", 0))
        check("ipfix: no send errors", m_errors == 0, m_errors)
        time.sleep(1)
        nfcapd.send_signal(signal.SIGTERM)  # closes and names its file
        nfcapd.wait(timeout=30)
        flows, raw = nfdump_flows(flow_dir)
        rows = [json.loads(l) for l in subprocess.run([dump, os.path.join(rig.state, "history")], capture_output=True,
                                                      text=True, check=True).stdout.splitlines()]
        print(f"{len(rows)} flows in the history, {len(flows)} read back by nfdump, {sent} exported")
        check("nfdump reads as many flows as the history holds", len(flows) == len(rows) == made, f"{len(flows)} vs {len(rows)}")
        ours = collections.Counter()
        for r in rows:
            ours[((r["proto"], r["client"], r["client_port"], r["server"], r["server_port"]),
                  r["first_ms"], r["last_ms"], r["packets"][0], r["bytes"][0], r["packets"][1], r["bytes"][1])] += 1
        theirs = collections.Counter()
        for f in flows:
            theirs[(key_of_nf(f), ms_of(f["first"]), ms_of(f["last"]), int(f["in_packets"]), int(f["in_bytes"]),
                    int(f.get("out_packets", 0)), int(f.get("out_bytes", 0)))] += 1
        missing, extra = ours - theirs, theirs - ours
        check("nfdump's flows are the history's: 5-tuple, times, packets and bytes both ways",
              not missing and not extra, f"missing {list(missing)[:3]} extra {list(extra)[:3]}\n{raw[:1500]}")
        v6 = sum(1 for r in rows if ":" in r["client"])
        check("both IPv4 and IPv6 flows were exported", v6 > 0 and v6 < len(rows), v6)
        tagged = collections.Counter((key_of_nf(f), int(f.get("src_vlan", 0))) for f in flows)
        ours_tagged = collections.Counter(((r["proto"], r["client"], r["client_port"], r["server"], r["server_port"]),
                                           r["vlan"]) for r in rows)
        check("VLAN ids as in the history", tagged == ours_tagged and any(v for _, v in tagged), "")
        log = open(os.path.join(work, "nfcapd.log"), errors="replace").read()
        check("nfcapd: no sequence errors, no bad packets", "Sequence Errors: 0, Bad Packets: 0" in log, log[-400:])

    sys.exit(run_suite("ipfix test", body, "iocgate-ipfix."))


def Appliance_tail(work):
    p = os.path.join(work, "nfcapd.log")
    return open(p, errors="replace").read()[-500:] if os.path.exists(p) else ""


if __name__ == "__main__":
    main()
