#!/usr/bin/python3
"""Working with single IoCs on the real appliance: `iocctl explain` across several feeds
(hosts, prefixes, domains and subdomains, URLs, allowlist wins), `iocctl ioc add/remove`
(each a publish, shown as a diff), `feed show` paging, and a re-push that keeps the feed's
metadata and prints what it adds and removes.

usage: ioc_ops_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]
Ends with "N passed, M failed".
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, run_suite  # noqa: E402


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(check, work):
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "3", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        app = Appliance(bins, work)
        cfg = app.config("ops.toml", f"net_pcap_in,rx_pcap={os.path.join(traffic_dir, 'traffic.pcap')},infinite_rx=1",
                         "net_null_out,no-rx=1")
        app.start_dataplane(cfg)
        app.start_control(cfg)
        alerts = write(os.path.join(work, "alerts.txt"), "# watch list\n198.51.100.0/24\nevil.example\n")
        drops = write(os.path.join(work, "drops.txt"),
                      "# advisory 941\n198.51.100.7  # C2 of the loader\nhxxps://cdn.evil[.]example/x.js\n2001:db8:5::/48\n")
        allow = write(os.path.join(work, "allow.txt"), "198.51.100.8\n")
        app.ctl_cmd("feed", "push", alerts, "--name", "watch", "--action", "alert", "--advisory", "ADV-A")
        app.ctl_cmd("feed", "push", drops, "--name", "apt", "--advisory", "941/CATTT-NCSC", "--group", "Mustang Panda",
                    "--expires", "2099-01-01")
        app.ctl_cmd("feed", "push", allow, "--name", "ours", "--action", "allow")

        _, e, _ = app.ctl_cmd("explain", "198.51.100.7")
        feeds = [(c["entry"], c["feed"], c["action"], c["decides"]) for c in e["covering"]]
        check("explain: a host lists the host entry (decides, drop) and the covering /24 (alert)",
              e["verdict"]["action"] == "drop" and ("198.51.100.7", "apt", "drop", True) in feeds and
              ("198.51.100.0/24", "watch", "alert", True) in feeds, json.dumps(e)[:600])
        host = next(c for c in e["covering"] if c["feed"] == "apt")
        check("explain: line, advisory, group, expiry and the entry as written", host["line"] == 2 and
              host["advisory"] == "941/CATTT-NCSC" and host["group"] == "Mustang Panda" and
              host["expires_unix"] > 0 and "198.51.100.7" in host.get("written", ""), json.dumps(host))
        _, e, _ = app.ctl_cmd("explain", "198.51.100.9")
        check("explain: an address only the prefix covers: alert, covered by 198.51.100.0/24",
              e["verdict"]["action"] == "alert" and e["verdict"]["entry"] == "198.51.100.0/24", json.dumps(e["verdict"]))
        _, e, _ = app.ctl_cmd("explain", "198.51.100.8")
        check("explain: the allowlist wins over the alert prefix", e["verdict"]["action"] == "allow" and
              "allowlist" in e["verdict"]["why"], json.dumps(e["verdict"]))
        _, e, _ = app.ctl_cmd("explain", "a.b.cdn.evil.example")
        entries = {(c["entry"], c["feed"]) for c in e["covering"]}
        check("explain: a subdomain: every listed parent, the most specific deciding",
              e["verdict"]["action"] == "drop" and entries == {("cdn.evil.example", "apt"), ("evil.example", "watch")}
              and e["verdict"]["entry"] == "cdn.evil.example", json.dumps(e)[:500])
        _, e, _ = app.ctl_cmd("explain", "hxxps://notevil[.]example/path")
        check("explain: a look-alike passes, no entry covers it", e["verdict"]["action"] == "none" and
              not e["covering"], json.dumps(e)[:300])
        _, e, _ = app.ctl_cmd("explain", "2001:db8:5:1::99")
        check("explain: an IPv6 address inside a listed /48", e["verdict"]["action"] == "drop" and
              e["covering"][0]["entry"] == "2001:db8:5::/48", json.dumps(e)[:300])
        rc, e, _ = app.ctl_cmd("explain", "not a value", check=False)
        check("explain: a value that is none of these is a clear error", rc == 1 and e.get("error"), e)

        t = time.time()
        rc, r, _ = app.ctl_cmd("ioc", "add", "apt", "203.0.113.99", "bad[.]example", check=False)
        secs = time.time() - t
        check("ioc add: published and enforced within 1 s, shown as a diff",
              rc == 0 and r["enforced"] and secs <= 1.0 and set(r["diff"]["added"]) == {"203.0.113.99", "bad.example"},
              f"{secs:.3f} s {json.dumps(r.get('diff'))}")
        _, e, _ = app.ctl_cmd("explain", "203.0.113.99")
        check("ioc add: explain now names feed apt", e["verdict"]["action"] == "drop" and e["covering"][0]["feed"] == "apt")
        rc, r, _ = app.ctl_cmd("ioc", "remove", "apt", "198.51.100.7", "192.0.2.1", check=False)
        check("ioc remove: published, the diff names what was removed and what was not listed",
              rc == 0 and r["enforced"] and r["diff"]["removed"] == ["198.51.100.7"] and
              r["diff"]["not_listed"] == ["192.0.2.1"], json.dumps(r.get("diff")))
        _, e, _ = app.ctl_cmd("explain", "198.51.100.7")
        check("ioc remove: the address now falls back to the alert prefix", e["verdict"]["action"] == "alert")
        rc, r, _ = app.ctl_cmd("ioc", "add", "apt", "127.0.0.1", check=False)
        check("ioc add: the guards apply (loopback refused, nothing added)", rc == 1 and "loopback" in r.get("error", ""),
              r.get("error"))
        # A restart keeps the edits.
        app.stop("ctl")
        app.start_control(cfg)
        _, e, _ = app.ctl_cmd("explain", "203.0.113.99")
        _, st, _ = app.ctl_cmd("status", check=False)
        check("ioc edits survive a control restart (not degraded)", e["verdict"]["action"] == "drop" and
              st["state"] == "enforcing", f"{e['verdict']} {st['state']} {st['problems']}")

        # A re-push keeps the metadata it does not give, clears the edits, prints its diff.
        drops2 = write(os.path.join(work, "drops2.txt"), "198.51.100.7\n2001:db8:5::/48\nnew.example\n")
        # It removes 3 of the 4 IoCs the feed has now: the shrink guard holds it first.
        rc, r, _ = app.ctl_cmd("feed", "push", drops2, "--name", "apt", check=False)
        check("re-push: an update that removes most of the feed is held", rc == 1 and "held" in r.get("error", ""),
              r.get("error"))
        rc, r, _ = app.ctl_cmd("feed", "push", drops2, "--name", "apt", "--confirm", check=False)
        f = r.get("feed", {})
        check("re-push: advisory, group, action and expiry kept", rc == 0 and f.get("advisory") == "941/CATTT-NCSC" and
              f.get("group") == "Mustang Panda" and f.get("action") == "drop" and f.get("expires_unix", 0) > 0,
              json.dumps(f)[:300] or r.get("error"))
        d = r.get("diff", {})
        check("re-push: the diff says what it adds and removes",
              set(d.get("added_first", [])) == {"198.51.100.7", "new.example"} and
              set(d.get("removed_first", [])) == {"cdn.evil.example", "203.0.113.99", "bad.example"} and
              any("edits" in n for n in r.get("notes", [])), json.dumps(d))

        # A watch list of own hosts seen infected (the monthly botnet list).
        own = write(os.path.join(work, "infected.txt"), "# monthly botnet list\n10.1.2.3\n10.1.2.4\n")
        rc, r, _ = app.ctl_cmd("feed", "push", own, "--name", "botnet-dec", check=False)
        check("watch list: own hosts pushed as a block list are refused by the own-network guard",
              rc == 1 and "own network" in r.get("error", ""), r.get("error", "")[:200])
        rc, r, _ = app.ctl_cmd("feed", "push", own, "--name", "botnet-dec", "--role", "infected", check=False)
        check("watch list: pushed with --role infected without --force; it alerts, never drops",
              rc == 0 and r["feed"]["role"] == "infected" and r["feed"]["action"] == "alert", json.dumps(r)[:300])
        rc, r, _ = app.ctl_cmd("feed", "push", own, "--name", "botnet-dec", "--action", "drop", check=False)
        check("watch list: a watch list cannot be made to block", rc == 1 and "never blocked" in r.get("error", ""),
              r.get("error"))
        _, e, _ = app.ctl_cmd("explain", "10.1.2.3")
        check("watch list: explain names the role", e["verdict"]["action"] == "alert" and
              e["covering"][0]["role"] == "infected", json.dumps(e)[:300])
        names = write(os.path.join(work, "names.txt"), "evil.example\n")
        rc, r, _ = app.ctl_cmd("feed", "push", names, "--name", "badlist", "--role", "infected", check=False)
        check("watch list: a name is refused in a list of hosts", rc == 1 and "is a name" in r.get("error", ""),
              r.get("error"))

        # feed show of every entry.
        big = write(os.path.join(work, "big.txt"), "".join(f"198.18.{i // 250}.{i % 250 + 1}\n" for i in range(2500)))
        app.ctl_cmd("feed", "push", big, "--name", "big")
        _, page, _ = app.ctl_cmd("feed", "show", "big")
        _, page2, _ = app.ctl_cmd("feed", "show", "big", "--offset", "2000", "--limit", "1000")
        _, everything, _ = app.ctl_cmd("feed", "show", "big", "--all")
        check("feed show: 1000 a page with the total, --offset pages, --all gives every entry",
              len(page["iocs"]) == 1000 and page["total"] == 2500 and page["next_offset"] == 1000 and
              len(page2["iocs"]) == 500 and page2["next_offset"] is None and len(everything["iocs"]) == 2500,
              f"{len(page['iocs'])} {page['total']} {len(page2['iocs'])} {len(everything['iocs'])}")
        app.stop("ctl")
        app.stop("dp")
    sys.exit(run_suite("ioc operations test", body, "iocgate-iocops."))


if __name__ == "__main__":
    main()
