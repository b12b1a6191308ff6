#!/usr/bin/python3
"""Faults never open the link or shrink enforcement silently: the real dataplane and control
processes started on damaged state, a full state disk, a feed walked down in small steps, and
`iocctl status` in every state.

usage: faults_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]

Checks:
  table     table.current missing / truncated / a byte flipped in the header and in the body /
            garbage / a directory / a valid table of another instance / a patched generation,
            and every stored table damaged: the dataplane, restarted alone (no published
            generation in shared memory, as after a reboot), judges a finite capture; it must
            enforce a good table (every packet as the truth says) or drop everything
            (fail-closed), never forward unfiltered; on_no_table = "forward" is the one way to
            forward, and says so.
  feeds     a stored feed truncated / emptied / missing / garbage / its action edited / its
            metadata missing: control restarts, marks it degraded (status exit 7, feed list),
            keeps enforcing exactly what the last good table held (same entries and verdicts),
            writes no new generation; a push of it repairs it.
  disk      the state directory on a full filesystem: control restarts and enforces (nothing to
            write), a push is refused cleanly with the table unchanged; a start-up that must
            write is retried and reported (status exit 8).
  shrink    a feed of 100 IoCs pushed as 51, then 26: the second step is held against the
            baseline (100), --confirm applies it.
  status    exit codes: 0 enforcing, 4 dataplane down, 5 fail-closed, 6 lagging, 7 degraded,
            8 publish pending.
Ends with "N passed, M failed".
"""
import glob
import json
import mmap
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, ensure_control_user, run_suite, wait_for  # noqa: E402

check = None


def entries(st):
    return {k: st["table"][k] for k in ("ipv4", "ipv6", "domains")}


class Rig(Appliance):
    def __init__(self, bins, work, traffic_dir, instance=None):
        super().__init__(bins, work, instance)
        self.traffic_dir = traffic_dir
        self.traffic = os.path.join(traffic_dir, "traffic.pcap")
        self.feed = os.path.join(traffic_dir, "feed.txt")

    def live_config(self, **sections):
        return self.config("live.toml", f"net_pcap_in,rx_pcap={self.traffic},infinite_rx=1", "net_null_out,no-rx=1",
                           **sections)

    def finite_config(self, passed, **sections):
        return self.config("finite.toml", f"net_pcap_in,rx_pcap={self.traffic}", f"net_pcap_out,tx_pcap={passed}",
                           **sections)

    def judge(self, label, **sections):
        """Runs the dataplane alone over the finite capture: ('truth' | 'closed' | 'open' |
        'other', log text). 'truth': every packet as the truth says; 'closed': nothing passed."""
        passed = os.path.join(self.work, f"passed-{label}.pcap")
        cfg = self.finite_config(passed, **sections)
        mark = self.log_size(self.dp_log)
        self.start_dataplane(cfg)
        time.sleep(3)  # the finite capture is consumed in well under a second
        self.stop("dp")
        log = open(self.dp_log, errors="replace").read()[mark:]
        r = subprocess.run([PY, os.path.join(HERE, "check_verdicts.py"), "--label", label, self.traffic, passed, "-",
                            os.path.join(self.traffic_dir, "truth.tsv")], capture_output=True, text=True)
        if r.returncode == 0:
            return "truth", log
        n_passed = pcap_count(passed)
        total = pcap_count(self.traffic)
        if n_passed == 0:
            return "closed", log
        return ("open" if n_passed == total else "other"), log + (r.stdout + r.stderr)[-800:]

    def clear_shm(self):
        """As after a reboot: nothing of the control block or snapshots is left."""
        for p in glob.glob(os.path.join(self.shm, "*")):
            os.unlink(p)


def pcap_count(path):
    if not os.path.exists(path):
        return 0
    data = open(path, "rb").read()
    off, n = 24, 0
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        off += 16 + incl
        n += 1
    return n


def snapshot_state(app, name):
    dst = os.path.join(app.work, name)
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(app.state, dst, symlinks=True)
    return dst


