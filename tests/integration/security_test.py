#!/usr/bin/python3
"""Only root and the control user can change what is enforced, and no client can crash or
stall the control process: the real processes against objects others made, and against
hostile clients of the control socket and the metrics port.

usage: security_test.py IOCGATE IOCCTL [IOCGATE-DATAPLANE]

Checks:
  shm       the shared-memory directory, control block and table snapshots made by someone
            else (another owner, writable by others, a symlink) are refused, never adopted; a
            stale snapshot name is replaced, not reused; the generation and checksum status
            reports are the ones the dataplane enforces (they match the stored table).
  process   the control process runs as the unprivileged iocgate user with no capabilities.
  clients   the control process, with a 1,024-descriptor limit: malformed, mistyped and
            non-UTF-8 requests and feeds (its pid unchanged after all of them); a push beside
            8 idle clients and one trickling a byte every 5 s; a 1 GiB POST to /metrics (RSS);
            16 slow metrics clients; 1,100 idle metrics connections (pushes and status stay
            right).
Ends with "N passed, M failed".
"""
import glob
import json
import mmap
import os
import pwd
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from iocgate_harness import PY, Appliance, Binaries, ensure_control_user, free_port, run_suite  # noqa: E402
import hostile_clients as hc  # noqa: E402

check = None
NOBODY = pwd.getpwnam("nobody")


class Rig(Appliance):
    def __init__(self, bins, work, traffic_dir):
        super().__init__(bins, work)
        self.traffic = os.path.join(traffic_dir, "traffic.pcap")
        self.feed = os.path.join(traffic_dir, "feed.txt")

    def live(self, **sections):
        return self.config("live.toml", f"net_pcap_in,rx_pcap={self.traffic},infinite_rx=1", "net_null_out,no-rx=1",
                           **sections)

    def refused_start(self, which, cfg, text):
        """Starts a process that must refuse to run; (refused, log)."""
        log = self.dp_log if which == "dp" else self.ctl_log
        mark = self.log_size(log)
        p = self.start_dataplane(cfg, wait_text=None) if which == "dp" else self.start_control(cfg, wait_text=None)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return False, "still running"
        out = open(log, errors="replace").read()[mark:]
        return p.returncode != 0 and text in out, out[-500:]


