#!/usr/bin/python3
"""`iocgate feed check --config` and `iocctl feed push` are one verdict: every real feed of
../shared/feeds and every fixture of tests/fixtures/feeds, checked and pushed to a real control
process with the same config, is accepted by both or refused by both, with the same number of
IoCs; `push --format` takes exactly the names `feed check --format` takes.

usage: check_push_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]
Ends with "N passed, M failed".
"""
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import REPO, Appliance, Binaries, run_suite  # noqa: E402

SHARED = os.environ.get("IOCGATE_SHARED", os.path.join(REPO, "..", "shared"))


def feed_files():
    files = sorted(p for p in glob.glob(os.path.join(SHARED, "feeds", "**", "*"), recursive=True)
                   if os.path.isfile(p) and not p.endswith("SOURCES.md"))
    files += sorted(p for p in glob.glob(os.path.join(REPO, "tests", "fixtures", "feeds", "*"))
                    if os.path.isfile(p) and not p.endswith("README.md"))
    return files


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(check, work):
        app = Appliance(bins, work)
        cfg = app.config("check.toml", "net_null_in", "net_null_out,no-rx=1",
                         network={"internal": ["10.0.0.0/8", "fd00::/8"]})
        app.start_control(cfg)
        files = feed_files()
        check("there are real feeds and fixtures to try", len(files) > 40, len(files))
        same = differ = accepted = 0
        for i, path in enumerate(files):
            r = subprocess.run([bins.iocgate, "feed", "check", "--config", cfg, "--json", path], capture_output=True,
                               text=True, timeout=120)
            try:
                verdict = json.loads(r.stdout)[0]
            except (json.JSONDecodeError, IndexError):
                verdict = {"accepted": False, "iocs": 0, "errors": [r.stderr.strip()]}
            rc, reply, err = app.ctl_cmd("feed", "push", path, "--name", f"f{i}", check=False, timeout=300)
            # 4: stored and published, not enforced (no dataplane here): accepted all the same.
            pushed = rc in (0, 4) and reply.get("ok")
            n_push = reply.get("feed", {}).get("iocs", 0) if pushed else 0
            agree = verdict["accepted"] == bool(pushed) and (not pushed or n_push == verdict["iocs"])
            reason = "" if verdict["accepted"] else (verdict.get("errors") or ["?"])[0]
            stated = verdict["accepted"] or (reason and reply.get("error"))
            same += agree
            differ += not agree
            accepted += bool(pushed)
            check(f"{os.path.relpath(path, os.path.dirname(SHARED))}: check and push agree"
                  f" ({'accepted, ' + str(n_push) + ' IoCs' if pushed else 'refused'})", agree and stated,
                  f"check {verdict['accepted']} {verdict['iocs']} / push exit {rc} {n_push}: "
                  f"{(reply.get('error') or reason or '')[:200]}")
            if pushed:
                app.ctl_cmd("feed", "remove", f"f{i}", check=False)
        print(f"FIGURE check/push: {len(files)} files, {same} same verdict ({accepted} accepted), {differ} differ",
              flush=True)

        # --format: every registry name is taken by both; anything else refused by both.
        help_text = subprocess.run([bins.iocgate, "feed", "check", "--help"], capture_output=True, text=True).stdout
        names = re.findall(r"^\s+([a-z0-9.-]+): ", help_text, re.M)
        check("feed check --help lists the format names", len(names) >= 20, names)
        plain = os.path.join(work, "one.txt")
        with open(plain, "w") as f:
            f.write("198.51.100.9\n")
        unknown_push = []
        for n in names:
            rc, reply, _ = app.ctl_cmd("feed", "push", plain, "--name", "fmt", "--format", n, check=False)
            if "unknown format" in reply.get("error", ""):
                unknown_push.append(n)
            app.ctl_cmd("feed", "remove", "fmt", check=False)
        check("push --format takes every name feed check takes", not unknown_push, unknown_push)
        rc, reply, _ = app.ctl_cmd("feed", "push", plain, "--name", "fmt", "--format", "bogus", check=False)
        rc2 = subprocess.run([bins.iocgate, "feed", "check", "--format", "bogus", plain], capture_output=True).returncode
        check("push --format bogus and feed check --format bogus are both refused",
              rc == 1 and "unknown format 'bogus'" in reply.get("error", "") and rc2 != 0, f"{rc} {reply} / {rc2}")
    sys.exit(run_suite("check/push test", body, "iocgate-checkpush."))


if __name__ == "__main__":
    main()
