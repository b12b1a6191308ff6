#!/usr/bin/python3
"""Attribution that is never lost: flows that live across 25 publishes of unrelated feeds (and a
re-push of the advisory that shifts every record index) are reported under the right IoC and
feed, with 0 unresolved.

usage: attribution_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]

1. The advisory (gen_traffic's feed.txt) is pushed and the capture judged once, flows ending at
   a clean stop: that report's (host, IoC, how) rows are the reference (the observability test
   checks that report against the traffic's truth).
2. The same capture replayed in a loop (the same flows, living across generations) while 25
   unrelated feeds are pushed in quick succession, named to sort before the advisory so each
   push moves the advisory's record indexes, and the advisory itself is pushed again with one
   more IoC in the middle of them.
   A kill -9 of the control process then makes it forget which IoC each open flow matched.
3. Every row of the report since step 2 names an IoC of the advisory, its feed and advisory, and
   a (host, IoC, how) of the reference; the control process counted 0 unresolved events.
Ends with "N passed, M failed".
"""
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, run_suite, wait_for  # noqa: E402


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(check, work):
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "11", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        capture = os.path.join(traffic_dir, "traffic.pcap")
        feed = os.path.join(traffic_dir, "feed.txt")
        app = Appliance(bins, work)
        finite = app.config("finite.toml", f"net_pcap_in,rx_pcap={capture}", "net_null_out,no-rx=1",
                            events={"rate_limit_per_s": 0})
        looped = app.config("looped.toml", f"net_pcap_in,rx_pcap={capture},infinite_rx=1", "net_null_out,no-rx=1",
                            events={"rate_limit_per_s": 0})
        app.start_control(finite)
        app.ctl_cmd("feed", "push", feed, "--name", "apt", "--advisory", "941/CATTT-NCSC", check=False)

        def report(since):
            return json.loads(app.ctl_cmd("report", "--since", since, "--format", "json", as_json=False)[1])

        def rows(rep):
            return [(h["host"], c["ioc"], c["matched"], c["feed"], c.get("advisory", "")) for h in rep["hosts"]
                    for c in h["contacts"]]

        def settled():
            st = app.ctl_cmd("stats")[1]["events"]
            return st if st["summaries"] == st["flows"] > 0 else None

        app.start_dataplane(finite)
        time.sleep(3)
        app.stop("dp")
        wait_for(settled, 15)
        time.sleep(2.5)  # the review store flushes every 2 s
        ref = rows(report("1h"))
        reference = {(h, i, m) for h, i, m, _, _ in ref}
        listed = {i["ioc"] for i in app.ctl_cmd("feed", "show", "apt", "--all")[1]["iocs"]}
        check("reference: the capture's matched flows are reported under the advisory",
              reference and all(f == "apt" for _, _, _, f, _ in ref), f"{len(reference)} (host, IoC, how)")
        t_mark = time.time()
        time.sleep(1.1)

        # Step 2: flows living across 25 unrelated publishes and a re-push of the advisory.
        app.stop("ctl")
        app.start_control(looped)
        app.start_dataplane(looped)
        rng = random.Random(5)
        plus = os.path.join(work, "feed-plus.txt")
        with open(plus, "w") as f:
            f.write(open(feed).read() + "\n45.77.200.1\n")
        generations = []
        for i in range(25):
            noise = os.path.join(work, f"noise{i}.txt")
            with open(noise, "w") as f:
                f.write("".join(f"45.{rng.randrange(1, 250)}.{rng.randrange(256)}.{rng.randrange(1, 250)}\n"
                                for _ in range(40)))
            _, r, _ = app.ctl_cmd("feed", "push", noise, "--name", f"aa-noise-{i:02d}", "--action", "alert", check=False)
            generations.append(r.get("generation"))
            if i == 12:
                _, r, _ = app.ctl_cmd("feed", "push", plus, "--name", "apt", "--advisory", "941/CATTT-NCSC", check=False)
                generations.append(r.get("generation"))
            time.sleep(0.05)
        check("25 unrelated publishes and a re-push of the advisory, consecutive generations",
              len(generations) == 26 and all(b == a + 1 for a, b in zip(generations, generations[1:])), generations)
        time.sleep(1)
        # A control restart: the collector forgets which IoC each open flow matched, so the
        # flows' summaries must resolve by the generation they carry.
        app.kill("ctl")
        app.start_control(looped)
        time.sleep(0.5)
        app.stop("dp")
        # After the restart the summaries arrive without their first matches (counted before).
        wait_for(lambda: app.ctl_cmd("stats")[1]["events"]["summaries"] >= len(reference), 20)
        time.sleep(2.5)
        since = f"{int(time.time() - t_mark) + 1}s"
        got = rows(report(since))
        wrong_feed = [r for r in got if r[3] != "apt" or r[4] != "941/CATTT-NCSC"]
        not_listed = [r for r in got if r[1] not in listed]
        unexpected = [r for r in got if (r[0], r[1], r[2]) not in reference]
        check("every row names the advisory's feed and advisory", got and not wrong_feed, wrong_feed[:3])
        check("every row names an IoC the advisory lists", not not_listed, not_listed[:3])
        check("every (host, IoC, how) is one the traffic really has", not unexpected, unexpected[:3])
        st = app.ctl_cmd("stats")[1]["events"]
        check("0 events unresolved, none lost", st["unresolved"] == 0 and st.get("lost_in_dataplane", 0) == 0 and
              st["summaries"] > 0, json.dumps(st))
        wrong = len(wrong_feed) + len(not_listed) + len(unexpected)
        print(f"FIGURE attribution: {len(got)} report rows after 26 publishes, {wrong} wrong, "
              f"{st['unresolved']} unresolved", flush=True)
        app.stop("ctl")
    sys.exit(run_suite("attribution test", body, "iocgate-attribution."))


if __name__ == "__main__":
    main()
