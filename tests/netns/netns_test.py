#!/usr/bin/python3
"""The appliance inline on a real network path: real clients and servers in network
namespaces on either side of `iocgate dataplane`, which forwards between veths with
net_af_xdp (or net_af_packet where AF_XDP cannot start), driven by `iocgate control` and
`iocctl` as an operator would.

usage: netns_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE] [--pmd auto|af_xdp|af_packet] [--keep]

    ns <P>-in (inside hosts)       root namespace (the appliance)        ns <P>-out (servers)
    10.81.0.2/24, fd81::2/64                                          10.81.0.1/24, fd81::1/64
    dnsmasq, nginx (inbound)        +---------------------------+       203.0.113.{10,53,66,...}
    dig, curl, openssl  <P>i1 ---- <P>i0 | iocgate dataplane | <P>o0 ---- <P>o1   on lo: dnsmasq,
                                    |  inside       outside   |       nginx HTTP/HTTPS (SNI)
                                    |        mirror           |
                                    +-----------+---------------+
                                               <P>m0 ---- <P>m1  ns <P>-mir: tcpdump

The appliance is a bump in the wire: inside and outside share one L2 segment through it;
the inside host routes to the "internet" addresses via the outside namespace (10.81.0.1).

Checks (each PASS/FAIL, then "N passed, M failed"; exit 1 on any failure):
  outbound and inbound: a listed IP (v4 and v6), a listed domain by DNS (UDP, TCP, and the
  system resolver), by TLS SNI (curl and openssl s_client) and by HTTP Host all fail; their
  look-alikes (neighbouring address, notevil.example, evil.example.org) and good hosts work;
  a feed pushed while a download and a request loop run takes effect at once and neither
  breaks; a mirror feed's flows work and reach the collector's capture (and nothing else
  does); worker and port counters, and the event log where the control process has one,
  agree with what the clients did.
Namespaces, veths, servers and shared memory are removed on every exit (also on failure,
SIGTERM or Ctrl-C); leftovers of earlier runs (whose process is gone) are removed first.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from iocgate_harness import Appliance, Binaries, Checks, make_work, not_forwarded  # noqa: E402
from netns_bed import (Loop, address_hosts, curl, dig, mount_bpffs, remove_namespaces, run_bed, s_client, sh,  # noqa: E402
                       start_servers)

PREFIX = "ign"  # namespaces "ign<pid>-in", veths "ign<pid>i0" (at most 15 characters)
PID = os.getpid()
P = f"{PREFIX}{PID}"
NS_IN, NS_OUT, NS_MIR = f"{P}-in", f"{P}-out", f"{P}-mir"
INSTANCE = f"netns{PID}"

INSIDE_HOST = "10.81.0.2"
GATEWAY = "10.81.0.1"
WEB = "203.0.113.10"          # good web server: every SNI name
DNS = "203.0.113.53"          # the outside DNS server
BAD_IP = "203.0.113.66"       # listed in the drop feed
NEAR_IP = "203.0.113.67"      # its neighbour: not listed
GOOD_CLIENT = "203.0.113.20"  # an outside client that is not listed (inbound checks)
MIRROR_IP = "203.0.113.77"    # listed in the mirror feed
REJECT_IP = "203.0.113.99"    # listed in the reject feed
LATE_IP = "203.0.113.88"      # listed in the feed pushed while clients run
BAD_IP6, NEAR_IP6, WEB6 = "2001:db8:81::66", "2001:db8:81::67", "2001:db8:81::10"
OUT_ADDRS = [WEB, DNS, BAD_IP, NEAR_IP, GOOD_CLIENT, MIRROR_IP, LATE_IP, REJECT_IP]
OUT_ADDRS6 = [WEB6, BAD_IP6, NEAR_IP6]
NAMES = ["good.example", "evil.example", "www.evil.example", "notevil.example", "evil.example.org", "rejected.example",
         "stream.example",
         "late.example", "mirrored.example"]

check = Checks()


def pid_is_ours(pid):
    """True when `pid` is a running netns_test.py (so its namespaces are not leftovers)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"netns_test" in f.read()
    except OSError:
        return False


