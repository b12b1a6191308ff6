#!/usr/bin/python3
"""The XDP enforcement path on a real network path: real clients and servers in network
namespaces on either side of a Linux bridge whose two veth ports run `iocgate-xdp` in native
mode, driven by `iocgate control` and `iocctl` as an operator would.

usage: netns_xdp_test.py IOCGATE IOCCTL IOCGATE-XDP [--keep]

    ns <P>-in (inside hosts)        ns <P>-app (the appliance)             ns <P>-out (servers)
    10.81.0.2/24, fd81::2/64                                           10.81.0.1/24, fd81::1/64
    dnsmasq, nginx (inbound)        +-------- bridge <P>br --------+    203.0.113.{10,53,66,...},
    dig, curl, openssl  <P>i1 ---- <P>i0 (XDP)          (XDP) <P>o0 ---- <P>o1   2001:db8:8x::
                                    +------ iocgate-xdp -----------+    on lo: dnsmasq, nginx

The program judges what arrives on each bridge port, so both directions are judged.

Checks (each PASS/FAIL, then "N passed, M failed"; exit 1 on any failure):
  native XDP attaches to both veths and sees their traffic; listed IPv4/IPv6 hosts and
  prefixes fail outbound and inbound while their neighbours just outside work; a listed DNS
  name (and its subdomains) gets no answer over UDP while look-alikes do; a push while a
  download and request loops run is enforced within 1 s and breaks neither; the event log,
  the review report, `iocctl status` and the XDP counters agree with what the clients did;
  a clean stop detaches the program, a crash with on_crash = "detach" leaves none, with
  "keep" the program stays enforcing and the next start replaces it; a foreign XDP program
  is refused (on_load_failure = "link-down" then takes the ports down).
Namespaces, veths, servers and shared memory are removed on every exit.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import Appliance, Binaries, Checks, make_work, wait_for  # noqa: E402
from netns_bed import (Loop, address_hosts, curl, dig, mount_bpffs, remove_namespaces, run_bed, s_client, sh,  # noqa: E402
                       start_servers)

PREFIX = "ixn"
PID = os.getpid()
P = f"{PREFIX}{PID}"
NS_IN, NS_OUT, NS_APP = f"{P}-in", f"{P}-out", f"{P}-app"
I0, I1, O0, O1, BR = f"{P}i0", f"{P}i1", f"{P}o0", f"{P}o1", f"{P}br"
INSTANCE = f"xnetns{PID}"

INSIDE_HOST, GATEWAY = "10.81.0.2", "10.81.0.1"
WEB, DNS = "203.0.113.10", "203.0.113.53"
BAD_IP, NEAR_IP = "203.0.113.66", "203.0.113.67"             # listed host, its neighbour
PFX_IN, PFX_EDGE, PFX_BELOW = "203.0.113.130", "203.0.113.255", "203.0.113.127"  # 203.0.113.128/25
GOOD_CLIENT, LATE_IP = "203.0.113.20", "203.0.113.88"
BAD_IP6, NEAR_IP6, WEB6 = "2001:db8:81::66", "2001:db8:81::67", "2001:db8:81::10"
PFX6_IN, PFX6_OUT = "2001:db8:82:ff::10", "2001:db8:83::10"  # 2001:db8:82::/48
OUT_ADDRS = [WEB, DNS, BAD_IP, NEAR_IP, PFX_IN, PFX_EDGE, PFX_BELOW, GOOD_CLIENT, LATE_IP]
OUT_ADDRS6 = [WEB6, BAD_IP6, NEAR_IP6, PFX6_IN, PFX6_OUT]
NAMES = ["good.example", "evil.example", "www.evil.example", "notevil.example", "evil.example.org",
         "late.example", "mirrored.example"]

check = Checks()


def netns_link(dev):
    return sh("ip", "-d", "link", "show", dev, ns=NS_APP, check_rc=False).stdout


def xdp_attached(dev):
    """'native', 'generic' or None, as the kernel reports the interface."""
    out = netns_link(dev)
    if "xdpgeneric" in out:
        return "generic"
    return "native" if re.search(r"\bxdp\b|prog/xdp", out) else None


def clean_leftovers():
    for line in sh("ip", "netns", "list", check_rc=False).stdout.splitlines():
        m = re.match(rf"^({PREFIX}(\d+)-(in|out|app))\b", line)
        if m and not os.path.exists(f"/proc/{m.group(2)}"):
            remove_namespaces([m.group(1)])


def build_bed():
    for ns in (NS_IN, NS_OUT, NS_APP):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    sh("ip", "link", "add", BR, "type", "bridge", ns=NS_APP)
    for root, peer, ns in ((I0, I1, NS_IN), (O0, O1, NS_OUT)):
        sh("ip", "link", "add", root, "netns", NS_APP, "type", "veth", "peer", "name", peer, "netns", ns)
        sh("sysctl", "-qw", f"net.ipv6.conf.{root}.disable_ipv6=1", ns=NS_APP)
        sh("ip", "link", "set", root, "master", BR, "up", ns=NS_APP)
        sh("ip", "link", "set", peer, "up", ns=ns)
    sh("sysctl", "-qw", f"net.ipv6.conf.{BR}.disable_ipv6=1", ns=NS_APP)
    sh("ip", "link", "set", BR, "up", ns=NS_APP)
    address_hosts(NS_IN, I1, NS_OUT, O1, INSIDE_HOST, GATEWAY, DNS, OUT_ADDRS, OUT_ADDRS6, "2001:db8::/32")


class XdpBed(Appliance):
    def __init__(self, args, work):
        super().__init__(Binaries(args.iocgate, args.iocctl), work, instance=INSTANCE)
        self.xdp_exe = os.path.abspath(args.xdp)
        self.xdp_log = os.path.join(work, "xdp.log")
        self.xdp = None

    def start_servers(self):
        out_answers = [f"/{n}/{WEB}" for n in NAMES if n != "late.example"] + [f"/late.example/{LATE_IP}"]
        start_servers(self, NS_IN, NS_OUT, INSIDE_HOST, DNS, NAMES, out_answers)

    def xdp_config(self, name="iocgate.toml", **xdp):
        sections = {"interfaces": [I0, O0], "mode": "native", "on_crash": "detach", "flow_idle_seconds": 3600}
        sections.update(xdp)
        return super().config(name, "", "", xdp=sections, network={"internal": ["10.81.0.0/24", "fd81::/64"]})

    def start_xdp(self, cfg, wait_text="iocgate xdp: enforcing on"):
        mark = self.log_size(self.xdp_log)
        self.xdp = self.spawn("xdp", [self.xdp_exe, "--config", cfg], ns=NS_APP, log=self.xdp_log)
        if wait_text:
            self.wait_log(self.xdp_log, wait_text, self.xdp, offset=mark)
        return mark

    def stop_xdp(self, sig=signal.SIGTERM):
        """Stops iocgate-xdp; returns its final accounting (SIGTERM) or None."""
        if self.xdp and self.xdp.poll() is None:
            self.xdp.send_signal(sig)
            self.xdp.wait(timeout=30)
        final = [l for l in open(self.xdp_log, errors="replace") if "iocgate xdp: final " in l]
        return json.loads(final[-1].split("final ", 1)[1]) if final and sig == signal.SIGTERM else None

    def iocctl(self, *args, check_rc=True):
        return self.ctl_cmd(*args, check=check_rc)[1]

    def cleanup(self):
        super().cleanup()
        remove_namespaces([NS_IN, NS_OUT, NS_APP])


def event_lines(bed):
    path = os.path.join(bed.state, "events.log")
    if not os.path.exists(path):
        return []
    out = []
    for l in open(path, errors="replace"):
        try:
            j = json.loads(l)
        except json.JSONDecodeError:
            continue
        if j.get("type") == "match":
            out.append(j)
    return out


def new_events(bed, before, want, timeout=5):
    """The event lines after the first `before`, once at least `want` more arrived."""
    wait_for(lambda: len(event_lines(bed)) >= before + want, timeout, 0.1)
    time.sleep(0.3)  # and nothing more behind them
    return event_lines(bed)[before:]


def check_addresses(bed):
    """Listed hosts and prefixes fail in both directions; the addresses around them work."""
    attempts = {}
    for addr, label in ((BAD_IP, BAD_IP), (PFX_IN, "203.0.113.128/25"), (PFX_EDGE, "203.0.113.128/25"),
                        (f"[{BAD_IP6}]", BAD_IP6), (f"[{PFX6_IN}]", "2001:db8:82::/48")):
        ok, d = curl(NS_IN, f"http://{addr}/", max_time=2)
        check(f"outbound: HTTP to listed {addr} ({label}) fails", not ok, d[-60:])
        attempts[label] = attempts.get(label, 0) + 1
    for addr in (NEAR_IP, PFX_BELOW, WEB, f"[{NEAR_IP6}]", f"[{PFX6_OUT}]", f"[{WEB6}]"):
        ok, d = curl(NS_IN, f"http://{addr}/")
        check(f"outbound: HTTP to unlisted {addr} works", ok, d[-60:])
    ok, d = curl(NS_IN, f"https://{BAD_IP}/", max_time=2)
    check("outbound: HTTPS to listed 203.0.113.66 fails", not ok, d[-60:])
    attempts[BAD_IP] += 1
    for src, label in ((BAD_IP, BAD_IP), (PFX_IN, "203.0.113.128/25"), (BAD_IP6, BAD_IP6), (PFX6_IN, "2001:db8:82::/48")):
        target = f"http://[fd81::2]/" if ":" in src else f"http://{INSIDE_HOST}/"
        ok, d = curl(NS_OUT, target, "--interface", src, max_time=2)
        check(f"inbound: HTTP from listed {src} fails", not ok, d[-60:])
        attempts[label] = attempts.get(label, 0) + 1
    for src in (NEAR_IP, PFX_BELOW, GOOD_CLIENT, NEAR_IP6, PFX6_OUT):
        target = f"http://[fd81::2]/" if ":" in src else f"http://{INSIDE_HOST}/"
        ok, d = curl(NS_OUT, target, "--interface", src)
        check(f"inbound: HTTP from unlisted {src} works", ok, d[-60:])
    cn = s_client(NS_IN, BAD_IP, "good.example")
    check("outbound: openssl s_client to listed 203.0.113.66 gets no certificate", cn is None, f"CN {cn}")
    attempts[BAD_IP] += 1
    cn = s_client(NS_IN, NEAR_IP, "good.example")
    check("outbound: openssl s_client to 203.0.113.67 gets its certificate", cn == "good.example", f"CN {cn}")
    return attempts


def check_dns(bed):
    """A listed name and its subdomains get no answer over UDP, both ways; look-alikes do."""
    blocked = 0
    for ns, server, bind in ((NS_IN, DNS, None), (NS_OUT, INSIDE_HOST, GOOD_CLIENT)):
        label = "outbound" if ns == NS_IN else "inbound"
        extra = ["-b", bind] if bind else []
        for name in ("evil.example", "www.evil.example", "EVIL.Example"):
            check(f"{label}: DNS query for {name} gets no answer", dig(ns, server, name, *extra) is None)
            blocked += 1
        for name in ("good.example", "notevil.example", "evil.example.org"):
            a = dig(ns, server, name, *extra)
            check(f"{label}: DNS query for look-alike {name} answered", a is not None, f"answer {a}")
    ok, body = curl(NS_IN, "http://good.example/")
    check("outbound: curl http://good.example/ (system resolver) works", ok and "good.example" in body, body[-60:])
    return blocked


def check_l7_left_to_dpdk():
    """Documented: TLS SNI and HTTP Host are the DPDK dataplane's; XDP passes them."""
    ok, body = curl(NS_IN, "https://evil.example/", "--resolve", f"evil.example:443:{WEB}")
    check("SNI: HTTPS with SNI evil.example to an unlisted address passes (XDP judges no SNI, as documented)",
          ok and "evil.example" in body, body[-60:])


