#!/usr/bin/env python3
"""Hostile clients of the control socket and the metrics port, as reusable functions.

The unit tests in tests/control drive the servers in-process; these are the same scenarios
for a real `iocgate control` (the integration tests import this module) or for the test
harness (`selftest`). Every loop is bounded in count and time, every address is loopback or
a unix socket, and every function cleans up what it opened.

    import hostile_clients as hc
    with hc.idle_clients(sock, 8), hc.trickle_client(sock, interval=5):
        reply, seconds = hc.timed_request(sock, {"cmd": "status"})
    failures = hc.check_malformed(sock)            # [] when every one got its error
    sent, status = hc.metrics_post_flood("127.0.0.1", port)
    with hc.idle_metrics_connections("127.0.0.1", port, 1100): ...

Run `hostile_clients.py selftest SOCKET HOST:PORT [SERVER_PID]` for every scenario against
live servers (with the pid, the 1 GiB POST is also judged by the server's RSS), or
`hostile_clients.py harness CTL_HARNESS` to run them against tests/control/ctl_harness.
"""

import contextlib
import json
import os
import resource
import socket
import sys
import threading
import time

# (raw request bytes, text the error must contain). Field names are quoted as the server
# names them; a request that is not JSON cannot name a field and gets the parser's reason.
_PUSH = b'{"cmd":"feed.push","name":"x",'
MALFORMED_REQUESTS = [
    (b'{"cmd":1}\n', '"cmd": expected a string, got a number'),
    (b'{"cmd":null}\n', '"cmd": expected a string, got null'),
    (b'{"cmd":["status"]}\n', '"cmd": expected a string, got an array'),
    (b'{"cmd":{"a":1}}\n', '"cmd": expected a string, got an object'),
    (b'{"cmd":true}\n', '"cmd": expected a string, got a boolean'),
    (b'{}\n', '"cmd": missing'),
    (b'{"cmd":"nope"}\n', '"cmd": unknown command'),
    (b'{"cmd":"feed.push","name":123}\n', '"name": expected a string, got a number'),
    (b'{"cmd":"feed.push"}\n', '"name": missing'),
    (_PUSH + b'"action":5}\n', '"action": expected a string'),
    (_PUSH + b'"advisory":[]}\n', '"advisory": expected a string, got an array'),
    (_PUSH + b'"group":{}}\n', '"group": expected a string, got an object'),
    (_PUSH + b'"expires":20261231}\n', '"expires": expected a string'),
    (_PUSH + b'"source":false}\n', '"source": expected a string, got a boolean'),
    (_PUSH + b'"format":1.5}\n', '"format": expected a string'),
    (_PUSH + b'"force":"1.2.3.4"}\n', '"force": expected a list of strings'),
    (_PUSH + b'"force":[1]}\n', '"force": entry 0: expected a string'),
    (_PUSH + b'"confirm":"yes"}\n', '"confirm": expected true or false'),
    (_PUSH + b'"content_length":"12"}\n', '"content_length": expected a whole number of bytes, got a string'),
    (_PUSH + b'"content_length":-1}\n', '"content_length": must not be negative'),
    (_PUSH + b'"content_length":1.5}\n', '"content_length": expected a whole number'),
    (_PUSH + b'"content_length":2000000000}\n', 'over the 1 GiB limit'),
    (b'{"cmd":"status","content_length":5}\n', '"content_length": only feed.push carries content'),
    (_PUSH + b'"no_such_flag":true}\n', 'unknown field "no_such_flag" for feed.push'),
    (b'{"cmd":"status","verbose":true}\n', 'unknown field "verbose" for status'),
    (b'{"cmd":"feed.show"}\n', '"name": missing'),
    (b'{"cmd":"feed.show","name":[]}\n', '"name": expected a string, got an array'),
    (b'{"cmd":"feed.remove","name":{}}\n', '"name": expected a string, got an object'),
    (b'{"cmd":"report","since_seconds":"24h"}\n', '"since_seconds": expected a number'),
    (b'{"cmd":"report","since_seconds":-5}\n', '"since_seconds": must not be negative'),
    (b'{"cmd":"report","since_seconds":9223372036854775807}\n', '"since_seconds": 9223372036854775807 is over'),
    (b'{"cmd":"report","feed":7}\n', '"feed": expected a string, got a number'),
    (b'{"cmd":"feed.push","name":"' + b'a' * 300 + b'"}\n', '"name": 300 bytes, over the limit'),
    (_PUSH + b'"advisory":"\\u0001"}\n', '"advisory": contains a control character'),
    (_PUSH + b'"group":"a\\nb"}\n', '"group": contains a control character (0x0A'),
    (_PUSH + b'"advisory":"\xe9t\xe9"}\n', 'not JSON'),
    (_PUSH + b'"advisory":"\\ud800"}\n', 'not JSON'),
    (b'{"cmd":"status"\n', 'not JSON'),
    (b'\n', 'not JSON'),
    (b'[]\n', 'must be a JSON object, got an array'),
    (b'"status"\n', 'must be a JSON object, got a string'),
    (b'null\n', 'must be a JSON object, got null'),
    (b' ' * (64 * 1024 + 10), 'header line is over 64 KiB'),
]