def clean_leftovers():
    """Namespaces, veths, shared memory and DPDK runtime dirs of earlier runs that are gone."""
    stale = set()
    for line in sh("ip", "netns", "list", check_rc=False).stdout.splitlines():
        m = re.match(rf"^({PREFIX}(\d+)-(in|out|mir))\b", line)
        if m and not pid_is_ours(int(m.group(2))):
            stale.add(m.group(1))
    if stale:
        print(f"removing leftover namespaces: {' '.join(sorted(stale))}", flush=True)
        remove_namespaces(sorted(stale))
    for line in sh("ip", "-o", "link", "show", check_rc=False).stdout.splitlines():
        m = re.match(rf"^\d+: ({PREFIX}(\d+)[iom]0)[@:]", line)
        if m and not pid_is_ours(int(m.group(2))):
            sh("ip", "link", "del", m.group(1), check_rc=False)
    # Processes of a run killed with SIGKILL (the dataplane busy-polls a core until stopped):
    # recognised by their work directory, /tmp/iocgate-ign<pid>-*.
    for proc in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            cmd = open(proc, "rb").read().decode(errors="replace")
        except OSError:
            continue
        m = re.search(rf"/iocgate-{PREFIX}(\d+)-", cmd)
        if m and int(m.group(1)) != PID and not pid_is_ours(int(m.group(1))):
            try:
                os.kill(int(proc.split("/")[2]), signal.SIGKILL)
            except OSError:
                pass
    for path in glob.glob(f"/tmp/iocgate-{PREFIX}*-*"):
        m = re.match(rf"/tmp/iocgate-{PREFIX}(\d+)-", path)
        if m and not pid_is_ours(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)
    for path in glob.glob("/var/run/dpdk/iocgate-netns*"):
        m = re.match(r".*/iocgate-netns(\d+)$", path)
        if m and not pid_is_ours(int(m.group(1))):
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------------------------- the bed

def build_bed(work):
    for ns in (NS_IN, NS_OUT, NS_MIR):
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
    for side, ns in (("i", NS_IN), ("o", NS_OUT), ("m", NS_MIR)):
        root, peer = f"{P}{side}0", f"{P}{side}1"
        sh("ip", "link", "add", root, "type", "veth", "peer", "name", peer, "netns", ns)
        # The appliance's ports carry no addresses: the kernel must not answer or originate
        # anything on them (no IPv6 link-local, router or neighbour solicitations).
        sh("sysctl", "-qw", f"net.ipv6.conf.{root}.disable_ipv6=1")
        sh("ip", "link", "set", root, "mtu", "1500", "up")
        # Segmentation and checksum offloads would hand the appliance 64 KiB frames with
        # partial checksums; over AF_XDP/AF_PACKET the frames must be complete on the wire.
        for dev, where in ((root, None), (peer, ns)):
            sh("ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off", "gro", "off", ns=where, check_rc=False)
        if side == "m":
            sh("sysctl", "-qw", f"net.ipv6.conf.{peer}.disable_ipv6=1", ns=ns)
        sh("ip", "link", "set", peer, "mtu", "1500", "up", ns=ns)
    address_hosts(NS_IN, f"{P}i1", NS_OUT, f"{P}o1", INSIDE_HOST, GATEWAY, DNS, OUT_ADDRS, OUT_ADDRS6,
                  "2001:db8:81::/64")


