"""The one harness every integration suite drives the real appliance with: configs built from
appliance/iocgate.toml (the file operators start from, so a test cannot drift from it), the
dataplane and control processes and their logs, iocctl, and PASS/FAIL checks.

The control process runs as the unprivileged [control] user, as its systemd unit does: the
harness creates that user when missing and gives the work directory to it.
"""
import copy
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PY = "/usr/bin/python3"
TEMPLATE = os.path.join(REPO, "appliance", "iocgate.toml")
CONTROL_USER = "iocgate"


class Checks:
    """PASS/FAIL lines and the closing "N passed, M failed"."""

    def __init__(self):
        self.results = []

    def __call__(self, name, cond, detail=""):
        self.results.append((name, bool(cond)))
        print(f"{'PASS' if cond else 'FAIL'}: {name}{': ' + str(detail) if detail != '' else ''}", flush=True)
        return cond

    def finish(self, work=None):
        passed = sum(1 for _, ok in self.results if ok)
        failed = len(self.results) - passed
        print(f"{passed} passed, {failed} failed")
        if work and failed == 0:
            shutil.rmtree(work, ignore_errors=True)
        elif work:
            print(f"logs kept in {work}")
        return 1 if failed or not self.results else 0


def not_forwarded(counters):
    """Packets a worker did not forward: dropped (or rejected) by an IoC, held back (out of order while a
    name is incomplete), dropped unread (the unreadable policy), dropped for want of a table.
    received = forwarded + not_forwarded(counters)."""
    return (counters["dropped_packets"] + counters["rejected_packets"] + counters["reasm_out_of_order"] +
            counters["unreadable_dropped"] + counters["dropped_no_table"])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(fn, timeout, step=0.5):
    deadline = time.time() + timeout
    v = fn()
    while not v and time.time() < deadline:
        time.sleep(step)
        v = fn()
    return v