def shm_attacks(app):
    tried = adopted = 0
    cfg = app.live()

    # 1-3: the shm directory itself is someone else's, writable by others, or a symlink.
    evil = os.path.join(app.work, "evil-shm")
    os.makedirs(evil)
    os.chown(evil, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(evil, 0o777)
    loose = os.path.join(app.work, "loose-shm")
    os.makedirs(loose)
    os.chmod(loose, 0o777)
    link = os.path.join(app.work, "link-shm")
    os.symlink(evil, link)
    for label, d, text in (("owned by another user", evil, "does not trust"),
                           ("writable by others", loose, "writable by group or others"),
                           ("a symbolic link", link, "symbolic link")):
        for which in ("dp", "ctl"):
            c = app.config(f"shm-{which}.toml", f"net_pcap_in,rx_pcap={app.traffic},infinite_rx=1",
                           "net_null_out,no-rx=1", shm_dir=d)
            refused, log = app.refused_start(which, c, text)
            tried += 1
            adopted += not refused
            check(f"shm: a shm directory {label} is refused by the {'dataplane' if which == 'dp' else 'control process'}",
                  refused, log)

    # 4-5: a control block someone else made, or one others may write.
    ctl_path = os.path.join(app.shm, f"{app.instance}-ctl")
    os.makedirs(app.shm, exist_ok=True)
    user = ensure_control_user()
    os.chown(app.shm, user.pw_uid, user.pw_gid)
    os.chmod(app.shm, 0o750)
    for label, uid, mode in (("owned by another user", NOBODY.pw_uid, 0o600), ("writable by others", 0, 0o666)):
        with open(ctl_path, "wb") as f:
            f.write(b"\0" * 4096)
        os.chown(ctl_path, uid, 0)
        os.chmod(ctl_path, mode)
        for which in ("dp", "ctl"):
            refused, log = app.refused_start(which, cfg, "control block")
            tried += 1
            adopted += not refused
            check(f"shm: a control block {label} is refused by the {'dataplane' if which == 'dp' else 'control process'}",
                  refused, log)
        os.unlink(ctl_path)

    # 6: the next generation's snapshot name, planted before the push: replaced, not reused.
    app.start_dataplane(cfg)
    app.start_control(cfg)
    _, st, _ = app.ctl_cmd("status")
    nxt = st["generation"]["published"] + 1
    planted = os.path.join(app.shm, f"{app.instance}-table-{nxt}")
    with open(planted, "wb") as f:
        f.write(b"planted by someone else")
    os.chown(planted, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(planted, 0o666)
    _, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "apt")
    tried += 1
    st_planted = os.stat(planted) if os.path.exists(planted) else None
    ours = r.get("generation") == nxt and r.get("enforced") and (st_planted is None or st_planted.st_uid == user.pw_uid)
    adopted += not ours
    check("shm: a planted snapshot name is replaced by the control process's own object, then enforced", ours,
          f"generation {r.get('generation')}, owner {st_planted.st_uid if st_planted else 'gone'}")

    # The generation and checksum in status are the dataplane's, and match the stored table.
    _, st, _ = app.ctl_cmd("status")
    g = st["generation"]
    stored = open(os.path.join(app.state, "tables", f"{g['active']}.table"), "rb").read(80)
    sealed = struct.unpack_from("<Q", stored, 72)[0]
    check("shm: status reports the generation and header checksum the dataplane enforces (= the stored table's)",
          g["active"] == g["published"] == nxt and g["active_checksum"] == f"{sealed:016x}", json.dumps(g))

    # 7: a published generation whose snapshot someone else owns: refused, the table in force stays.
    app.stop("ctl")
    ctl_block = os.path.join(app.shm, f"{app.instance}-ctl")
    bogus = nxt + 1
    obj = os.path.join(app.shm, f"{app.instance}-table-{bogus}")
    shutil.copy(os.path.join(app.state, "tables", f"{nxt}.table"), obj)
    os.chown(obj, NOBODY.pw_uid, NOBODY.pw_gid)
    os.chmod(obj, 0o644)
    mark = app.log_size(app.dp_log)
    with open(ctl_block, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        struct.pack_into("<Q", m, 16, bogus)
        m.close()
    deadline = time.time() + 5
    while time.time() < deadline and "refusing generation" not in open(app.dp_log).read()[mark:]:
        time.sleep(0.1)
    log = open(app.dp_log).read()[mark:]
    tried += 1
    refused = "refusing generation" in log and "does not trust" in log
    adopted += not refused
    check("shm: a published snapshot owned by another user is refused; the table in force stays", refused, log[-300:])
    app.stop("dp")

    # 8: the names an older iocgate used in /dev/shm are never opened.
    stale = f"/dev/shm/iocgate-{app.instance}-table-{bogus + 1}"
    with open(stale, "wb") as f:
        f.write(b"x")
    os.chmod(stale, 0o666)
    app.start_dataplane(cfg)
    app.start_control(cfg)
    _, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "apt2")
    tried += 1
    untouched = open(stale, "rb").read() == b"x"
    adopted += not untouched
    check("shm: a world-writable name in /dev/shm is not used", untouched and r.get("enforced"), r.get("generation"))
    os.unlink(stale)
    check("shm: foreign-owned shm objects tried / adopted", adopted == 0, f"{tried} / {adopted}")
    print(f"FIGURE shm: foreign-owned or planted objects tried {tried}, adopted {adopted}", flush=True)


def process_identity(app):
    pid = app.ctl.pid
    status = open(f"/proc/{pid}/status").read()
    uid = int(next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1])
    cap_eff = next(l for l in status.splitlines() if l.startswith("CapEff:")).split()[1]
    check("process: control runs as the iocgate user with no capabilities",
          uid == ensure_control_user().pw_uid and int(cap_eff, 16) == 0, f"uid {uid}, CapEff {cap_eff}")
    nnp = next((l for l in status.splitlines() if l.startswith("NoNewPrivs:")), "NoNewPrivs: ?").split()[1]
    check("process: control cannot gain privileges again (no_new_privs)", nnp == "1", nnp)