def _unix(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def _read_line(s, timeout, limit=64 << 20):
    s.settimeout(timeout)
    data = b''
    end = time.monotonic() + timeout
    while b'\n' not in data and len(data) < limit and time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def send_raw(path, data, timeout=10.0):
    """Sends raw bytes on the control socket; returns the reply (dict) or the raw bytes."""
    with contextlib.closing(_unix(path, timeout)) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early and closed; its reply is still to be read
        line = _read_line(s, timeout)
    try:
        return json.loads(line)
    except ValueError:
        return line


def timed_request(path, request, content=b'', timeout=30.0):
    """One well-formed request; returns (reply dict or raw bytes, seconds it took)."""
    header = dict(request)
    if content:
        header['content_length'] = len(content)
    t0 = time.monotonic()
    reply = send_raw(path, json.dumps(header).encode() + b'\n' + content, timeout)
    return reply, time.monotonic() - t0


def check_malformed(path, cases=MALFORMED_REQUESTS, timeout=10.0):
    """Sends every malformed request; returns the failures as text ([] when all passed)."""
    failures = []
    for data, expect in cases:
        reply = send_raw(path, data, timeout)
        if not isinstance(reply, dict) or reply.get('ok') is not False:
            failures.append('%r: no error reply: %r' % (data[:60], reply if isinstance(reply, dict) else reply[:200]))
        elif expect not in reply.get('error', ''):
            failures.append('%r: error %r lacks %r' % (data[:60], reply.get('error', '')[:300], expect))
        elif len(reply.get('error', '')) > 1024:
            failures.append('%r: the error echoes %d bytes' % (data[:60], len(reply['error'])))
    return failures


@contextlib.contextmanager
def idle_clients(path, n):
    """n connections to the control socket that never send a byte."""
    socks = []
    try:
        for _ in range(n):
            socks.append(_unix(path))
        yield socks
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def trickle_client(path, interval=5.0, data=b'{"cmd":"status"}\n', max_seconds=120.0):
    """A client sending one byte of a request every `interval` seconds, in a thread."""
    s = _unix(path)
    stop = threading.Event()

    def run():
        end = time.monotonic() + max_seconds
        for i in range(len(data)):
            if stop.is_set() or time.monotonic() > end:
                return
            try:
                s.sendall(data[i:i + 1])
            except OSError:
                return  # the server closed it at its deadline
            stop.wait(interval)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield s
    finally:
        stop.set()
        t.join(timeout=5)
        s.close()


def raise_nofile(n):
    """Raises this process's RLIMIT_NOFILE soft limit to n (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        target = n if hard == resource.RLIM_INFINITY else min(n, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, max(hard, target) if hard != resource.RLIM_INFINITY else hard))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@contextlib.contextmanager
def idle_metrics_connections(host, port, n, connect_seconds=10.0):
    """n TCP connections to the metrics port that never send; yields how many connected."""
    raise_nofile(n + 256)
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex((host, port))
            socks.append(s)
        import selectors
        sel = selectors.DefaultSelector()
        for s in socks:
            sel.register(s, selectors.EVENT_WRITE)
        connected = 0
        end = time.monotonic() + connect_seconds
        while connected < n and time.monotonic() < end:
            for key, _ in sel.select(timeout=0.2):
                sel.unregister(key.fileobj)
                connected += 1
        sel.close()
        yield connected
    finally:
        for s in socks:
            s.close()


@contextlib.contextmanager
def slow_metrics_clients(host, port, n, interval=0.5, max_seconds=60.0):
    """n clients each sending a GET one byte per `interval`, in one thread."""
    req = b'GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: ' + b'a' * 64 + b'\r\n'
    socks = [socket.create_connection((host, port), timeout=5) for _ in range(n)]
    stop = threading.Event()

    def run():
        end = time.monotonic() + max_seconds
        for i in range(len(req)):
            if stop.is_set() or time.monotonic() > end:
                return
            for s in socks:
                try:
                    s.sendall(req[i:i + 1])
                except OSError:
                    pass
            stop.wait(interval)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    try:
        yield socks
    finally:
        stop.set()
        t.join(timeout=5)
        for s in socks:
            s.close()


def http_get(host, port, path='/metrics', timeout=10.0):
    """(status code or None, body bytes, seconds) of one GET with Connection: close."""
    t0 = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(('GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' % (path, host)).encode())
            data = b''
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None, b'', time.monotonic() - t0
    head, _, body = data.partition(b'\r\n\r\n')
    try:
        status = int(head.split(b' ')[1])
    except (IndexError, ValueError):
        status = None
    return status, body, time.monotonic() - t0


def metrics_post_flood(host, port, size=1 << 30, timeout=60.0):
    """POSTs a body of `size` bytes to /metrics; returns (bytes sent, HTTP status or None).
    A server that refuses bodies answers 413 and closes long before the end."""
    sent = 0
    chunk = b'p' * (1 << 20)
    status = None
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(b'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % size)
        end = time.monotonic() + timeout
        try:
            while sent < size and time.monotonic() < end:
                sent += s.send(chunk[:min(len(chunk), size - sent)])
        except OSError:
            pass
        try:
            s.settimeout(2)
            head = s.recv(4096)
            status = int(head.split(b' ')[1]) if head.startswith(b'HTTP/') else None
        except (OSError, IndexError, ValueError):
            pass
    return sent, status


def rss_kib(pid):
    """VmRSS of a process, in KiB."""
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return -1


def selftest(sock, metrics, server_pid=None):
    """Every scenario against live servers; returns the list of failures."""
    host, _, port = metrics.rpartition(':')
    host = host.strip('[]') or '127.0.0.1'
    port = int(port)
    failures = []
    checks = []

    def check(what, ok, detail=''):
        print('%s: %s%s' % ('ok' if ok else 'FAIL', what, (' (' + detail + ')') if detail else ''), flush=True)
        checks.append(what)
        if not ok:
            failures.append(what + ': ' + detail)

    bad = check_malformed(sock)
    check('%d malformed requests each get an error naming the field' % len(MALFORMED_REQUESTS), not bad,
          '; '.join(bad[:5]))
    with idle_clients(sock, 8), trickle_client(sock, interval=5):
        time.sleep(0.2)
        reply, secs = timed_request(sock, {'cmd': 'status'})
    check('status beside 8 idle and 1 trickling client within 1 s', isinstance(reply, dict) and secs <= 1.0,
          '%.3f s' % secs)
    with idle_clients(sock, 17):
        reply, secs = timed_request(sock, {'cmd': 'status'})
    check('status beside 17 held connections within 1 s', isinstance(reply, dict) and secs <= 1.0, '%.3f s' % secs)
    before = rss_kib(server_pid) if server_pid else None
    sent, status = metrics_post_flood(host, port)
    grew = (rss_kib(server_pid) - before) if server_pid else 0
    check('1 GiB POST refused (413) without buffering', status == 413 and grew < 64 * 1024,
          'status %s after %d MiB, RSS %+d KiB' % (status, sent >> 20, grew))
    with slow_metrics_clients(host, port, 16):
        time.sleep(0.5)
        code, _, secs = http_get(host, port)
    check('/metrics beside 16 slow clients within 5 s', code == 200 and secs <= 5.0, '%s in %.3f s' % (code, secs))
    with idle_metrics_connections(host, port, 1100) as n:
        time.sleep(0.5)
        reply, secs = timed_request(sock, {'cmd': 'status'})
        code, _, _ = http_get(host, port)
    check('status beside %d idle metrics connections within 1 s' % n,
          isinstance(reply, dict) and reply.get('ok') is True and secs <= 1.0, '%.3f s, %r' % (secs, reply)[:200])
    check('/metrics still answers beside them', code == 200, str(code))
    return len(checks), failures


def run_harness(exe):
    """Starts tests/control's ctl_harness (the two servers, a trivial handler, RLIMIT_NOFILE
    1024) and runs the selftest against it."""
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, 'ctl.sock')
        p = subprocess.Popen([exe, sock], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            line = p.stdout.readline().split()
            if len(line) != 2 or line[0] != 'metrics':
                print('FAIL: the harness did not start: %r' % line)
                return 1, ['harness']
            return selftest(sock, line[1], p.pid)
        finally:
            p.stdin.close()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == '__main__':
    if len(sys.argv) >= 4 and sys.argv[1] == 'selftest':
        n, fails = selftest(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None)
    elif len(sys.argv) == 3 and sys.argv[1] == 'harness':
        n, fails = run_harness(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)
    print('%d passed, %d failed' % (n - len(fails), len(fails)))
    sys.exit(1 if fails else 0)