class Prober(threading.Thread):
    """UDP probes to LATE_IP every 20 ms (a listener echoes nothing: we watch the XDP
    counter instead); records when the first one was dropped."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()

    def run(self):
        p = subprocess.Popen(["ip", "netns", "exec", NS_IN, "/usr/bin/python3", "-c",
                              "import socket,time,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                              f"while True:\n s.sendto(b'p',('{LATE_IP}',9))\n time.sleep(0.02)\n"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.stop.wait()
        p.kill()
        p.wait()


def check_live_push(bed, work):
    late_feed = os.path.join(work, "late.txt")
    with open(late_feed, "w") as f:
        f.write("# pushed while clients run\nlate.example\n203.0.113.88\n")
    ok, _ = curl(NS_IN, "http://late.example/")
    check("live push: late.example works before its feed is pushed", ok)
    dl_out = os.path.join(work, "download.bin")
    download = subprocess.Popen(["ip", "netns", "exec", NS_IN, "curl", "-sS", "--limit-rate", "4M", "--max-time", "60",
                                 "-o", dl_out, "-w", "%{http_code}", f"http://{WEB}/big"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bed.procs.append(("download", download))
    loops = [Loop(NS_IN, "http://good.example/"), Loop(NS_IN, "https://notevil.example/"),
             Loop(NS_IN, f"http://[{WEB6}]/")]
    for l in loops:
        l.start()
    time.sleep(2)
    t0 = time.time()
    reply = bed.iocctl("feed", "push", late_feed, "--name", "late", "--action", "drop", "--advisory", "XDP-LATE")
    took = time.time() - t0
    check("live push: acknowledged once the XDP path enforces it, within 1 s",
          reply.get("ok") and reply.get("enforced") and took < 1.0,
          f"generation {reply.get('generation')}: switch to enforced {reply.get('enforce_seconds', 0) * 1e3:.1f} ms, "
          f"iocctl {took * 1e3:.0f} ms")
    ok_ip, d2 = curl(NS_IN, f"http://{LATE_IP}/", max_time=2)
    ok_name = dig(NS_IN, DNS, "late.example")
    check("live push: 203.0.113.88 fails right after the push returns", not ok_ip, d2[-60:])
    check("live push: late.example gets no answer right after the push returns", ok_name is None, f"answer {ok_name}")
    time.sleep(2)
    for l in loops:
        l.stop.set()
    for l in loops:
        l.join(timeout=20)
    for l in loops:
        check(f"live push: request loop to {l.url} never failed across the push", l.failed == 0 and l.ok > 5,
              f"{l.ok} ok, {l.failed} failed {l.failures[:2]}")
    out, err = download.communicate(timeout=90)
    got = hashlib.sha256(open(dl_out, "rb").read()).hexdigest() if os.path.exists(dl_out) else ""
    check("live push: a 24 MiB download running across the push completed intact",
          download.returncode == 0 and out.strip() == "200" and got == bed.big_sha,
          f"exit {download.returncode} http {out.strip()} {err.strip()[-80:]}")
    bed.iocctl("feed", "remove", "late")
    ok, d = curl(NS_IN, "http://late.example/")
    check("live push: late.example works again once its feed is removed", ok, d[-60:])


def check_push_latency(bed, work):
    """Time from `iocctl feed push` to the first dropped probe, seen in the program's counter."""
    feed = os.path.join(work, "probe.txt")
    with open(feed, "w") as f:
        f.write("203.0.113.88\n")
    prober = Prober()
    prober.start()
    time.sleep(0.5)
    before = bed.iocctl("status")["workers"][0]["dropped_packets"]
    t0 = time.time()
    reply = bed.iocctl("feed", "push", feed, "--name", "probe", "--action", "drop")
    t_ack = time.time() - t0
    # Probes leave every 20 ms: the counter moves within one probe interval of enforcement.
    got = wait_for(lambda: bed.iocctl("status")["workers"][0]["dropped_packets"] > before, 3, 0.02)
    t_drop = time.time() - t0
    prober.stop.set()
    prober.join(timeout=10)
    check("push latency: a push is enforced by XDP within 1 s (probe traffic dropped)",
          reply.get("enforced") and got and t_drop < 1.0,
          f"iocctl returned after {t_ack * 1e3:.0f} ms, first dropped probe seen within {t_drop * 1e3:.0f} ms "
          "(status polled every 20 ms, counters copied every 100 ms)")
    bed.iocctl("feed", "remove", "probe")