class Bed(Appliance):
    """The harness's appliance between the namespaces, with the servers around it."""

    def __init__(self, args, work):
        super().__init__(Binaries(args.iocgate, args.iocctl, args.dataplane), work, instance=INSTANCE)
        self.args = args
        self.mirror_pcap = os.path.join(work, "mirror.pcap")
        self.pmd = None

    def start_servers(self):
        # late.example and mirrored.example resolve to the addresses their feeds list.
        out_answers = [f"/{n}/{WEB}" for n in NAMES if n not in ("late.example", "mirrored.example")]
        out_answers += [f"/late.example/{LATE_IP}", f"/mirrored.example/{MIRROR_IP}"]

        def collector():
            self.spawn("tcpdump", ["tcpdump", "-i", f"{P}m1", "-n", "-U", "-s", "0", "-w", self.mirror_pcap],
                       ns=NS_MIR)

        start_servers(self, NS_IN, NS_OUT, INSIDE_HOST, DNS, NAMES, out_answers, dnsmasq_extra=["--log-queries"],
                      also=collector, ready=lambda: os.path.exists(self.mirror_pcap))

    def config(self, pmd):
        spec = {"af_xdp": "net_af_xdp{n},iface={dev}", "af_packet": "net_af_packet{n},iface={dev}"}[pmd]
        ports = {k: spec.format(n=i, dev=f"{P}{s}0") for i, (k, s) in enumerate((("inside", "i"), ("outside", "o"),
                                                                                 ("mirror", "m")))}
        return super().config("iocgate.toml", ports["inside"], ports["outside"], ports["mirror"],
                              network={"internal": ["10.81.0.0/24", "fd81::/64"]})

    def start_dataplane(self, pmd):
        cfg = self.config(pmd)
        # As iocgate-dataplane.service does before it starts: hugepages and the ports.
        setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "appliance",
                             "iocgate-setup-nics")
        r = sh(setup, "--config", cfg, "--hugepages", "64M", check_rc=False)
        check(f"iocgate-setup-nics prepares the net_{pmd} ports", r.returncode == 0,
              (r.stdout.strip().splitlines() or [""])[-1] + r.stderr.strip()[-200:])
        try:
            super().start_dataplane(cfg)
            return cfg, True
        except RuntimeError:
            return cfg, False

    def iocctl(self, *args, check_rc=True):
        return self.ctl_cmd(*args, check=check_rc)[1]

    def cleanup(self):
        super().cleanup()
        remove_namespaces([NS_IN, NS_OUT, NS_MIR])
        for side in "iom":
            sh("ip", "link", "del", f"{P}{side}0", check_rc=False)


# ---------------------------------------------------------------------------------- checks

def check_direction(label, ns, server, dns_server, bind):
    """The listed IoCs fail and their look-alikes succeed, from `ns` towards `server`."""
    src = ["--interface", bind] if bind else []
    dsrc = ["-b", bind] if bind else []
    blocked = {"dns": 0, "sni": 0, "host": 0}
    # DNS: UDP and TCP queries for the listed domain and a subdomain; look-alikes answered.
    for name in ("evil.example", "www.evil.example"):
        check(f"{label}: DNS query for {name} gets no answer", dig(ns, dns_server, name, *dsrc) is None)
        blocked["dns"] += 1
    check(f"{label}: DNS query over TCP for evil.example gets no answer",
          dig(ns, dns_server, "evil.example", "+tcp", *dsrc) is None)
    for name in ("good.example", "notevil.example", "evil.example.org"):
        a = dig(ns, dns_server, name, *dsrc)
        check(f"{label}: DNS query for look-alike {name} answered", a is not None, f"answer {a}")
    check(f"{label}: DNS over TCP for good.example answered", dig(ns, dns_server, "good.example", "+tcp", *dsrc))
    # TLS SNI: curl and openssl s_client, to a server address that is not listed.
    ok, detail = curl(ns, "https://evil.example/", "--resolve", f"evil.example:443:{server}", *src)
    check(f"{label}: HTTPS with SNI evil.example fails", not ok, detail[-80:])
    blocked["sni"] += 1
    check(f"{label}: openssl s_client -servername www.evil.example gets no certificate",
          s_client(ns, server, "www.evil.example") is None)
    blocked["sni"] += 1
    for name in ("good.example", "notevil.example", "evil.example.org"):
        ok, body = curl(ns, f"https://{name}/", "--resolve", f"{name}:443:{server}", *src)
        check(f"{label}: HTTPS with SNI {name} works and reaches its virtual host", ok and name in body, body[-80:])
    cn = s_client(ns, server, "notevil.example")
    check(f"{label}: openssl s_client -servername notevil.example gets its certificate", cn == "notevil.example",
          f"CN {cn}")
    # HTTP Host.
    ok, detail = curl(ns, f"http://{server}/", "-H", "Host: evil.example", *src)
    check(f"{label}: HTTP with Host evil.example fails", not ok, detail[-80:])
    blocked["host"] += 1
    for name in ("good.example", "notevil.example", "evil.example.org"):
        ok, body = curl(ns, f"http://{server}/", "-H", f"Host: {name}", *src)
        check(f"{label}: HTTP with Host {name} works", ok and name in body, body[-80:])
    return blocked


