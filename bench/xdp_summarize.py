#!/usr/bin/python3
"""bench/xdp_summarize.py — the JSON lines of one bench/xdp_bench.sh run as the Markdown tables
of docs/BENCHMARKS.md: the median of the rounds per filter, set and mix, each rate also as a
ratio to "none" of the same run (the machine is shared: ratios travel, absolute rates do not).

usage: xdp_summarize.py RESULTS.jsonl
"""
import json
import statistics
import sys


def main():
    rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
    pps = {}
    skipped = {}
    for r in rows:
        if r.get("label") != "xdp_pps":
            continue
        key = (r["set"], r["filter"])
        if "skipped" in r:
            skipped[key] = r["skipped"]
            continue
        pps.setdefault(key + (r["mix"],), []).append(r)
    print("#### Frames per second through the veth pair (median of the rounds; Mpps)\n")
    print("| set | filter | drop mix: Mpps | share dropped | × none | pass mix: Mpps | share passed | × none |")
    print("|---|---|---|---|---|---|---|---|")
    for s in dict.fromkeys(k[0] for k in pps):
        base = {m: statistics.median(x["judged_mpps"] for x in pps.get((s, "none", m), [])) or 1
                for m in ("drop", "pass")}
        for f in ("none", "iocgate", "xdp-filter", "nft"):
            if (s, f) in skipped:
                print(f"| {s} | {f} | — | — | | — | — | ({skipped[(s, f)]}) |")
                continue
            cells = []
            for m in ("drop", "pass"):
                runs = pps.get((s, f, m), [])
                if not runs:
                    cells += ["—", "", ""]
                    continue
                med = statistics.median(x["judged_mpps"] for x in runs)
                frac = statistics.median(x["dropped_fraction"] for x in runs)
                share = f"{frac:.4f}" if m == "drop" else f"{1 - frac:.4f}"
                cells += [f"{med:.3f}", share, f"{med / base[m]:.2f}"]
            print(f"| {s} | {f} | " + " | ".join(cells) + " |")
    print("\n#### Per-frame program cost (BPF_PROG_TEST_RUN, ns per frame)\n")
    print("| set | program | case | ns/frame | dropped |")
    print("|---|---|---|---|---|")
    for r in rows:
        if r.get("mode") == "prog":
            print(f"| {r['set']} | {r['program']} | {r['case']} | {r['ns_per_frame']:.0f} | {r['dropped_fraction']:.0f} |")
    print("\n#### Memory\n")
    for r in rows:
        if r.get("label") == "xdp_memory":
            print("- " + ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("tool", "label")))
        if r.get("mode") == "install":
            print(f"- iocgate {r['set']}: image {r['image_bytes']} B for {r['iocs']} IoCs "
                  f"({r['image_bytes'] / r['iocs']:.1f} B/IoC); by kind: IPv4 {r['bytes_per_v4']:.1f}, "
                  f"IPv6 {r['bytes_per_v6']:.1f}, domain {r['bytes_per_domain']:.1f} B; "
                  f"fixed maps beside (flows, ring, counters) {r['other_map_bytes']} B")
        if r.get("label") == "xdp_capacity":
            print(f"- xdp-filter capacity: {r['entries_held']} entries held of {r['attempted']} tried ({r['bpftool']})")
    print("\n#### Push to enforced\n")
    for r in rows:
        if r.get("mode") == "install":
            print(f"- XDP side, {r['set']} ({r['iocs']} IoCs): compile {r['compile_s']:.3f} s (not part of it), "
                  f"open+validate {r['open_validate_s']:.3f} s, image {r['build_s']:.3f} s, switch {r['switch_s']:.4f} s, "
                  f"enforced after {r['enforced_after_s']:.3f} s")
        if r.get("label") == "xdp_push_e2e":
            print("- end to end: " + ", ".join(f"{k} {v}" for k, v in r.items() if k not in ("tool", "label")))


if __name__ == "__main__":
    main()