def check_restarts(bed, work):
    # A clean stop takes the program off both ports.
    final = bed.stop_xdp()
    check("stop: a clean stop logs its final accounting", final is not None)
    check("stop: SIGTERM detaches the program from both ports", xdp_attached(I0) is None and xdp_attached(O0) is None,
          netns_link(I0)[:200])
    ok, _ = curl(NS_IN, f"http://{BAD_IP}/")
    check("stop: without iocgate-xdp nothing is filtered (what on_crash = \"detach\" means)", ok)
    st = bed.ctl_cmd("status", check=False)
    check("stop: iocctl status says the path is down (exit 4)", st[0] == 4 and st[1].get("state") == "dataplane-down",
          f"exit {st[0]} {st[1].get('state')}")
    # A crash with on_crash = "detach": the kernel takes the program off with the process.
    cfg = bed.xdp_config()
    bed.start_xdp(cfg)
    check("restart: attached again, enforcing the current generation",
          xdp_attached(I0) == "native" and not curl(NS_IN, f"http://{BAD_IP}/", max_time=2)[0])
    bed.stop_xdp(signal.SIGKILL)
    check("crash (on_crash = detach): no program is left on the ports",
          wait_for(lambda: xdp_attached(I0) is None and xdp_attached(O0) is None, 5, 0.1), netns_link(I0)[:200])
    # on_crash = "keep": the program stays and keeps enforcing; the next start replaces it.
    keep_cfg = bed.xdp_config("keep.toml", on_crash="keep")
    bed.start_xdp(keep_cfg)
    bed.stop_xdp(signal.SIGKILL)
    time.sleep(0.5)
    check("crash (on_crash = keep): the program stays attached", xdp_attached(I0) == "native" and xdp_attached(O0) == "native",
          netns_link(I0)[:200])
    ok, _ = curl(NS_IN, f"http://{BAD_IP}/", max_time=2)
    check("crash (on_crash = keep): the stale program still drops the listed host", not ok)
    st = bed.ctl_cmd("status", check=False)
    check("crash (on_crash = keep): iocctl status reports the path down", st[0] == 4, f"exit {st[0]} {st[1].get('problems')}")
    mark = bed.start_xdp(keep_cfg)
    log = open(bed.xdp_log, errors="replace").read()[mark:]
    check("crash (on_crash = keep): the next start replaces the stale program and says so",
          "REPLACED a stale iocgate XDP program" in log, log[-300:])
    ok, _ = curl(NS_IN, f"http://{NEAR_IP}/")
    check("crash (on_crash = keep): after the restart traffic flows and is judged",
          ok and not curl(NS_IN, f"http://{BAD_IP}/", max_time=2)[0])
    bed.stop_xdp()
    check("stop (on_crash = keep): a clean stop detaches it too", xdp_attached(I0) is None and xdp_attached(O0) is None)


