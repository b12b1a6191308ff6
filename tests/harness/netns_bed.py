"""The network-namespace bed both inline tests stand on (tests/netns, the DPDK dataplane;
tests/netns_xdp, the XDP path): commands in a namespace, the inside and outside hosts'
addresses and resolver, real DNS and web servers (dnsmasq, nginx with a certificate per name)
on either side, the clients (curl, dig, openssl s_client), request loops, and the run that
removes everything it made on every exit. Each test keeps its own topology and checks.
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time


def sh(*cmd, ns=None, check_rc=True, timeout=60, **kw):
    argv = (["ip", "netns", "exec", ns] if ns else []) + [str(c) for c in cmd]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}: {r.stdout}{r.stderr}")
    return r


def kill_ns_processes(ns):
    r = sh("ip", "netns", "pids", ns, check_rc=False)
    for pid in r.stdout.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def remove_namespaces(names):
    for ns in names:
        kill_ns_processes(ns)
        sh("ip", "netns", "del", ns, check_rc=False)
        shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)


def mount_bpffs():
    os.makedirs("/sys/fs/bpf", exist_ok=True)
    if subprocess.run(["mountpoint", "-q", "/sys/fs/bpf"]).returncode != 0:
        subprocess.run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"])


# ---------------------------------------------------------------------------------- the hosts

def address_hosts(ns_in, dev_in, ns_out, dev_out, inside_host, gateway, dns, out_addrs, out_addrs6, route6):
    """The inside host (10.81.0.2/24, fd81::2/64) routes to the "internet" addresses through
    the outside namespace, which holds them on lo; `route6` is the IPv6 part routed there."""
    sh("ip", "addr", "add", f"{inside_host}/24", "dev", dev_in, ns=ns_in)
    sh("ip", "addr", "add", "fd81::2/64", "dev", dev_in, "nodad", ns=ns_in)
    sh("ip", "route", "add", "default", "via", gateway, ns=ns_in)
    sh("ip", "-6", "route", "add", route6, "via", "fd81::1", ns=ns_in)
    sh("ip", "addr", "add", f"{gateway}/24", "dev", dev_out, ns=ns_out)
    sh("ip", "addr", "add", "fd81::1/64", "dev", dev_out, "nodad", ns=ns_out)
    for a in out_addrs:
        sh("ip", "addr", "add", f"{a}/32", "dev", "lo", ns=ns_out)
    for a in out_addrs6:
        sh("ip", "addr", "add", f"{a}/128", "dev", "lo", "nodad", ns=ns_out)
    # The inside host's system resolver asks the outside DNS server (through the appliance):
    # `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
    os.makedirs(f"/etc/netns/{ns_in}", exist_ok=True)
    with open(f"/etc/netns/{ns_in}/resolv.conf", "w") as f:
        f.write(f"nameserver {dns}\noptions timeout:2 attempts:2\n")
    with open(f"/etc/netns/{ns_in}/hosts", "w") as f:
        f.write("127.0.0.1 localhost\n")


# ---------------------------------------------------------------------------------- the servers

def make_certs(work, names):
    d = os.path.join(work, "certs")
    os.makedirs(d)
    for name in ["default"] + names:
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
           "-keyout", f"{d}/{name}.key", "-out", f"{d}/{name}.crt")
    return d


def nginx_conf(work, tag, certs, big, names):
    d = os.path.join(work, f"nginx-{tag}")
    os.makedirs(d)
    servers = []
    for name in ["default"] + names:
        default = " default_server" if name == "default" else ""
        servers.append(f"""
  server {{
    listen 80{default}; listen [::]:80{default};
    listen 443 ssl{default}; listen [::]:443 ssl{default};
    server_name {'_' if name == 'default' else name};
    ssl_certificate {certs}/{name}.crt; ssl_certificate_key {certs}/{name}.key;
    location = /big {{ alias {big}; }}
    location / {{ return 200 "{tag} {name} $host\\n"; }}
  }}""")
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
daemon off;
user root;
events {{ worker_connections 512; }}
http {{
  access_log {d}/access.log;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy; fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  default_type application/octet-stream;
  keepalive_timeout 5;
{''.join(servers)}
}}
""")
    return d, conf