def hostile_clients(app):
    port = free_port()
    cfg = app.config("hostile.toml", f"net_pcap_in,rx_pcap={app.traffic},infinite_rx=1", "net_null_out,no-rx=1",
                     metrics={"listen": f"127.0.0.1:{port}"})
    app.start_dataplane(cfg)
    app.start_control(cfg, nofile=1024)
    pid = app.ctl.pid
    hc.raise_nofile(4096)
    tried = crashed = 0

    # Malformed and mistyped requests on the raw socket.
    bad = hc.check_malformed(app.sock)
    tried += len(hc.MALFORMED_REQUESTS)
    check(f"clients: {len(hc.MALFORMED_REQUESTS)} malformed or mistyped requests each get an error naming the field",
          not bad, "; ".join(bad[:5]))

    # Non-UTF-8 and hostile text through iocctl and in feeds.
    latin1 = os.path.join(app.work, "latin1.txt")
    with open(latin1, "wb") as f:
        f.write(b"# Th\xf4ng b\xe1o \xe9t\xe9\n198.51.100.44  # caf\xe9 C2\nbad.example # \xff\xfe\n")
    binary = os.path.join(app.work, "binary.bin")
    with open(binary, "wb") as f:
        f.write(bytes(range(256)) * 64)
    fifo = os.path.join(app.work, "fifo")
    os.mkfifo(fifo)
    attempts = [
        ("a feed with Latin-1 comments", ["feed", "push", latin1, "--name", "latin1"], (0, 1)),
        ("feed show of that feed", ["feed", "show", "latin1"], (0, 1)),
        ("feed list with it", ["feed", "list"], (0,)),
        ("a binary file as a feed", ["feed", "push", binary, "--name", "binary"], (1,)),
        ("--advisory not in UTF-8", ["feed", "push", app.feed, "--name", "x", "--advisory", b"caf\xe9".decode("latin-1")], (2,)),
        ("--group with a control character", ["feed", "push", app.feed, "--name", "x", "--group", "a\x1bb"], (2,)),
        ("a FIFO as the feed file", ["feed", "push", fifo, "--name", "x"], (2,)),
        ("a feed name of 300 characters", ["feed", "push", app.feed, "--name", "n" * 300], (1, 2)),
        ("an unknown format name", ["feed", "push", app.feed, "--name", "x", "--format", "bogus"], (1, 2)),
        ("feed show of a name with a newline", ["feed", "show", "a\nb"], (1, 2)),
    ]
    for label, argv, codes in attempts:
        if argv[0] == "feed" and argv[1] == "push" and "--advisory" in argv:
            # iocctl gets the raw bytes as the shell would pass them.
            i = argv.index("--advisory")
            raw = [a.encode() for a in argv]
            raw[i + 1] = b"caf\xe9"
            r = subprocess.run([app.bins.iocctl.encode(), b"--socket", app.sock.encode()] + raw, capture_output=True,
                               timeout=60)
            rc, err = r.returncode, r.stderr.decode(errors="replace")
        else:
            rc, _, err = app.ctl_cmd(*argv, check=False, as_json=False)
        tried += 1
        alive = app.ctl.poll() is None and app.ctl.pid == pid
        crashed += not alive
        check(f"clients: {label}: a clear answer (exit {'/'.join(map(str, codes))}), control alive",
              alive and rc in codes and (rc == 0 or err.strip() != ""), f"exit {rc}: {err.strip()[:200]}")
    rc, st, _ = app.ctl_cmd("status", check=False)
    check("clients: control answered everything with its pid unchanged", app.ctl.pid == pid and app.ctl.poll() is None
          and rc == 0, f"tried {tried}, crashed {crashed}, status exit {rc}")
    print(f"FIGURE clients: malformed, mistyped or non-UTF-8 inputs tried {tried}, control crashes {crashed}", flush=True)

    # Slow and idle clients never delay a push by more than a second.
    with hc.idle_clients(app.sock, 8), hc.trickle_client(app.sock, interval=5):
        time.sleep(0.5)
        t = time.time()
        rc, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "beside-idlers", check=False)
        secs = time.time() - t
    check("clients: a push beside 8 idle clients and 1 trickling a byte every 5 s completes within 1 s",
          rc == 0 and r.get("enforced") and secs <= 1.0, f"{secs:.3f} s, exit {rc}")
    print(f"FIGURE clients: push beside 8 idle + 1 trickling client: {secs * 1000:.0f} ms", flush=True)

    # The metrics port.
    before = hc.rss_kib(pid)
    sent, code = hc.metrics_post_flood("127.0.0.1", port)
    grew = hc.rss_kib(pid) - before
    check("clients: a 1 GiB POST to /metrics is refused and raises control's RSS by < 64 MiB",
          code == 413 and grew < 64 * 1024, f"status {code} after {sent >> 20} MiB sent, RSS {grew:+d} KiB")
    print(f"FIGURE clients: 1 GiB POST to /metrics: status {code}, RSS {grew:+d} KiB", flush=True)
    with hc.slow_metrics_clients("127.0.0.1", port, 16):
        time.sleep(0.5)
        code, _, secs = hc.http_get("127.0.0.1", port)
    check("clients: /metrics answers within 5 s beside 16 slow clients", code == 200 and secs <= 5.0,
          f"{code} in {secs:.3f} s")
    with hc.idle_metrics_connections("127.0.0.1", port, 1100) as n:
        time.sleep(0.5)
        rc, r, _ = app.ctl_cmd("feed", "push", app.feed, "--name", "beside-idle-metrics", check=False)
        rc2, st, _ = app.ctl_cmd("status", check=False)
        code, _, _ = hc.http_get("127.0.0.1", port)
    check(f"clients: with {n} idle metrics connections under a 1,024-fd limit, a push and status stay right",
          rc == 0 and r.get("enforced") and rc2 == 0 and st["dataplane"]["running"], f"push {rc}, status {rc2} "
          f"{st.get('state')}, dataplane running {st.get('dataplane', {}).get('running')}")
    check("clients: /metrics still answers beside them", code == 200, str(code))
    code, health, _ = hc.http_get("127.0.0.1", port, "/healthz")
    check("clients: /healthz says ok", code == 200 and health.strip() == b"ok", f"{code} {health[:80]!r}")
    app.stop("ctl")
    app.stop("dp")


def main():
    bins = Binaries.from_argv(sys.argv)

    def body(checks, work):
        global check
        check = checks
        traffic_dir = os.path.join(work, "traffic")
        subprocess.run([PY, os.path.join(HERE, "gen_traffic.py"), "--seed", "5", "--out", traffic_dir], check=True,
                       stdout=subprocess.DEVNULL)
        app = Rig(bins, work, traffic_dir)
        shm_attacks(app)
        process_identity(app)
        app.stop("ctl")
        app.stop("dp")
        hostile_clients(app)
    sys.exit(run_suite("security test", body, "iocgate-security."))


if __name__ == "__main__":
    main()