def check_foreign_program(bed):
    """Another XDP program on a port is refused, never replaced; link-down takes the ports down."""
    r = sh("nsenter", f"--net=/var/run/netns/{NS_APP}", "xdp-filter", "load", O0, "--mode", "skb", check_rc=False)
    if not check("foreign: xdp-filter loads on a port (xdp-tools)", r.returncode == 0, (r.stdout + r.stderr)[-200:]):
        return
    cfg = bed.xdp_config("down.toml", on_load_failure="link-down")
    mark = bed.start_xdp(cfg, wait_text=None)
    rc = bed.xdp.wait(timeout=30)
    log = open(bed.xdp_log, errors="replace").read()[mark:]
    check("foreign: iocgate-xdp refuses a port with another XDP program, exit 3",
          rc == 3 and "which is not iocgate's" in log, f"exit {rc}: {log[-300:]}")
    state = {d: sh("ip", "-o", "link", "show", d, ns=NS_APP).stdout for d in (I0, O0)}
    check("foreign: on_load_failure = link-down sets both ports down",
          all("state DOWN" in s or ",UP" not in s.split(">")[0] for s in state.values()), str(state)[:300])
    check("foreign: the other program was left in place", "xdp" in netns_link(O0))
    sh("nsenter", f"--net=/var/run/netns/{NS_APP}", "xdp-filter", "unload", O0, check_rc=False)
    for d in (I0, O0):
        sh("ip", "link", "set", d, "up", ns=NS_APP)


