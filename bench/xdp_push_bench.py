#!/usr/bin/python3
"""bench/xdp_push_bench.py — push-to-enforced of a large feed through the real appliance with
the XDP path: `iocgate control` and `iocgate-xdp` (attached to IFACE in namespace NS), then
`iocctl feed push FEED` timed from the command to its reply, which returns once the XDP path
reports the new generation. Prints one JSON line. Called by bench/xdp_bench.sh.

usage: xdp_push_bench.py BUILD_DIR NS IFACE FEED
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
from iocgate_harness import Appliance, Binaries, make_work  # noqa: E402


def main():
    build, ns, iface, feed = sys.argv[1:5]
    bins = Binaries(os.path.join(build, "control", "iocgate"), os.path.join(build, "control", "iocctl"))
    work = make_work("iocgate-xdp-push-")
    app = Appliance(bins, work, instance=f"xpush{os.getpid()}")
    out = {"label": "xdp_push_e2e", "feed_lines": sum(1 for _ in open(feed))}
    try:
        cfg = app.config("iocgate.toml", "", "", xdp={"interfaces": [iface], "mode": "native"},
                         control={"publish_timeout_ms": 600000}, guards={"max_shrink_percent": 100})
        app.start_control(cfg)
        xdp_log = os.path.join(work, "xdp.log")
        xdp = app.spawn("xdp", [os.path.join(build, "xdp", "iocgate-xdp"), "--config", cfg], ns=ns, log=xdp_log)
        app.wait_log(xdp_log, "iocgate xdp: enforcing on", xdp)
        t0 = time.time()
        rc, reply, err = app.ctl_cmd("feed", "push", feed, "--name", "big", "--action", "drop", "--skip-refused",
                                     check=False, timeout=900)
        out["push_s"] = time.time() - t0
        out["rc"] = rc
        for k in ("ok", "enforced", "generation", "compile_seconds", "enforce_seconds", "table", "warning"):
            if k in reply:
                out[k] = reply[k]
        if rc != 0:
            out["error"] = (json.dumps(reply) + err)[-300:]
        switched = [l for l in open(xdp_log, errors="replace") if "switched in" in l]
        if switched:
            out["xdp_switch_line"] = switched[-1].strip()
    finally:
        app.cleanup()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