def check_outbound():
    counts = check_direction("outbound", NS_IN, WEB, DNS, None)
    ok, d = curl(NS_IN, f"http://{BAD_IP}/")
    check("outbound: HTTP to listed address 203.0.113.66 fails", not ok, d[-80:])
    ok, d = curl(NS_IN, f"http://[{BAD_IP6}]/")
    check("outbound: HTTP to listed address 2001:db8:81::66 fails", not ok, d[-80:])
    for addr in (NEAR_IP, f"[{NEAR_IP6}]", WEB, f"[{WEB6}]"):
        ok, d = curl(NS_IN, f"http://{addr}/")
        check(f"outbound: HTTP to unlisted address {addr} works", ok, d[-80:])
    # Through the system resolver, as an application would: DNS then HTTP(S).
    ok, body = curl(NS_IN, "http://good.example/")
    check("outbound: curl http://good.example/ (system resolver) works", ok and "good.example" in body, body[-80:])
    ok, body = curl(NS_IN, "https://notevil.example/")
    check("outbound: curl https://notevil.example/ (system resolver) works", ok and "notevil.example" in body,
          body[-80:])
    ok, d = curl(NS_IN, "https://evil.example/")
    check("outbound: curl https://evil.example/ (system resolver) fails", not ok, d[-80:])
    return counts


def check_inbound():
    counts = check_direction("inbound", NS_OUT, INSIDE_HOST, INSIDE_HOST, GOOD_CLIENT)
    ok, d = curl(NS_OUT, f"http://{INSIDE_HOST}/", "--interface", BAD_IP)
    check("inbound: HTTP from listed address 203.0.113.66 fails", not ok, d[-80:])
    ok, d = curl(NS_OUT, f"https://{INSIDE_HOST}/", "--interface", BAD_IP)
    check("inbound: HTTPS from listed address 203.0.113.66 fails", not ok, d[-80:])
    ok, d = curl(NS_OUT, "http://[fd81::2]/", "--interface", BAD_IP6)
    check("inbound: HTTP from listed address 2001:db8:81::66 fails", not ok, d[-80:])
    check("inbound: DNS query from listed address 203.0.113.66 gets no answer",
          dig(NS_OUT, INSIDE_HOST, "good.example", "-b", BAD_IP) is None)
    for src in (NEAR_IP, GOOD_CLIENT):
        ok, d = curl(NS_OUT, f"http://{INSIDE_HOST}/", "--interface", src)
        check(f"inbound: HTTP from unlisted address {src} works", ok, d[-80:])
    ok, d = curl(NS_OUT, "http://[fd81::2]/", "--interface", NEAR_IP6)
    check(f"inbound: HTTP from unlisted address {NEAR_IP6} works", ok, d[-80:])
    return counts


