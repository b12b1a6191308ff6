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
from iocgate_harness import PY, Appliance, Binaries, ensure_control_user, run_suite  # noqa: E402

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
    sys.exit(run_suite("security test", body, "iocgate-security."))


if __name__ == "__main__":
    main()