def ensure_control_user(name=CONTROL_USER):
    """The system user and group the control process runs as (the package's postinst makes it)."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run([os.path.join(REPO, "scripts", "ensure-user.sh")], check=True)
        return pwd.getpwnam(name)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {v!r}")


def write_config(path, overrides):
    """appliance/iocgate.toml with `overrides` ({key: value} and {section: {key: value}})
    merged in; a key the template lacks is an error, so tests use only real keys."""
    with open(TEMPLATE, "rb") as f:
        cfg = tomllib.load(f)
    for k, v in overrides.items():
        if isinstance(v, dict):
            if k not in cfg:
                raise KeyError(f"{TEMPLATE} has no section [{k}]")
            for kk, vv in v.items():
                if kk not in cfg[k]:
                    raise KeyError(f"{TEMPLATE} has no key '{kk}' in [{k}]")
                cfg[k][kk] = vv
        else:
            if k not in cfg:
                raise KeyError(f"{TEMPLATE} has no top-level key '{k}'")
            cfg[k] = v
    lines = [f"{k} = {toml_value(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for k, v in cfg.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            lines += [f"{kk} = {toml_value(vv)}" for kk, vv in v.items()]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def child_setup(nofile=None):
    """Children die with the test (SIGKILL included), and may lock memory (AF_XDP); with
    `nofile`, their descriptor limit is that (as a unit's LimitNOFILE would set it)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    try:
        import resource
        resource.setrlimit(resource.RLIMIT_MEMLOCK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    except (ValueError, OSError):
        pass


class Binaries:
    def __init__(self, iocgate, iocctl, dataplane=None):
        iocgate, iocctl = os.path.abspath(iocgate), os.path.abspath(iocctl)
        dataplane = os.path.abspath(dataplane) if dataplane else None
        self.iocgate, self.iocctl = iocgate, iocctl
        # The forwarding executable sits in the build tree's dataplane/ or beside iocgate.
        cand = [dataplane] if dataplane else [os.path.join(os.path.dirname(iocgate), "..", "dataplane", "iocgate-dataplane"),
                                               os.path.join(os.path.dirname(iocgate), "iocgate-dataplane")]
        self.dataplane = next((c for c in cand if c and os.path.exists(c)), cand[0])

    @staticmethod
    def from_argv(argv):
        return Binaries(argv[1], argv[2], argv[3] if len(argv) > 3 and not argv[3].startswith("--") else None)


def make_work(prefix):
    """A work directory the control user owns (it creates its state, shm and socket dirs
    inside), readable by the dataplane (root)."""
    user = ensure_control_user()
    work = tempfile.mkdtemp(prefix=prefix)
    os.chown(work, user.pw_uid, user.pw_gid)
    os.chmod(work, 0o755)
    return work


_live = []  # every Appliance of this run, cleaned up by run_suite whatever happens


class Appliance:
    """One appliance instance in `work`: its config files, processes and logs."""

    def __init__(self, bins, work, instance=None):
        _live.append(self)
        self.bins, self.work = bins, work
        self.instance = instance or f"t{os.getpid()}"
        self.state = os.path.join(work, "state")
        self.shm = os.path.join(work, "shm")
        self.sock = os.path.join(work, "run", "iocgate.sock")
        self.dp = self.ctl = None
        self.procs = []
        self.dp_log = os.path.join(work, "dataplane.log")
        self.ctl_log = os.path.join(work, "control.log")

    def config(self, name, inside, outside, mirror="", **sections):
        """A config in the work dir. `sections` override the test defaults, e.g.
        network={"internal": [...]}, metrics={"listen": "127.0.0.1:9"}."""
        o = {"instance": self.instance, "state_dir": self.state, "shm_dir": self.shm,
             "control": {"socket": self.sock, "socket_group": CONTROL_USER, "user": CONTROL_USER,
                         "publish_timeout_ms": 5000},
             "dataplane": {"lcores": "0-1", "workers": 1, "hugepages": True, "inside": inside, "outside": outside,
                           "mirror": mirror, "mbufs": 8191, "flow_capacity": 65536, "reassembly_buffers": 256},
             "network": {"internal": ["10.0.0.0/8", "fd00::/8"]},
             # Endless replays make millions of flow records a minute: a test's history is
             # bounded well below its disk (history_test sets its own bounds).
             "history": {"max_bytes": 512 << 20},
             "metrics": {"listen": ""}}
        for sec, kv in sections.items():
            if isinstance(kv, dict):
                o.setdefault(sec, {}).update(kv)
            else:
                o[sec] = kv
        return write_config(os.path.join(self.work, name), o)

    def spawn(self, name, argv, ns=None, log=None, nofile=None):
        out = open(log or os.path.join(self.work, f"{name}.log"), "a")
        full = (["ip", "netns", "exec", ns] if ns else []) + argv
        p = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, preexec_fn=lambda: child_setup(nofile))
        self.procs.append((name, p))
        return p

    def wait_log(self, path, text, proc, offset=0, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    f.seek(offset)
                    if text in f.read():
                        return
            if proc.poll() is not None:
                raise RuntimeError(f"{path}: process exited with {proc.returncode}:\n" + self.tail(path))
            time.sleep(0.05)
        raise RuntimeError(f"{path}: no '{text}' within {timeout} s:\n" + self.tail(path))

    @staticmethod
    def tail(path, n=2000):
        return open(path, errors="replace").read()[-n:] if os.path.exists(path) else ""

    @staticmethod
    def log_size(path):
        return os.path.getsize(path) if os.path.exists(path) else 0

    def start_dataplane(self, cfg, wait_text="iocgate dataplane: forwarding "):
        mark = self.log_size(self.dp_log)
        self.dp = self.spawn("dataplane", [self.bins.dataplane, "--config", cfg], log=self.dp_log)
        if wait_text:
            self.wait_log(self.dp_log, wait_text, self.dp, offset=mark)
        return self.dp

    def dataplane_refuses(self, cfg, timeout=60):
        """Starts the dataplane on `cfg` expecting it to refuse: (exit code, its log since the start)."""
        mark = self.log_size(self.dp_log)
        p = self.start_dataplane(cfg, wait_text=None)
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        with open(self.dp_log, errors="replace") as f:
            f.seek(mark)
            return p.returncode, f.read()

    def start_control(self, cfg, wait_text="listening on", nofile=None):
        mark = self.log_size(self.ctl_log)
        self.ctl = self.spawn("control", [self.bins.iocgate, "control", "--config", cfg], log=self.ctl_log,
                              nofile=nofile)
        if wait_text:
            self.wait_log(self.ctl_log, wait_text, self.ctl, offset=mark)
        return self.ctl

    def ctl_cmd(self, *args, check=True, as_json=True, timeout=120):
        """(exit code, reply, stderr) of iocctl; with check, a failure raises."""
        argv = [self.bins.iocctl, "--socket", self.sock, *args] + (["--json"] if as_json else [])
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        reply = {}
        if as_json:
            try:
                reply = json.loads(r.stdout) if r.stdout.strip() else {}
            except json.JSONDecodeError:
                reply = {"raw": r.stdout}
        else:
            reply = r.stdout
        if check and (r.returncode != 0 or (as_json and isinstance(reply, dict) and reply.get("ok") is False)):
            raise RuntimeError(f"iocctl {' '.join(args)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r.returncode, reply, r.stderr

    def stop(self, which):
        p = self.dp if which == "dp" else self.ctl
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=30)

    def stop_dataplane(self):
        """SIGTERM, then the dataplane's final accounting line (None if it has none)."""
        self.stop("dp")
        final = [l for l in open(self.dp_log, errors="replace") if "iocgate dataplane: final " in l]
        return json.loads(final[-1].split("final ", 1)[1]) if final else None

    def kill(self, which):
        p = self.dp if which == "dp" else self.ctl
        if p and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()

    def cleanup(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if name == "tcpdump" else signal.SIGKILL)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(f"/var/run/dpdk/iocgate-{self.instance}", ignore_errors=True)


def run_suite(name, body, prefix):
    """Runs body(checks, work) and turns an exception into a failed check with the logs."""
    checks = Checks()
    work = make_work(prefix)
    try:
        body(checks, work)
    except Exception as e:  # a harness failure is a failed check, with the logs
        import traceback
        traceback.print_exc()
        logs = ""
        for log in ("dataplane.log", "control.log"):
            p = os.path.join(work, log)
            if os.path.exists(p):
                logs += f"\n--- {log} ---\n" + Appliance.tail(p, 1500)
        checks(f"{name} ran to the end", False, f"{e}{logs}")
    finally:
        for app in _live:
            app.cleanup()
    return checks.finish(work)