def check_live_push(bed, work):
    late_feed = os.path.join(work, "late.txt")
    with open(late_feed, "w") as f:
        f.write("# pushed while clients run\nlate.example\n203.0.113.88\n")
    ok_before, _ = curl(NS_IN, "http://late.example/")
    check("live push: late.example works before its feed is pushed", ok_before)
    # A long download with keep-alive, and two request loops (system resolver, HTTPS).
    dl_out = os.path.join(work, "download.bin")
    download = subprocess.Popen(["ip", "netns", "exec", NS_IN, "curl", "-sS", "--limit-rate", "4M", "--max-time", "60",
                                 "-o", dl_out, "-w", "%{http_code}", f"http://{WEB}/big"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bed.procs.append(("download", download))
    loops = [Loop(NS_IN, "http://good.example/"), Loop(NS_IN, "https://notevil.example/")]
    for l in loops:
        l.start()
    time.sleep(2)
    t0 = time.time()
    reply = bed.iocctl("feed", "push", late_feed, "--name", "late", "--action", "drop", "--advisory", "netns-late")
    took = time.time() - t0
    check("live push: iocctl feed push acknowledged, enforced by every worker",
          reply.get("ok") and reply.get("dataplane_running"),
          f"generation {reply.get('generation')} in {reply.get('enforce_seconds', 0) * 1e3:.1f} ms, "
          f"command {took * 1e3:.0f} ms")
    ok_name, d1 = curl(NS_IN, "http://late.example/")
    ok_ip, d2 = curl(NS_IN, f"https://{LATE_IP}/")
    check("live push: late.example fails right after the push returns", not ok_name, d1[-60:])
    check("live push: 203.0.113.88 fails right after the push returns", not ok_ip, d2[-60:])
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
    # And taking it back.
    bed.iocctl("feed", "remove", "late")
    ok_after, d = curl(NS_IN, "http://late.example/")
    check("live push: late.example works again once its feed is removed", ok_after, d[-60:])
    return 3  # late.example by system resolver (A+AAAA may both be counted), 203.0.113.88


def timed(fn, *args):
    t = time.time()
    r = fn(*args)
    return r, time.time() - t


def check_reject(bed, work):
    """A reject feed: clients fail at once (a TCP reset, an NXDOMAIN) instead of timing out."""
    feed = os.path.join(work, "reject.txt")
    with open(feed, "w") as f:
        f.write(f"rejected.example\n{REJECT_IP}\n")
    r = bed.iocctl("feed", "push", feed, "--name", "refuse", "--action", "reject")
    check("reject: feed pushed and enforced", r.get("ok") and r.get("enforced"), f"generation {r.get('generation')}")

    def counted(fn):
        """Runs fn and returns (its result, seconds, counter deltas) once the workers copied them out."""
        before = bed.iocctl("stats")["counters"]
        res, secs = timed(fn)
        time.sleep(1.5)  # the workers copy their counters out every few hundred loops
        after = bed.iocctl("stats")["counters"]
        return res, secs, {k: after.get(k, 0) - before.get(k, 0) for k in
                           ("rejected_packets", "reject_replies", "reject_replies_failed", "dropped_packets")}

    res, secs, d = counted(lambda: sh("dig", f"@{DNS}", "rejected.example", "A", "+time=2", "+tries=1", ns=NS_IN,
                                      check_rc=False))
    check("reject: dig gets NXDOMAIN at once from the appliance (one rejected query, one answer)",
          "status: NXDOMAIN" in res.stdout and secs < 1.0 and d["rejected_packets"] == 1 and d["reject_replies"] == 1,
          f"{secs:.2f} s, {json.dumps(d)}: " + (re.search(r"status: \w+", res.stdout) or re.search(r".*", res.stdout)).group(0))
    (ok, detail), secs, d = counted(lambda: curl(NS_IN, f"http://{REJECT_IP}/"))
    check("reject: curl to the listed address is refused at once (the SYN rejected, both ends reset)",
          not ok and secs < 1.0 and re.search(r"reset|refused|couldn't connect", detail, re.I) is not None and
          d["rejected_packets"] >= 1 and d["reject_replies"] >= 2, f"{secs:.2f} s, {json.dumps(d)}: {detail[-80:]}")
    (ok, detail), secs, d = counted(lambda: curl(NS_IN, "https://rejected.example/", "--resolve",
                                                 f"rejected.example:443:{WEB}"))
    check("reject: HTTPS whose SNI is listed is reset at the ClientHello, at once",
          not ok and secs < 1.0 and re.search(r"reset|SSL|closed", detail, re.I) is not None and
          d["rejected_packets"] >= 1 and d["reject_replies"] >= 2, f"{secs:.2f} s, {json.dumps(d)}: {detail[-80:]}")
    # The global drop counter also moves for other feeds' late retransmissions, so what the
    # reject feed decided is read from its own events: every one says reject, none drop.
    time.sleep(1)
    events = os.path.join(bed.state, "events.log")
    mine = [json.loads(l) for l in open(events) if '"feed":"refuse"' in l] if os.path.exists(events) else []
    check("reject: no answer failed, the reject feed's flows all recorded as rejected, none as a plain drop",
          d["reject_replies_failed"] == 0 and mine and all(e["action"] == "reject" for e in mine),
          f"{json.dumps(d)}; refuse events by action: "
          f"{ {a: sum(1 for e in mine if e['action'] == a) for a in {e['action'] for e in mine}} }")
    ok, _ = curl(NS_IN, "http://good.example/")
    check("reject: unlisted traffic unaffected", ok)
    bed.iocctl("feed", "remove", "refuse")


def check_open_connection_cut(bed, work):
    """A TLS download opened before the push, to a name the push lists: its packets stop
    within 1 s of the push (the name is judged again by the new table), and the report names
    its host."""
    out = os.path.join(work, "stream.bin")
    dl = subprocess.Popen(["ip", "netns", "exec", NS_IN, "curl", "-sS", "-k", "--limit-rate", "1M", "--max-time", "40",
                           "-o", out, "https://stream.example/big"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    bed.procs.append(("stream", dl))
    size = lambda: os.path.getsize(out) if os.path.exists(out) else 0  # noqa: E731

    def wire():
        # What reached the client's TCP stack, not what curl wrote: curl reads at its rate
        # limit, so the file keeps growing from the socket buffer after the link is cut.
        res = sh("ss", "-tinH", "state", "established", "dport", "= :443", ns=NS_IN, check_rc=False)
        got = [int(m) for m in re.findall(r"bytes_received:(\d+)", res.stdout)]
        return max(got) if got else -1
    deadline = time.time() + 10
    while size() < 1 << 20 and time.time() < deadline:
        time.sleep(0.1)
    grew_before = size()
    feed = os.path.join(work, "stream-feed.txt")
    with open(feed, "w") as f:
        f.write("stream.example\n")
    t0 = time.time()
    r = bed.iocctl("feed", "push", feed, "--name", "stream-c2", "--advisory", "NETNS-STREAM")
    time.sleep(max(0.0, t0 + 1.0 - time.time()))
    at_1s = wire()
    time.sleep(2.0)
    at_3s = wire()
    check("cut: the download was running before the push", grew_before >= 1 << 20 and r.get("enforced"),
          f"{grew_before} bytes before")
    check("cut: an open TLS connection to a name the push lists stops within 1 s of the push",
          at_1s > 0 and at_3s == at_1s and dl.poll() is None,
          f"the connection had received {at_1s} bytes at +1 s, {at_3s} at +3 s")
    dl.kill()
    dl.wait()
    time.sleep(2.5)  # the review store flushes every 2 s
    rep = bed.ctl_cmd("report", "--since", "1h", "--format", "json", check=False, as_json=False)[1]
    try:
        hosts = json.loads(rep)["hosts"]
    except (json.JSONDecodeError, KeyError):
        hosts = []
    seen = [c for h in hosts if h["host"] == INSIDE_HOST for c in h.get("contacts", []) if c.get("ioc") == "stream.example"]
    check("cut: the review report names the host and the name", seen, json.dumps(seen)[:300])
    bed.iocctl("feed", "remove", "stream-c2")


def check_mirror(bed):
    results_before = len(check.results)
    ok, body = curl(NS_IN, f"http://{MIRROR_IP}/", "-H", "Host: good.example")
    check("mirror: HTTP to the mirror feed's 203.0.113.77 works", ok and "good.example" in body, body[-80:])
    ok, body = curl(NS_IN, "https://mirrored.example/")
    check("mirror: HTTPS to mirrored.example (resolves to 203.0.113.77) works", ok and "mirrored.example" in body,
          body[-80:])
    ok, body = curl(NS_OUT, f"http://{INSIDE_HOST}/", "--interface", MIRROR_IP)
    check("mirror: inbound HTTP from 203.0.113.77 works", ok, body[-80:])
    return len(check.results) - results_before


def read_mirror_capture(pcap):
    r = sh("tcpdump", "-nn", "-r", pcap, check_rc=False)
    return [l for l in r.stdout.splitlines() if l.strip()]


def pick_pmd(bed):
    """Starts the dataplane with AF_XDP, or AF_PACKET when AF_XDP does not start or forward."""
    order = ["af_xdp", "af_packet"] if bed.args.pmd == "auto" else [bed.args.pmd]
    for pmd in order:
        cfg, started = bed.start_dataplane(pmd)
        if started:
            deadline = time.time() + 10
            while time.time() < deadline:
                if sh("ping", "-c", "1", "-W", "1", GATEWAY, ns=NS_IN, check_rc=False).returncode == 0:
                    print(f"dataplane forwards with net_{pmd}", flush=True)
                    return pmd, cfg
            print(f"net_{pmd}: the dataplane started but did not forward; "
                  f"log: {open(bed.dp_log).read()[-1500:]}", flush=True)
        else:
            print(f"net_{pmd}: the dataplane did not start: {open(bed.dp_log).read()[-1500:]}", flush=True)
        if bed.dp.poll() is None:
            bed.dp.kill()
            bed.dp.wait()
        for path in glob.glob(os.path.join(bed.shm, f"{INSTANCE}-ctl")):
            os.unlink(path)
    return None, None


def run(args, bed, work):
    build_bed(work)
    bed.start_servers()
    pmd, cfg = pick_pmd(bed)
    if not check("the dataplane forwards between the veths (net_af_xdp, else net_af_packet)", pmd is not None):
        return
    check("AF_XDP is the PMD in use", pmd == "af_xdp" or args.pmd == "af_packet", f"net_{pmd}")
    # Forwarding with no table, then the control process and the feeds.
    ok, _ = curl(NS_IN, "http://evil.example/")
    check("before any feed: curl http://evil.example/ works (nothing listed yet)", ok)
    bed.start_control(cfg)
    drop_feed = os.path.join(work, "advisory.txt")
    with open(drop_feed, "w") as f:
        f.write("# netns test advisory\n203.0.113.66\n2001:db8:81::66\nevil.example\n")
    mirror_feed = os.path.join(work, "watch.txt")
    with open(mirror_feed, "w") as f:
        f.write("203.0.113.77\n")
    r = bed.iocctl("feed", "push", drop_feed, "--name", "advisory", "--action", "drop", "--advisory", "NETNS-1",
                   "--group", "Test Group")
    check("push: drop feed enforced", r.get("ok") and r.get("enforced"), f"generation {r.get('generation')}")
    r = bed.iocctl("feed", "push", mirror_feed, "--name", "watch", "--action", "mirror")
    check("push: mirror feed enforced", r.get("ok") and r.get("enforced"), f"generation {r.get('generation')}")
    st0 = bed.iocctl("status")

    check_outbound()
    check_inbound()
    check_mirror(bed)
    check_reject(bed, work)
    check_open_connection_cut(bed, work)
    check_live_push(bed, work)

    st = bed.iocctl("status")
    gen = st["generation"]["published"]
    check("status: the worker is alive and runs the published generation",
          st["workers"] and all(w["alive"] and w["generation"] == gen for w in st["workers"]),
          json.dumps(st["workers"]))
    check("status: three ports up (inside, outside, mirror)",
          len(st["ports"]) == 3 and all(p["up"] for p in st["ports"]), json.dumps(st["ports"]))
    d_rx = sum(w["rx_packets"] for w in st["workers"]) - sum(w["rx_packets"] for w in st0["workers"])
    d_drop = sum(w["dropped_packets"] for w in st["workers"]) - sum(w["dropped_packets"] for w in st0["workers"])
    check("status: the workers counted the clients' packets and drops", d_rx > 1000 and d_drop > 20,
          f"rx +{d_rx}, dropped +{d_drop}")

    # The counters and event log of the control process.
    time.sleep(2)
    r = subprocess.run([bed.args.iocctl, "--socket", bed.sock, "stats", "--json"], capture_output=True,
                       text=True, timeout=30)
    check("iocctl stats: answers, and names what was blocked",
          r.returncode == 0 and ("evil.example" in r.stdout or BAD_IP in r.stdout),
          (r.stdout + r.stderr)[-200:].replace("\n", " "))
    events = os.path.join(bed.state, "events.log")
    text = open(events).read() if os.path.exists(events) else ""
    check("event log: records the blocked domain and address, and the mirrored flows",
          "evil.example" in text and BAD_IP in text and MIRROR_IP in text,
          f"{len(text.splitlines())} lines in {events}")

    # Let tcpdump flush, then stop the dataplane for its exact final accounting.
    time.sleep(1)
    final = bed.stop_dataplane()
    if not check("dataplane: clean stop with its final accounting", final is not None):
        return
    c = final["workers"][0]["counters"]
    ports = {p["name"]: p for p in final["ports"]}
    check("counters: rx = forwarded + dropped, nothing refused by a port",
          c["rx_packets"] == c["tx_packets"] + not_forwarded(c) and c["tx_failed"] == 0,
          f"rx {c['rx_packets']} tx {c['tx_packets']} dropped {c['dropped_packets']} tx_failed {c['tx_failed']}")
    check("counters: every kind of match counted (ip, dns, sni, host)",
          all(c[k] > 0 for k in ("match_ip", "match_dns", "match_sni", "match_host")),
          " ".join(f"{k} {c[k]}" for k in ("match_ip", "match_dns", "match_sni", "match_host")))
    # Outbound + inbound: 2 UDP DNS queries for listed names each way (+TCP), 2 SNI, 1 Host each way.
    check("counters: at least the clients' blocked DNS queries, SNI and Host requests",
          c["match_dns"] >= 4 and c["match_sni"] >= 4 and c["match_host"] >= 2,
          f"dns {c['match_dns']} sni {c['match_sni']} host {c['match_host']}")
    lines = read_mirror_capture(bed.mirror_pcap)
    mirror_port = [p for n, p in ports.items() if n.startswith(f"net_{pmd}2")]
    check("mirror: the collector captured every mirrored packet",
          len(lines) == c["mirrored_packets"] > 0 and (not mirror_port or mirror_port[0]["opackets"] == len(lines)),
          f"tcpdump {len(lines)}, mirrored_packets {c['mirrored_packets']}, "
          f"mirror port sent {mirror_port[0]['opackets'] if mirror_port else '?'}")
    stray = [l for l in lines if MIRROR_IP not in l]
    check("mirror: only the mirror feed's flows reached the collector", lines and not stray, "; ".join(stray[:3]))
    check("mirror: both directions of the mirrored flows were copied",
          any(f"{MIRROR_IP}.80 >" in l for l in lines) and any(f"> {MIRROR_IP}.80" in l for l in lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("iocgate")
    ap.add_argument("iocctl")
    ap.add_argument("dataplane", nargs="?", default=None)
    ap.add_argument("--pmd", choices=["auto", "af_xdp", "af_packet"],
                    default=os.environ.get("IOCGATE_NETNS_PMD", "auto"))
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, captures)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("netns test needs root (network namespaces, AF_XDP)")
        print("0 passed, 0 failed, 1 skipped")
        return 77
    missing = [t for t in ("ip", "ethtool", "dnsmasq", "nginx", "dig", "curl", "openssl", "tcpdump", "ping", "ss")
               if shutil.which(t) is None]
    if missing:
        print(f"missing tools: {' '.join(missing)} (scripts/ensure-deps.sh installs them)")
        print("0 passed, 1 failed")
        return 1
    free_huge = int(re.search(r"HugePages_Free:\s+(\d+)", open("/proc/meminfo").read()).group(1))
    if free_huge < 64:
        setup = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "setup-hugepages.sh")
        subprocess.run([setup, "1024"])
    mount_bpffs()
    args.iocgate, args.iocctl = os.path.abspath(args.iocgate), os.path.abspath(args.iocctl)
    if args.dataplane:
        args.dataplane = os.path.abspath(args.dataplane)
    clean_leftovers()
    work = make_work(f"iocgate-{P}-")
    bed = Bed(args, work)
    return run_bed(check, bed, lambda: run(args, bed, work), ("dataplane.log", "control.log"), args.keep)


if __name__ == "__main__":
    sys.exit(main())