def run(args, bed, work):
    build_bed()
    bed.start_servers()
    cfg = bed.xdp_config()
    bed.start_control(cfg)
    bed.start_xdp(cfg)
    check("native XDP attached to both bridge ports", xdp_attached(I0) == "native" and xdp_attached(O0) == "native",
          f"{I0}: {xdp_attached(I0)}, {O0}: {xdp_attached(O0)}")
    ok, _ = curl(NS_IN, f"http://{WEB}/")
    check("before any feed: traffic crosses the bridge", ok)
    st = bed.iocctl("status")
    check("status: the XDP path runs as the instance's dataplane, its slot alive, both ports listed",
          st["dataplane"]["running"] and len(st["workers"]) == 1 and st["workers"][0]["alive"] and
          [p["name"] for p in st["ports"]] == [f"xdp:{I0}", f"xdp:{O0}"] and all(p["up"] for p in st["ports"]),
          json.dumps({"workers": st["workers"], "ports": st["ports"]})[:400])
    # The slot's counters are copied from the per-CPU maps every 100 ms.
    rx = wait_for(lambda: bed.iocctl("status")["workers"][0]["rx_packets"], 3, 0.05)
    check("native XDP sees the veth traffic (no XDP program on the peer, GRO left as it is)", rx, f"rx {rx}")

    feed = os.path.join(work, "advisory.txt")
    with open(feed, "w") as f:
        f.write("# netns XDP advisory\n203.0.113.66\n203.0.113.128/25\n2001:db8:81::66\n2001:db8:82::/48\nevil.example\n")
    r = bed.iocctl("feed", "push", feed, "--name", "advisory", "--action", "drop", "--advisory", "XDP-1", "--group", "Test Group")
    check("push: the drop feed is enforced by the XDP path", r.get("ok") and r.get("enforced"),
          f"generation {r.get('generation')} in {r.get('enforce_seconds', 0) * 1e3:.1f} ms")
    st0 = bed.iocctl("status")
    check("status: the XDP slot runs the published generation", st0["workers"][0]["generation"] ==
          st0["generation"]["published"] == st0["generation"]["active"] and st0["state"] == "enforcing",
          json.dumps(st0["generation"]))

    n0 = len(event_lines(bed))
    attempts = check_addresses(bed)
    ev = new_events(bed, n0, sum(attempts.values()))
    per_ioc = {}
    for l in ev:
        per_ioc[l["ioc"]] = per_ioc.get(l["ioc"], 0) + 1
    check("events: one per blocked connection, naming the IoC (host or prefix) as listed",
          per_ioc == attempts, f"events {per_ioc}, connections {attempts}")
    check("events: attributed to the feed, advisory and group, action drop, matched by ip",
          ev and all(l["feed"] == "advisory" and l["advisory"] == "XDP-1" and l["group"] == "Test Group" and
                     l["action"] == "drop" and l["matched"] == "ip" for l in ev), json.dumps(ev[:1]))
    dirs = {(l["ioc"], l["direction"]) for l in ev}
    check("events: outbound and inbound, the internal host named",
          {(BAD_IP, "outbound"), (BAD_IP, "inbound"), (BAD_IP6, "outbound"), (BAD_IP6, "inbound")} <= dirs and
          all(l["host"] in (INSIDE_HOST, "fd81::2") for l in ev), sorted(dirs))

    n1 = len(event_lines(bed))
    blocked = check_dns(bed)
    ev = new_events(bed, n1, blocked)
    dns_ev = [l for l in ev if l["matched"] == "dns"]
    check("events: one per blocked DNS query, naming evil.example",
          len(dns_ev) == blocked and all(l["ioc"] == "evil.example" for l in dns_ev) and len(ev) == blocked,
          f"{len(dns_ev)} dns events of {len(ev)}, {blocked} queries blocked")
    check_l7_left_to_dpdk()

    check_live_push(bed, work)
    check_push_latency(bed, work)

    time.sleep(1)
    st = bed.iocctl("status")
    w0, w = st0["workers"][0], st["workers"][0]
    check("status: the XDP counters saw the clients' traffic and drops",
          w["rx_packets"] - w0["rx_packets"] > 1000 and w["dropped_packets"] - w0["dropped_packets"] >= sum(attempts.values()) + blocked,
          f"rx +{w['rx_packets'] - w0['rx_packets']}, dropped +{w['dropped_packets'] - w0['dropped_packets']}")
    r = subprocess.run([bed.bins.iocctl, "--socket", bed.sock, "stats", "--json"], capture_output=True, text=True, timeout=30)
    stats = json.loads(r.stdout) if r.returncode == 0 else {}
    check("iocctl stats: names the blocked IoCs", BAD_IP in r.stdout and "evil.example" in r.stdout, r.stdout[-200:])
    r = subprocess.run([bed.bins.iocctl, "--socket", bed.sock, "report", "--format", "json", "--since", "1h"],
                       capture_output=True, text=True, timeout=30)
    rep = json.loads(r.stdout) if r.returncode == 0 else {"hosts": []}
    contacts = {(h["host"], c["ioc"]) for h in rep.get("hosts", []) for c in h["contacts"]}
    check("report: the inside host's contacts with each blocked IoC",
          {(INSIDE_HOST, BAD_IP), (INSIDE_HOST, "203.0.113.128/25"), (INSIDE_HOST, "evil.example"),
           ("fd81::2", BAD_IP6), ("fd81::2", "2001:db8:82::/48")} <= contacts, sorted(contacts)[:12])

    final = bed.stop_xdp()
    if check("stop: final accounting logged", final is not None):
        c = final["workers"][0]["counters"]
        x = final["xdp"]["counters"]
        check("counters: rx = passed + dropped, every frame judged under a generation",
              c["rx_packets"] == c["tx_packets"] + c["dropped_packets"] and final["workers"][0]["judged"] == c["rx_packets"],
              f"rx {c['rx_packets']} tx {c['tx_packets']} dropped {c['dropped_packets']} judged {final['workers'][0]['judged']}")
        check("counters: address and DNS matches counted, both families",
              x["match_v4"] > 0 and x["match_v6"] > 0 and c["match_dns"] >= blocked and x["events_lost"] == 0,
              f"v4 {x['match_v4']} v6 {x['match_v6']} dns {c['match_dns']} lost {x['events_lost']}")
        check("interfaces: both attached in native mode", [i["mode"] for i in final["xdp"]["interfaces"]] == ["native", "native"],
              json.dumps(final["xdp"]["interfaces"]))
    time.sleep(1)
    ev_stats = json.loads(subprocess.run([bed.bins.iocctl, "--socket", bed.sock, "stats", "--json"], capture_output=True,
                                         text=True, timeout=30).stdout).get("events", {})
    check("events: a summary for every matched flow at the stop, none unresolved or lost",
          ev_stats.get("summaries") == ev_stats.get("flows") and ev_stats.get("unresolved") == 0 and
          ev_stats.get("lost_in_dataplane") == 0, ev_stats)
    bed.start_xdp(cfg)
    check_restarts(bed, work)
    check_foreign_program(bed)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocgate")
    ap.add_argument("iocctl")
    ap.add_argument("xdp")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("netns XDP test needs root (network namespaces, BPF)")
        print("0 passed, 0 failed, 1 skipped")
        return 77
    missing = [t for t in ("ip", "dnsmasq", "nginx", "dig", "curl", "openssl", "ss", "nsenter", "xdp-filter")
               if shutil.which(t) is None]
    if missing:
        print(f"missing tools: {' '.join(missing)} (scripts/ensure-deps.sh installs them)")
        print("0 passed, 1 failed")
        return 1
    mount_bpffs()
    clean_leftovers()
    work = make_work(f"iocgate-{P}-")
    bed = XdpBed(args, work)
    return run_bed(check, bed, lambda: run(args, bed, work), ("xdp.log", "control.log"), args.keep, tail=20)


if __name__ == "__main__":
    sys.exit(main())