def restore_state(app, snap):
    shutil.rmtree(app.state)
    shutil.copytree(snap, app.state, symlinks=True)
    # As the store keeps it: table.current is a second name (hard link) of the newest table.
    gens = stored_generations(app)
    current = os.path.join(app.state, "table.current")
    if gens and os.path.exists(current):
        os.unlink(current)
        os.link(os.path.join(app.state, "tables", f"{gens[-1]}.table"), current)
    user = ensure_control_user()
    for root, dirs, files in os.walk(app.state):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), user.pw_uid, user.pw_gid)
    os.lchown(app.state, user.pw_uid, user.pw_gid)


def flip(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x5a]))


def stored_generations(app):
    return sorted(int(os.path.basename(p).split(".")[0]) for p in glob.glob(os.path.join(app.state, "tables", "*.table")))


def table_faults(app, other_table):
    """Two good generations on disk (G1: the feed, G2: the feed and one more IoC that no
    packet touches, so both give the truth's verdicts), then one fault at a time."""
    cfg = app.live_config()
    app.start_dataplane(cfg)
    app.start_control(cfg)
    app.ctl_cmd("feed", "push", app.feed, "--name", "apt")
    plus = os.path.join(app.work, "plus.txt")
    with open(plus, "w") as f:
        f.write(open(app.feed).read() + "\n198.18.200.200\n")
    app.ctl_cmd("feed", "push", plus, "--name", "apt")
    app.expected = entries(app.ctl_cmd("status")[1])
    gens = stored_generations(app)
    app.stop("ctl")
    app.stop("dp")
    check("table: the store keeps more than one generation", len(gens) >= 2, gens)
    snap = snapshot_state(app, "state-tables")
    current = lambda: os.path.join(app.state, "table.current")  # noqa: E731
    newest = lambda: os.path.join(app.state, "tables", f"{gens[-1]}.table")  # noqa: E731
    size = os.path.getsize(os.path.join(snap, "table.current"))

    def garbage(path):
        with open(path, "r+b") as f:  # the same inode: tables/G.table shares it
            f.write(os.urandom(size))

    def replace_with_dir(path):
        os.unlink(path)
        os.mkdir(path)

    def other_instance(path):
        with open(path, "wb") as f:  # same inode, a valid table of another instance
            f.write(open(other_table, "rb").read())

    def patch_generation(path):
        with open(path, "r+b") as f:
            f.seek(24)
            f.write(struct.pack("<Q", gens[-1] + 100))

    faults = [("missing", lambda: os.unlink(current())),
              ("truncated", lambda: os.truncate(current(), size // 3)),
              ("header byte flipped", lambda: flip(current(), 100)),
              ("body byte flipped", lambda: flip(current(), size // 2)),
              ("garbage", lambda: garbage(current())),
              ("a directory", lambda: replace_with_dir(current())),
              ("another instance's valid table", lambda: other_instance(current())),
              ("patched generation", lambda: patch_generation(current()))]
    tried = good = closed = unfiltered = 0
    for name, fault in faults:
        restore_state(app, snap)
        app.clear_shm()
        fault()
        outcome, log = app.judge(name.replace(" ", "-").replace("'", ""))
        tried += 1
        good += outcome == "truth"
        closed += outcome == "closed"
        unfiltered += outcome in ("open", "other")
        loud = "enforcing" in log and ("OLDER" in log or "REFUSED" in log or name in ("missing", "a directory"))
        check(f"table: table.current {name}: a good table enforced, loudly", outcome == "truth" and loud,
              f"{outcome}: " + " | ".join(l for l in log.splitlines() if "iocgate dataplane" in l)[:600])
    # Every table damaged: fail-closed, and fail-open only when the config says so.
    restore_state(app, snap)
    app.clear_shm()
    for p in glob.glob(os.path.join(app.state, "tables", "*.table")):
        flip(p, 100)
    outcome, log = app.judge("all-damaged")
    tried += 1
    closed += outcome == "closed"
    unfiltered += outcome in ("open", "other")
    check("table: every stored table damaged: fail-closed (nothing forwarded), the log names the files",
          outcome == "closed" and "FAIL-CLOSED" in log and "tables/" in log, f"{outcome}: {log[-600:]}")
    app.clear_shm()
    outcome, log = app.judge("all-damaged-forward", dataplane={"on_no_table": "forward"})
    check("table: on_no_table = \"forward\" forwards everything, and warns", outcome == "open" and "UNFILTERED" in log,
          f"{outcome}: {log[-400:]}")
    check("table: faults tried / good table enforced or refused to forward / forwarded unfiltered",
          tried == good + closed and unfiltered == 0, f"{tried} / {good + closed} / {unfiltered}")
    print(f"FIGURE table faults: tried {tried}, enforced a good table {good}, refused to forward {closed}, "
          f"forwarded unfiltered {unfiltered}", flush=True)
    restore_state(app, snap)
    app.clear_shm()
    return snap


def feed_faults(app, snap):
    """The feed 'apt' (77 IoCs) damaged on disk while control is down."""
    meta = lambda: os.path.join(app.state, "feeds", "apt.json")  # noqa: E731
    content = lambda: os.path.join(app.state, "feeds", "apt.feed")  # noqa: E731

    def edit_action():
        m = json.load(open(meta()))
        m["action"] = "allow"
        json.dump(m, open(meta(), "w"))

    faults = [("truncated", lambda: os.truncate(content(), os.path.getsize(content()) // 2)),
              ("emptied", lambda: os.truncate(content(), 0)),
              ("missing", lambda: os.unlink(content())),
              ("garbage", lambda: open(content(), "wb").write(os.urandom(400))),
              ("action edited drop->allow", edit_action),
              ("metadata missing", lambda: os.unlink(meta()))]
    tried = less = 0
    cfg = app.live_config()
    for name, fault in faults:
        restore_state(app, snap)
        app.clear_shm()
        gens_before = stored_generations(app)
        fault()
        app.start_dataplane(cfg)
        app.start_control(cfg)
        rc, st, _ = app.ctl_cmd("status", check=False)
        _, listed, _ = app.ctl_cmd("feed", "list", check=False)
        apt = [f for f in listed.get("feeds", []) if f["name"] == "apt"]
        tried += 1
        same = entries(st) == app.expected
        less += not same
        check(f"feeds: {name}: degraded in status (exit 7) and feed list, with a repair hint",
              rc == 7 and st.get("state") == "feeds-degraded" and apt and apt[0]["degraded"] and
              "push it again" in apt[0].get("repair", ""), f"exit {rc}, {st.get('state')}, {apt}")
        check(f"feeds: {name}: still enforcing every IoC with its action, no new generation written",
              same and stored_generations(app) == gens_before and apt and apt[0]["action"] == "drop",
              f"{entries(st)} vs {app.expected}; generations {gens_before} -> {stored_generations(app)}")
        app.stop("ctl")
        app.stop("dp")
    print(f"FIGURE feed faults: tried {tried}, silently enforced less {less}", flush=True)
    # Verdicts while degraded, and the repair.
    restore_state(app, snap)
    app.clear_shm()
    os.truncate(content(), 10)
    app.start_control(cfg)
    outcome, _ = app.judge("degraded-verdicts")
    check("feeds: with the feed degraded, every packet is judged as before", outcome == "truth", outcome)
    app.start_dataplane(cfg)
    rc, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "apt", check=False)
    rc2, st, _ = app.ctl_cmd("status", check=False)
    check("feeds: pushing it again repairs it (status exit 0)", rc == 0 and rc2 == 0 and st["state"] == "enforcing",
          f"push exit {rc}, status exit {rc2} {st.get('state')} {st.get('problems')}")
    app.stop("ctl")
    app.stop("dp")


def full_disk(app, bins, traffic_dir):
    """A second appliance whose state directory is a 48 MiB tmpfs."""
    disk = Rig(bins, app.work, traffic_dir, instance=f"{app.instance}d")
    disk.state = os.path.join(app.work, "small-disk")
    disk.dp_log = os.path.join(app.work, "disk-dataplane.log")
    disk.ctl_log = os.path.join(app.work, "disk-control.log")
    disk.sock = os.path.join(app.work, "run-disk", "iocgate.sock")
    disk.shm = os.path.join(app.work, "shm-disk")
    os.makedirs(disk.state)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m,mode=0755", "tmpfs", disk.state], check=True)
    user = ensure_control_user()
    os.chown(disk.state, user.pw_uid, user.pw_gid)
    try:
        cfg = disk.live_config()
        disk.start_dataplane(cfg)
        disk.start_control(cfg)
        expires_at = int(time.time()) + 12
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires_at))
        disk.ctl_cmd("feed", "push", disk.feed, "--name", "apt")
        disk.ctl_cmd("feed", "push", os.path.join(traffic_dir, "feed.csv"), "--name", "short", "--expires", soon)
        _, before, _ = disk.ctl_cmd("status")
        # Fill the disk as root (the control user cannot write a byte more either).
        subprocess.run(["dd", "if=/dev/zero", f"of={disk.state}/filler", "bs=1M"], capture_output=True)
        disk.stop("ctl")
        disk.start_control(cfg)
        rc, st, _ = disk.ctl_cmd("status", check=False)
        log = disk.tail(disk.ctl_log, 3000)
        check("disk: control restarts on a full state disk and enforces the same table (status 0)",
              rc == 0 and st["generation"]["active"] == before["generation"]["active"] and
              "nothing written to disk" in log, f"exit {rc} {st.get('state')} {st.get('problems')}")
        small = os.path.join(app.work, "one.txt")
        with open(small, "w") as f:
            f.write("198.18.0.9\n")
        rc, r, _ = disk.ctl_cmd("feed", "push", small, "--name", "more", check=False)
        _, after, _ = disk.ctl_cmd("status", check=False)
        check("disk: a push on the full disk is refused cleanly, the live table unchanged",
              rc == 1 and "No space left" in r.get("error", "") and
              after["generation"]["active"] == before["generation"]["active"], r.get("error", "")[:300])
        # The short feed expires while control is down: the start-up compile now differs from
        # the stored table, and cannot be written.
        disk.stop("ctl")
        time.sleep(max(0, expires_at + 1 - time.time()))
        disk.start_control(cfg)
        rc, st, _ = disk.ctl_cmd("status", check=False)
        check("disk: a start-up that must write on a full disk: up, retrying, status exit 8",
              rc == 8 and st["state"] == "publish-pending" and disk.ctl.poll() is None,
              f"exit {rc} {st.get('state')} {st.get('problems')}")
        os.unlink(f"{disk.state}/filler")
        ok = wait_for(lambda: disk.ctl_cmd("status", check=False)[0] == 0, 25, 1)
        check("disk: once space is back the retry publishes (status exit 0)", ok,
              disk.ctl_cmd("status", check=False)[1].get("problems"))
    finally:
        disk.cleanup()
        subprocess.run(["umount", "-l", disk.state])


def shrink_ladder(app):
    cfg = app.live_config()
    app.start_dataplane(cfg)
    app.start_control(cfg)
    feed = lambda n: "".join(f"198.18.{i // 200}.{i % 200 + 1}\n" for i in range(n))  # noqa: E731
    path = os.path.join(app.work, "ladder.txt")
    held_at = None
    steps = [100, 51, 26, 13]
    for i, n in enumerate(steps):
        with open(path, "w") as f:
            f.write(feed(n))
        rc, r, _ = app.ctl_cmd("feed", "push", path, "--name", "ladder", check=False)
        if rc != 0:
            held_at = n
            break
    check("shrink: the walk-down 100 -> 51 -> 26 is held at 26 (the first step beyond 50% of the baseline 100)",
          held_at == 26 and "baseline" in r.get("error", ""), f"held at {held_at}: {r.get('error', '')[:300]}")
    rc, r, _ = app.ctl_cmd("feed", "push", path, "--name", "ladder", "--confirm", check=False)
    check("shrink: --confirm applies it and makes it the baseline", rc == 0 and r["feed"]["baseline_iocs"] == 26,
          json.dumps(r.get("feed", r))[:300])
    app.ctl_cmd("feed", "remove", "ladder")
    app.stop("ctl")
    app.stop("dp")


def status_codes(app, snap):
    cfg = app.live_config()
    restore_state(app, snap)
    app.clear_shm()
    app.start_dataplane(cfg)
    app.start_control(cfg)
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("status: enforcing -> exit 0", rc == 0 and st["state"] == "enforcing", f"{rc} {st.get('problems')}")
    # Lagging: a generation published that the dataplane cannot map (injected into the
    # control block by root, as a bug or a lost snapshot would leave it).
    ctl_block = os.path.join(app.shm, f"{app.instance}-ctl")
    with open(ctl_block, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        published = struct.unpack_from("<Q", m, 16)[0]
        struct.pack_into("<Q", m, 16, published + 1000)
        m.close()
    wait_for(lambda: "refusing generation" in app.tail(app.dp_log), 5, 0.1)
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("status: a worker not on the published generation -> exit 6", rc == 6 and st["state"] == "lagging",
          f"{rc} {st.get('state')}")
    app.ctl_cmd("feed", "push", app.feed, "--name", "apt", check=False)  # any publish heals it
    app.stop("dp")
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("status: dataplane down -> exit 4", rc == 4 and st["state"] == "dataplane-down", f"{rc} {st.get('state')}")
    rc, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "apt2", check=False)
    check("status: a push with the dataplane down says published, not enforced (exit 4)",
          rc == 4 and not r.get("enforced") and "NOT enforced" in r.get("warning", ""), r.get("warning"))
    app.ctl_cmd("feed", "remove", "apt2", check=False)
    app.stop("ctl")
    # Fail-closed: every table damaged and the feed store too: control must not publish a
    # table without the feed, so the dataplane stays closed and says so.
    for p in glob.glob(os.path.join(app.state, "tables", "*.table")):
        flip(p, 100)
    os.truncate(os.path.join(app.state, "feeds", "apt.feed"), 5)
    app.clear_shm()
    app.start_dataplane(cfg)
    app.start_control(cfg)
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("status: fail-closed (no valid table, the damaged feed held) -> exit 5",
          rc == 5 and st["state"] == "fail-closed" and any("held" in p for p in st["problems"]),
          f"{rc} {st.get('state')} {st.get('problems')}")
    app.stop("ctl")
    app.stop("dp")
    restore_state(app, snap)
    app.clear_shm()
    os.truncate(os.path.join(app.state, "feeds", "apt.feed"), 5)
    app.start_dataplane(cfg)
    app.start_control(cfg)
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("status: a feed degraded -> exit 7", rc == 7 and st["state"] == "feeds-degraded", f"{rc} {st.get('state')}")
    app.stop("ctl")
    app.stop("dp")


def startup_errors(app):
    """A flow table the machine cannot give, and a restart on the heels of a stop: each
    start-up failure names its cause."""
    cfg = app.live_config(dataplane={"flow_capacity": 1 << 28})
    rc, log = app.dataplane_refuses(cfg)
    check("startup: a flow table too large for the machine: exit 2, the message names flow_capacity",
          rc == 2 and "flow_capacity = 268435456" in log, f"exit {rc}: {log[-400:]}")
    cfg = app.live_config()
    app.start_dataplane(cfg)
    first = app.dp
    first.send_signal(signal.SIGTERM)
    mark = app.log_size(app.dp_log)
    second = app.start_dataplane(cfg, wait_text=None)
    deadline = time.time() + 30
    while time.time() < deadline and second.poll() is None and "forwarding" not in open(app.dp_log).read()[mark:]:
        time.sleep(0.05)
    log = open(app.dp_log, errors="replace").read()[mark:]
    started = second.poll() is None
    named = "Success" not in log and ("another dataplane" in log or "holds the DPDK lock" in log)
    check("startup: a restart on the heels of a stop either starts or names what is in its way (never 'Success')",
          started or named, log[-400:])
    first.wait(timeout=30)
    app.stop("dp")


def other_instance_table(bins, work, traffic_dir):
    """A valid table compiled and stored by another instance's control process."""
    other = Rig(bins, work, traffic_dir, instance="otherinst")
    other.state = os.path.join(work, "other-state")
    other.shm = os.path.join(work, "other-shm")
    other.sock = os.path.join(work, "other-run", "iocgate.sock")
    other.ctl_log = os.path.join(work, "other-control.log")
    cfg = other.live_config()
    other.start_control(cfg)
    other.ctl_cmd("feed", "push", other.feed, "--name", "apt", check=False)
    other.stop("ctl")
    return os.path.join(other.state, "table.current")


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(checks, work):
        global check
        check = checks
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "11", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        app = Rig(bins, work, traffic_dir)
        other = other_instance_table(bins, work, traffic_dir)
        snap = table_faults(app, other)
        feed_faults(app, snap)
        status_codes(app, snap)
        shrink_ladder(app)
        startup_errors(app)
        full_disk(app, bins, traffic_dir)
    sys.exit(run_suite("faults test", body, "iocgate-faults."))


if __name__ == "__main__":
    main()
