#!/usr/bin/python3
"""Counters, events and the review report of the real appliance, against traffic with known
verdicts (gen_traffic.py's truth.tsv): `iocgate control` + `iocgate dataplane` over a finite
capture (net_pcap into net_null), a real Prometheus scraping /metrics, headless Chromium
rendering the HTML report.

usage: observability_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]

Checks:
  prometheus   Prometheus (Debian `prometheus`, loopback, 1 s scrapes, temp storage) scrapes
               /metrics while the capture is judged; its HTTP API returns received, dropped and
               matched-by-kind counts equal to those the truth derives.
  event-log    one JSON line per matched flow (as many as the control process counted), every
               field present, host and direction consistent with the internal networks, the
               file rotated by size with nothing lost.
  report       per internal host, packets equal the truth's dropped packets of that host;
               flows equal its event lines; first <= last seen within the run; identical after
               a control restart (persisted review store); --feed filters.
  html         `iocctl report --format html` (English, and --lang vi) rendered by headless
               Chromium to a PNG and an A4 PDF: the DOM holds every expected host; no number,
               address, IoC or word is split, nothing runs off the page (pdftotext).
  rate-limit   a second run with rate_limit_per_s = 5: few match lines, the rest summarised by
               "suppressed" lines that add up; counts in the report keep aggregating.
Ends with "N passed, M failed".
"""
import glob
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, free_port, run_suite, wait_for  # noqa: E402
sys.path.insert(0, os.path.join(HERE, "..", "control"))
from report_pdf_test import check_language as check_report_page  # noqa: E402

INTERNAL = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8")]
KIND_OF_REASON = {"ip": "ip", "ip6": "ip", "ip-frag": "ip", "dns": "dns", "dns-tcp": "dns", "dns-tcp-flow": "dns",
                  "sni": "sni", "sni-flow": "sni", "host": "host", "host-flow": "host"}
check = None  # the suite's Checks, set in main()


def internal(a):
    ip = ipaddress.ip_address(a)
    return any(ip in n for n in INTERNAL)


def truth_counts(traffic_dir):
    """Received, dropped, matched by kind, and dropped packets per internal host, from the truth
    and the capture (the host: the one internal end of a dropped packet)."""
    from scapy.all import IP, IPv6, rdpcap  # noqa: E402 (slow import, only here)
    truth = [l.rstrip("\n").split("\t") for l in open(os.path.join(traffic_dir, "truth.tsv"))]
    pkts = rdpcap(os.path.join(traffic_dir, "traffic.pcap"))
    assert len(pkts) == len(truth)
    kinds = {"ip": 0, "dns": 0, "sni": 0, "host": 0}
    hosts, unattributed = {}, 0
    unreadable = 0
    for p, (_, verdict, why) in zip(pkts, truth):
        if verdict != "drop":
            continue
        if why.startswith("unreadable"):
            unreadable += 1  # dropped unread by the policy: no IoC, no host to report
            continue
        kinds[KIND_OF_REASON[why]] += 1
        l3 = p.getlayer(IP) or p.getlayer(IPv6)
        ends = {a for a in (l3.src, l3.dst) if internal(a)}
        if len(ends) == 2 and why == "dns":
            ends = {l3.src}  # a query to an internal resolver: the host is the one asking
        if len(ends) == 1:
            h = str(ipaddress.ip_address(ends.pop()))
            hosts[h] = hosts.get(h, 0) + 1
        else:
            unattributed += 1
    dropped = sum(1 for t in truth if t[1] == "drop") - unreadable
    return {"received": len(truth), "dropped": dropped, "unreadable": unreadable, "kinds": kinds, "hosts": hosts,
            "unattributed": unattributed}