def start_servers(app, ns_in, ns_out, inside_host, dns, names, out_answers, dnsmasq_extra=(), also=None, ready=None):
    """dnsmasq and nginx on both sides, spawned by the harness Appliance `app`: outside, the
    "internet" DNS server at `dns` answering `out_answers` (dnsmasq --address= values) and a
    web server with a virtual host per name; inside, the same for every name at inside_host
    (the inbound direction). A 24 MiB /big to download, its digest in app.big_sha. `also`
    spawns more, `ready` says when those are up too."""
    certs = make_certs(app.work, names)
    big = os.path.join(app.work, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(24 << 20))
    app.big_sha = hashlib.sha256(open(big, "rb").read()).hexdigest()
    # dnsmasq stays in the foreground but not in debug mode (--no-daemon): that serves TCP in
    # the main process, and a TCP query the appliance drops would then stall every later one.
    common = ["dnsmasq", "--keep-in-foreground", "--log-facility=-", "--conf-file=/dev/null", "--no-resolv",
              "--no-hosts", "--bind-interfaces", "--user=root", *dnsmasq_extra]
    app.spawn("dnsmasq-out", common + [f"--listen-address={dns}", f"--pid-file={app.work}/dnsmasq-out.pid",
                                       *[f"--address={a}" for a in out_answers]], ns=ns_out)
    _, conf = nginx_conf(app.work, "out", certs, big, names)
    app.spawn("nginx-out", ["nginx", "-e", "stderr", "-c", conf], ns=ns_out)
    app.spawn("dnsmasq-in", common + [f"--listen-address={inside_host}", f"--pid-file={app.work}/dnsmasq-in.pid",
                                      *[f"--address=/{n}/{inside_host}" for n in names]], ns=ns_in)
    _, conf = nginx_conf(app.work, "in", certs, big, names)
    app.spawn("nginx-in", ["nginx", "-e", "stderr", "-c", conf], ns=ns_in)
    if also:
        also()
    deadline = time.time() + 15
    while time.time() < deadline:
        listening = [sh("ss", "-Hltnu", ns=ns).stdout for ns in (ns_out, ns_in)]
        if all(":443" in l and ":53" in l for l in listening) and (ready is None or ready()):
            return
        for name, p in app.procs:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}: " +
                                   open(os.path.join(app.work, f"{name}.log")).read()[-1500:])
        time.sleep(0.1)
    raise RuntimeError("servers did not come up within 15 s")


# ---------------------------------------------------------------------------------- clients

def curl(ns, url, *extra, max_time=3, out="-"):
    """(success, body): success is an HTTP 200 within max_time seconds."""
    r = sh("curl", "-sS", "-k", "-o", out, "-w", "\n%{http_code}", "--max-time", max_time, "--connect-timeout",
           max_time, *extra, url, ns=ns, check_rc=False, timeout=max_time + 10)
    lines = r.stdout.rsplit("\n", 1)
    code = lines[-1].strip() if lines else ""
    return r.returncode == 0 and code == "200", ((lines[0] if len(lines) > 1 else "") + r.stderr).strip()


def dig(ns, server, name, *extra):
    """The A record answered, or None when no answer came within a second."""
    r = sh("dig", f"@{server}", name, "A", "+short", "+time=1", "+tries=1", "+retry=0", *extra, ns=ns,
           check_rc=False, timeout=15)
    answer = r.stdout.strip()
    return answer if r.returncode == 0 and answer and ";;" not in answer else None


def s_client(ns, addr, servername):
    """The subject CN of the certificate the server sent for `servername`, or None."""
    r = sh("timeout", "4", "openssl", "s_client", "-connect", f"{addr}:443", "-servername", servername,
           ns=ns, check_rc=False, timeout=15, input="")
    m = re.search(r"subject=\s*CN\s*=\s*(\S+)", r.stdout)
    return m.group(1) if m else None


class Loop(threading.Thread):
    """Requests from `ns` to a good host, one after another, until stopped: counts failures."""

    def __init__(self, ns, url, *extra):
        super().__init__(daemon=True)
        self.ns, self.url, self.extra, self.stop = ns, url, extra, threading.Event()
        self.ok = self.failed = 0
        self.failures = []

    def run(self):
        while not self.stop.is_set():
            ok, d = curl(self.ns, self.url, *self.extra, max_time=5)
            if ok:
                self.ok += 1
            else:
                self.failed += 1
                self.failures.append(d[-100:])
            time.sleep(0.05)


# ---------------------------------------------------------------------------------- the run

def run_bed(check, bed, body, logs, keep, tail=15):
    """body() with the bed up; any error (also SIGTERM or Ctrl-C) is a failed check. The bed
    is cleaned up on every exit; the work directory stays when asked or when a check failed,
    and then the last lines of `logs` (file names in it) are printed. Returns the exit code."""

    def on_signal(signum, _frame):
        raise SystemExit(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    error = None
    try:
        body()
    except (Exception, SystemExit) as e:  # noqa: BLE001 — any error fails the run; cleanup follows
        import traceback
        traceback.print_exc()
        error = e
        check("the test bed ran to the end", False, f"{type(e).__name__}: {e}")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        bed.cleanup()
        failed = sum(1 for _, ok in check.results if not ok)
        if failed or error:
            for log in logs:
                path = os.path.join(bed.work, log)
                if os.path.exists(path):
                    print(f"--- {log} (last lines)\n" + "".join(open(path).readlines()[-tail:]), flush=True)
        if keep or failed:
            print(f"work directory kept: {bed.work}")
        else:
            shutil.rmtree(bed.work, ignore_errors=True)
    return check.finish()