class Rig(Appliance):
    """The harness's appliance, plus a Prometheus scraping its /metrics."""

    def __init__(self, bins, work):
        super().__init__(bins, work)
        self.metrics_port = free_port()
        self.prom = None

    def config(self, name, capture, events_path, rate, max_bytes, keep):
        return super().config(name, f"net_pcap_in,rx_pcap={capture}", "net_null_out,no-rx=1",
                              metrics={"listen": f"127.0.0.1:{self.metrics_port}"},
                              events={"path": events_path, "max_bytes": max_bytes, "keep": keep,
                                      "rate_limit_per_s": rate})

    def start(self, which, cfg):
        if which == "dataplane":
            self.start_dataplane(cfg)
        else:
            self.start_control(cfg)

    def stop(self, which):
        super().stop("dp" if which == "dataplane" else "ctl")

    def ctl_out(self, *args):
        """iocctl's standard output; a non-zero exit raises."""
        return self.ctl_cmd(*args, as_json=False)[1]

    def stats(self):
        return json.loads(self.ctl_out("stats", "--json"))

    def report(self, *args):
        return json.loads(self.ctl_out("report", "--format", "json", *args))

    def start_prometheus(self):
        port = free_port()
        cfg = os.path.join(self.work, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: iocgate
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs:
      - targets: ['127.0.0.1:{self.metrics_port}']
""")
        log = open(os.path.join(self.work, "prometheus.log"), "w")
        self.prom = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                                      f"--storage.tsdb.path={os.path.join(self.work, 'prom-data')}",
                                      f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=log)
        self.prom_url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.prom_url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("prometheus did not become ready:\n" + open(os.path.join(self.work, "prometheus.log")).read()[-2000:])

    def prom_query(self, q):
        url = self.prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        with urllib.request.urlopen(url, timeout=5) as r:
            data = json.load(r)
        return {json.dumps(s["metric"], sort_keys=True): float(s["value"][1]) for s in data["data"]["result"]}

    def cleanup(self):
        if self.prom and self.prom.poll() is None:
            self.prom.kill()
            self.prom.wait()
        super().cleanup()


def event_lines(path):
    files = sorted(glob.glob(path + ".*"), key=lambda f: -int(f.rsplit(".", 1)[1])) + [path]
    lines = []
    for f in files:
        if os.path.exists(f):
            lines += [json.loads(l) for l in open(f)]
    return files, lines


def host_flows(capture, hosts):
    """Distinct 5-tuples (either direction) with each host as an end."""
    from scapy.all import IP, TCP, UDP, PcapReader
    flows = {h: set() for h in hosts}
    for p in PcapReader(capture):
        if IP not in p or p[IP].frag != 0 or p[IP].flags.MF:
            continue
        a, b = p[IP].src, p[IP].dst
        l4 = p[TCP] if TCP in p else p[UDP] if UDP in p else None
        ends = sorted([(a, l4.sport if l4 else 0), (b, l4.dport if l4 else 0)])
        for h in hosts:
            if h in (a, b):
                flows[h].add((p[IP].proto, *ends))
    return {h: len(f) for h, f in flows.items()}


def run_capture(rig, cfg, received):
    rig.start("dataplane", cfg)
    ok = wait_for(lambda: rig.stats()["counters"]["rx_packets"] >= received, 30)
    check("the dataplane judged the whole capture", ok, rig.stats()["counters"]["rx_packets"])


def prometheus_checks(rig, truth):
    want = {'iocgate_dataplane_packets_total{outcome="received"}': truth["received"],
            'iocgate_dataplane_packets_total{outcome="dropped"}': truth["dropped"],
            'iocgate_dataplane_packets_total{outcome="unreadable"}': truth["unreadable"],
            'iocgate_action_packets_total{action="drop"}': truth["dropped"],
            'iocgate_packets_total{port="net_pcap_in",direction="rx"}': truth["received"]}
    for k, n in truth["kinds"].items():
        want[f'iocgate_matches_total{{kind="{k}"}}'] = n

    def got():
        return {q: sum(rig.prom_query(q).values()) for q in want}
    # Prometheus sees the final values at its next scrape after the capture is consumed.
    wait_for(lambda: got() == want, 20, 1.0)
    g = got()
    for q, n in want.items():
        check(f"prometheus: {q} = {n} (from the truth)", g[q] == n, f"prometheus says {g[q]}")
    up = rig.prom_query('up{job="iocgate"}')
    check("prometheus: the scrape target is up", up and all(v == 1 for v in up.values()), up)
    low = rig.prom_query('min_over_time(iocgate_dataplane_packets_total{outcome="received"}[5m])')
    check("prometheus: saw the counters rise from 0 during the run", low and min(low.values()) == 0, low)
    alive = rig.prom_query("iocgate_worker_alive")
    check("prometheus: the worker is alive", alive and all(v == 1 for v in alive.values()), alive)


def main():
    bins = Binaries.from_argv(sys.argv)
    for tool in ("prometheus", "chromium", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"FAIL: {tool} is not installed (scripts/ensure-deps.sh installs it)\n0 passed, 1 failed")
            sys.exit(1)
    sys.exit(run_suite("observability test", lambda checks, work: body(bins, checks, work), "iocgate-observability."))


def body(bins, checks, work):
    global check
    check = checks
    traffic_dir = os.path.join(work, "traffic")
    subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "11", "--out", traffic_dir], check=True,
                   stdout=subprocess.DEVNULL)
    capture = os.path.join(traffic_dir, "traffic.pcap")
    truth = truth_counts(traffic_dir)
    rig = Rig(bins, work)
    t_start = time.time()
    events1 = os.path.join(work, "log1", "events.log")
    max_bytes = 16384
    cfg1 = rig.config("run1.toml", capture, events1, 0, max_bytes, 1000)
    rig.start("control", cfg1)
    # Pushed before the dataplane starts: stored and published, not yet enforced (exit 4).
    rc, _, err = rig.ctl_cmd("feed", "push", os.path.join(traffic_dir, "feed.txt"), "--name", "apt",
                             "--advisory", "941/CATTT-NCSC", "--group", "Mustang Panda", check=False, as_json=False)
    check("a push with the dataplane down is published, not enforced (exit 4)", rc == 4, f"exit {rc} {err}")
    rig.start_prometheus()
    # Prometheus starts scraping a few seconds after it is ready: wait for two scrapes.
    q = 'count_over_time(iocgate_dataplane_packets_total{outcome="received"}[5m])'
    check("prometheus: scraping /metrics before the traffic",
          wait_for(lambda: max(rig.prom_query(q).values(), default=0) >= 2, 30))
    run_capture(rig, cfg1, truth["received"])
    prometheus_checks(rig, truth)

    # Summaries (matched packets per flow) arrive when flows leave the table: at shutdown here.
    rig.stop("dataplane")
    st = wait_for(lambda: (lambda s: s if s["events"]["summaries"] == s["events"]["flows"] else None)(rig.stats()), 10)
    st = st or rig.stats()
    ev = st["events"]
    check("events: a summary for every matched flow, none lost", ev["summaries"] == ev["flows"] > 0 and
          ev["unresolved"] == 0 and ev["lost_in_dataplane"] == 0, ev)

    files, lines = event_lines(events1)
    matches = [l for l in lines if l["type"] == "match"]
    check("event-log: one line per matched flow", len(matches) == ev["flows"], f"{len(matches)} lines, {ev['flows']} flows")
    check("event-log: rotated by size, every file within max_bytes",
          len(files) > 2 and all(os.path.getsize(f) <= max_bytes for f in files if os.path.exists(f)),
          f"{len(files)} files")
    fields = ["time", "proto", "client", "client_port", "server", "server_port", "vlan", "direction", "host", "ioc",
              "matched", "feed", "advisory", "group", "action"]
    bad = [l for l in matches if any(k not in l for k in fields) or l["feed"] != "apt" or
           l["advisory"] != "941/CATTT-NCSC" or l["group"] != "Mustang Panda" or l["action"] != "drop"]
    check("event-log: every line names the IoC, how, feed, advisory, group, action", not bad, bad[:2])

    def expected_direction(l):
        ci, si = internal(l["client"]), internal(l["server"])
        return {(True, False): "outbound", (False, True): "inbound", (True, True): "internal"}.get((ci, si), "external")
    bad = [l for l in matches if l["direction"] != expected_direction(l) or
           (l["direction"] in ("outbound", "inbound") and not internal(l["host"]))]
    check("event-log: direction and host follow the internal networks", not bad, bad[:2])
    kinds = {l["matched"] for l in matches}
    check("event-log: matches of every kind (ip, dns, sni, host)", kinds >= {"ip", "dns", "sni", "host"}, kinds)
    t_end = time.time()
    times = [l["time"] for l in matches]
    in_window = all(time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_start - 1)) <= t <=
                    time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_end + 1)) + "Z" for t in times)
    check("event-log: times are the wall clock of the run", in_window, f"{min(times)} .. {max(times)}")

    rep = rig.report("--since", "1h")
    hosts = {h["host"]: h for h in rep["hosts"]}
    got_packets = {h: v["packets"] for h, v in hosts.items()}
    check("report: packets per internal host equal the truth's dropped packets",
          got_packets == truth["hosts"] and truth["unattributed"] == 0,
          f"differs: { {h: (got_packets.get(h), truth['hosts'].get(h)) for h in set(got_packets) | set(truth['hosts']) if got_packets.get(h) != truth['hosts'].get(h)} }, unattributed {truth['unattributed']}")
    per_host_lines = {}
    for l in matches:
        if l["direction"] != "external":
            per_host_lines[l["host"]] = per_host_lines.get(l["host"], 0) + 1
    check("report: flows per host equal the host's event lines",
          {h: v["flows"] for h, v in hosts.items()} == per_host_lines)
    lo = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_start - 1))
    hi = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t_end + 1))
    bad = [c for h in rep["hosts"] for c in h["contacts"]
           if not (lo <= c["first_seen"] <= c["last_seen"] <= hi)]
    check("report: first seen <= last seen, within the run", not bad, bad[:2])
    dirs = {(l["host"], l["ioc"], l["direction"]) for l in matches if l["direction"] != "external"}
    rdirs = {(h["host"], c["ioc"], c["direction"]) for h in rep["hosts"] for c in h["contacts"]}
    check("report: host, IoC and direction as in the event log", dirs == rdirs, len(dirs ^ rdirs))
    rc, _, err = rig.ctl_cmd("report", "--feed", "nonesuch", check=False, as_json=False)
    check("report: --feed of an unknown feed is an error that lists the known ones",
          rc != 0 and "nonesuch" in err and "no such feed" in err and "apt" in err, f"exit {rc}: {err}")

    stats_text = rig.ctl_out("stats")
    top_host = max(hosts.values(), key=lambda h: h["flows"])["host"]
    check("stats: text output shows the feed and the top host", "941/CATTT-NCSC" in stats_text and
          top_host in stats_text, stats_text[-600:])

    rig.stop("control")
    rig.start("control", cfg1)
    rep2 = rig.report("--since", "1h")
    # The timeline's bins count from the period's start, which moves with "now".
    strip = lambda r: json.dumps([{k: v for k, v in h.items() if k != "timeline"} for h in r["hosts"]], sort_keys=True)
    check("report: identical after a control restart (persisted)", strip(rep2) == strip(rep))
    text = rig.ctl_out("report", "--since", "1h")
    csv = rig.ctl_out("report", "--since", "1h", "--format", "csv")
    check("report: text and CSV list every host", all(h in text and h in csv for h in hosts), "")

    # HTML -> headless Chromium: the DOM holds every host; PNG and A4 PDF, in English and in
    # Vietnamese, with nothing split or off the page (tests/control/report_pdf_test.py).
    html = os.path.join(work, "report.html")
    rig.ctl_out("report", "--since", "1h", "--format", "html", "-o", html)
    chrome = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              f"--user-data-dir={tempfile.mkdtemp(dir=work)}"]
    dom = subprocess.run(chrome + ["--dump-dom", "file://" + html], capture_output=True, text=True, timeout=120).stdout
    missing = [h for h in hosts if f'data-host="{h}"' not in dom]
    check("html: the rendered page holds every expected host", hosts and not missing, missing[:5])
    check_report_page("en", html, rep2, work, check=check)
    html_vi = os.path.join(work, "report-vi.html")
    rig.ctl_out("report", "--since", "1h", "--format", "html", "--lang", "vi", "--utc-offset", "+07:00", "-o", html_vi)
    check_report_page("vi", html_vi, rep2, work, check=check)

    # Rate limit: the same capture again, with 5 lines a second.
    before = {h: (v["flows"], v["packets"]) for h, v in hosts.items()}
    flows_before = ev["flows"]
    rig.stop("control")
    events2 = os.path.join(work, "log2", "events.log")
    cfg2 = rig.config("run2.toml", capture, events2, 5, 1 << 20, 2)
    rig.start("control", cfg2)
    # `iocctl events --follow`, as an operator watches: started before the traffic, stopped after.
    follow = subprocess.Popen([rig.bins.iocctl, "--config", cfg2, "events", "--follow", "--json"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    run_capture(rig, cfg2, truth["received"])
    rig.stop("dataplane")
    st = wait_for(lambda: (lambda s: s if s["events"]["summaries"] == s["events"]["flows"] > 0 else None)(rig.stats()), 10)
    st = st or rig.stats()
    time.sleep(1.5)  # the suppressed summary goes out once the bucket refills
    _, lines2 = event_lines(events2)
    m2 = [l for l in lines2 if l["type"] == "match"]
    sup = [l for l in lines2 if l["type"] == "suppressed"]
    n2 = st["events"]["flows"]
    check("rate-limit: a burst is cut to the limit", 0 < len(m2) <= 5 + 3 and n2 == flows_before,
          f"{len(m2)} lines for {n2} flows")
    check("rate-limit: suppressed lines account for every other flow", sup and len(m2) + sum(l["events"] for l in sup) == n2,
          f"{len(m2)} + {sum(l['events'] for l in sup)} vs {n2}")
    rep3 = rig.report("--since", "1h")
    after = {h["host"]: (h["flows"], h["packets"]) for h in rep3["hosts"]}
    check("rate-limit: the report keeps counting (twice the flows and packets)",
          after == {h: (2 * f, 2 * p) for h, (f, p) in before.items()})

    time.sleep(1)
    follow.terminate()
    fout, ferr = follow.communicate(timeout=10)
    followed = [json.loads(l) for l in fout.splitlines() if l.strip()]
    _, lines2 = event_lines(events2)
    check("events --follow: printed every line the log got while it ran, in order, and exited 0 on SIGTERM",
          follow.returncode == 0 and [json.dumps(l, sort_keys=True) for l in followed] ==
          [json.dumps(l, sort_keys=True) for l in lines2],
          f"exit {follow.returncode}, {len(followed)} lines followed, {len(lines2)} in the log {ferr[-200:]}")

    # A mistaken feed's hits forgotten: gone from the report, the act recorded with who and when.
    _, r, _ = rig.ctl_cmd("hits", "forget", "--feed", "apt")
    f = r.get("forgotten", {})
    check("hits forget: the feed's records removed", f.get("records", 0) > 0 and f.get("flows", 0) > 0, f)
    rep4 = rig.report("--since", "1h")
    check("hits forget: the report has no host left, and records who forgot which feed",
          not rep4["hosts"] and any(x["feed"] == "apt" and x["state"] == "done" and "uid 0" in x["by"]
                                    for x in rep4["forgotten"]), json.dumps(rep4["forgotten"])[:300])
    text4 = rig.ctl_out("report", "--since", "1h")
    check("hits forget: the text report says the feed's hits were forgotten", "apt" in text4 and "uid 0" in text4,
          text4[:300])
    rc, r, _ = rig.ctl_cmd("hits", "forget", "--feed", "apt", check=False)
    check("hits forget: a second forget of the same feed is refused (nothing to forget)", rc != 0 and not r.get("ok"),
          r.get("error", ""))

    # A watch list: the monthly botnet list names two of our own hosts. Pushed without --force
    # (own addresses), it never blocks: the capture's drops stay the truth's; every flow of
    # those hosts is recorded, and they head the report as infected.
    quiet = sorted(h for h in before if ":" not in h)[-2:]
    watch = os.path.join(work, "botnet-watch.txt")
    with open(watch, "w") as f:
        f.write("# NCSC monthly botnet list: infected hosts of this data center\n" + "\n".join(quiet) + "\n")
    rc, r, err = rig.ctl_cmd("feed", "push", watch, "--name", "botnet-watch", "--role", "infected", check=False)
    check("watch list: own addresses pushed with --role infected, no --force needed", rc in (0, 4) and
          r.get("feed", {}).get("role") == "infected", f"exit {rc} {err} {json.dumps(r)[:200]}")
    run_capture(rig, cfg2, truth["received"])
    st3 = rig.stats()
    check("watch list: the hosts' traffic passes (drops are the advisory's, as the truth says)",
          st3["counters"]["dropped_packets"] == truth["dropped"],
          f"{st3['counters']['dropped_packets']} dropped, truth {truth['dropped']}")
    rig.stop("dataplane")
    wait_for(lambda: (lambda s: s if s["events"]["summaries"] == s["events"]["flows"] else None)(rig.stats()), 10)
    rep5 = rig.report("--since", "1h")
    top = [h["host"] for h in rep5["hosts"][:2]]
    check("watch list: the listed hosts head the report, flagged infected",
          sorted(top) == quiet and all(h["class"] == "infected" for h in rep5["hosts"][:2]),
          [(h["host"], h["class"]) for h in rep5["hosts"][:4]])
    recorded = {h["host"]: h for h in rep5["hosts"]}
    want = host_flows(os.path.join(traffic_dir, "traffic.pcap"), quiet)
    check("watch list: every flow of the listed hosts is recorded (report flows >= their 5-tuples in the capture)",
          all(q in recorded and recorded[q]["flows"] >= want[q] > 0 for q in quiet),
          {q: (recorded.get(q, {}).get("flows"), want[q]) for q in quiet})


if __name__ == "__main__":
    main()
