#!/usr/bin/python3
# tests/integration/gen_traffic.py — writes a deterministic mixed capture, the same IoCs as a plain
# list, a MISP CSV and a STIX 2.1 bundle, and the expected verdict of every packet (truth.tsv).
# The truth comes from the verdict semantics below, never from the implementation. Run with
# /usr/bin/python3 (Debian's python3-scapy); `--verify` re-dissects the capture with tshark.
#
# Semantics (the spec the truth is computed from):
#  - source or destination address inside an IoC address/prefix (IPv4/IPv6) -> drop (reason ip, ip6,
#    ip-frag); non-first fragments are judged by address only;
#  - UDP/TCP query to port 53 whose question name equals an IoC domain or is a subdomain of it (label
#    boundary, case-insensitive, one trailing dot ignored) -> drop (dns); over TCP the segment with the
#    query (dns-tcp) and every later packet of that flow (dns-tcp-flow);
#  - TLS ClientHello with a matching SNI / HTTP/1.x request with a matching Host (port stripped) ->
#    the packet completing the ClientHello / carrying the request is dropped (sni, host) and every later
#    packet of the TCP 5-tuple in both directions, whatever the VLAN tags (sni-flow, host-flow);
#    packets of the flow before it pass (pre-sni, pre-host, pre-dns-tcp). A ClientHello or request
#    split to evade that is read as the receiver reads it: in IP fragments (IPv4, IPv6, in order
#    or not; the fragment that completes the datagram is the trigger), in 1-byte segments, over
#    many TLS records;
#  - a stream that cannot be read (a retransmission overlapping held bytes with other bytes) is
#    dropped from that segment on, both directions (unreadable, unreadable-flow);
#  - everything else passes (clean, lookalike-*, near-miss, frag, frag-mimic, arp, icmp-quote, ...).
#
# --history adds, after the traffic above, DNS answers for listed names and connections without
# SNI to the answers' addresses (by the host that asked and by hosts that never asked), and
# writes hunt_truth.json: every (internal host, way of contact, IoC, what was seen) that a
# hunt of the whole feed over this traffic must report, from the same reference matcher.
import argparse
import ipaddress
import json
import os
import random
import struct
import subprocess
import sys
import uuid
import zlib

from scapy.config import conf

conf.verb = 0
from scapy.layers.inet import ICMP, IP, TCP, UDP, IPOption, fragment  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    PadN, RouterAlert, fragment6)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

GW_MAC = '00:00:5e:00:01:01'
TS0 = 1719187200  # 2024-06-24T00:00:00Z


# ---------------------------------------------------------------------------------------------
# The reference matcher: the verdict semantics, independent of the implementation.

def norm_domain(name):
    n = name.strip().lower()
    if n.endswith('.'):
        n = n[:-1]
    return n


class IocSet:
    def __init__(self):
        self.nets = []       # ipaddress networks (v4 and v6)
        self.domains = []    # normalised

    def addr_hit(self, a):
        if a is None:
            return False
        ip = ipaddress.ip_address(a)
        return any(ip.version == n.version and ip in n for n in self.nets)

    def name_hit(self, name):
        if name is None:
            return False
        n = norm_domain(name)
        return any(n == d or n.endswith('.' + d) for d in self.domains)


def host_header_name(value):
    """Host header value -> the name to match: OWS trimmed, port stripped; None for a literal."""
    v = value.strip()
    if v.startswith('['):
        return None  # IPv6 literal
    head, sep, tail = v.rpartition(':')
    if sep and tail.isdigit():
        v = head
    try:
        ipaddress.ip_address(v)
        return None
    except ValueError:
        return v


# ---------------------------------------------------------------------------------------------
# Packet records and conversations.

class Pkt:
    __slots__ = ('frame', 'src', 'dst', 'flow', 'trigger', 'dnsname', 'expect', 'frag')

    def __init__(self, frame, src, dst, flow=None, trigger=None, dnsname=None, expect=None,
                 frag=False):
        self.frame = frame        # bytes, the whole Ethernet frame
        self.src, self.dst = src, dst  # outer IP addresses (None for non-IP)
        self.flow = flow          # TCP 5-tuple key, direction- and VLAN-independent
        self.trigger = trigger    # ('sni'|'host'|'dns-tcp', name) when this packet carries the name
        self.dnsname = dnsname    # question name of a UDP query to port 53
        self.expect = expect      # (tshark field, value) the dissector must show on this frame
        self.frag = frag


class Conv:
    def __init__(self, kind, tag, intent):
        self.kind = kind          # what it is, for the counts
        self.tag = tag            # pass reason of its passing packets
        self.intent = intent      # 'pass' | 'drop-all' | 'trigger': checked against the truth
        self.pkts = []


def mac_for(ip):
    h = zlib.crc32(ip.encode())
    return '02:%02x:%02x:%02x:%02x:%02x' % (0x10, (h >> 24) & 255, (h >> 16) & 255, (h >> 8) & 255,
                                             h & 255)


def is_internal(a):
    ip = ipaddress.ip_address(a)
    return ip in ipaddress.ip_network('10.0.0.0/8') or ip in ipaddress.ip_network('fd00::/8')


def flow_key(proto, a, ap, b, bp):
    x = (ipaddress.ip_address(a).packed, ap)
    y = (ipaddress.ip_address(b).packed, bp)
    return (proto,) + ((x, y) if x <= y else (y, x))


# ---------------------------------------------------------------------------------------------
# Payload builders (by hand, with struct).

def dns_name(name):
    n = name[:-1] if name.endswith('.') else name
    out = b''
    for lab in n.split('.'):
        out += bytes([len(lab)]) + lab.encode()
    return out + b'\x00'


def dns_query(qid, name, qtype=1, edns=True):
    hdr = struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    msg = hdr + dns_name(name) + struct.pack('!HH', qtype, 1)
    if edns:
        msg += b'\x00' + struct.pack('!HHIH', 41, 1232, 0, 0)
    return msg


def dns_response(rng, qid, name, qtype=1):
    hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0)
    q = dns_name(name) + struct.pack('!HH', qtype, 1)
    rdata = bytes(rng.getrandbits(8) for _ in range(16 if qtype == 28 else 4))
    qtype_a = 28 if qtype == 28 else 1
    ans = struct.pack('!HHHIH', 0xc00c, qtype_a, 1, rng.randrange(30, 3600), len(rdata)) + rdata
    return hdr + q + ans


GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa,
          0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa]


def rbytes(rng, n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def dns_answer_response(qid, name, addrs, ttl):
    """A NOERROR response for `name` whose answer section holds A/AAAA records of `addrs`
    (owner: a compression pointer to the question)."""
    hdr = struct.pack('!HHHHHH', qid, 0x8180, 1, len(addrs), 0, 0)
    q = dns_name(name) + struct.pack('!HH', 28 if ':' in addrs[0] else 1, 1)
    ans = b''
    for a in addrs:
        ip = ipaddress.ip_address(a)
        ans += struct.pack('!HHHIH', 0xc00c, 28 if ip.version == 6 else 1, 1, ttl, len(ip.packed)) + ip.packed
    return hdr + q + ans


def tls_client_hello(rng, sni, pq=False):
    """A TLS record holding a Chrome-like ClientHello; pq: X25519MLKEM768 key share, 1.8-2 KB."""
    def ext(t, body):
        return struct.pack('!HH', t, len(body)) + body
    g1, g2 = rng.sample(GREASE, 2)
    exts = []
    if sni is not None:
        nm = sni.encode()
        lst = struct.pack('!BH', 0, len(nm)) + nm
        exts.append(ext(0, struct.pack('!H', len(lst)) + lst))
    exts.append(ext(23, b''))
    exts.append(ext(65281, b'\x00'))
    groups = ([g1, 0x11ec] if pq else [g1]) + [0x001d, 0x0017, 0x0018]
    exts.append(ext(10, struct.pack('!H', 2 * len(groups)) + b''.join(struct.pack('!H', g) for g in groups)))
    exts.append(ext(11, b'\x01\x00'))
    exts.append(ext(35, b''))
    alpn = b''.join(bytes([len(p)]) + p for p in (b'h2', b'http/1.1'))
    exts.append(ext(16, struct.pack('!H', len(alpn)) + alpn))
    exts.append(ext(5, b'\x01\x00\x00\x00\x00'))
    sig = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    exts.append(ext(13, struct.pack('!H', 2 * len(sig)) + b''.join(struct.pack('!H', s) for s in sig)))
    exts.append(ext(18, b''))
    shares = [(g1, b'\x00')]
    if pq:
        shares.append((0x11ec, rbytes(rng, 1216)))
    shares.append((0x001d, rbytes(rng, 32)))
    ks = b''.join(struct.pack('!HH', g, len(k)) + k for g, k in shares)
    exts.append(ext(51, struct.pack('!H', len(ks)) + ks))
    exts.append(ext(45, b'\x01\x01'))
    exts.append(ext(43, b'\x06' + struct.pack('!HHH', g2, 0x0304, 0x0303)))
    exts.append(ext(27, b'\x02\x00\x02'))
    exts.append(ext(17513, b'\x00\x03\x02h2'))
    if pq:  # ECH GREASE, as Chrome sends it
        enc = rbytes(rng, 32)
        payload = rbytes(rng, rng.choice([144, 176, 208, 240]))
        exts.append(ext(0xfe0d, b'\x00\x00\x01\x00\x01' + bytes([rng.randrange(256)])
                        + struct.pack('!H', len(enc)) + enc + struct.pack('!H', len(payload)) + payload))
    rng.shuffle(exts)
    exts = [ext(g1, b'')] + exts + [ext(g2, b'\x00')]
    ciphers = [g1, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
               0xc014, 0x009c, 0x009d, 0x002f, 0x0035]

    def build(exts):
        extb = b''.join(exts)
        body = (struct.pack('!H', 0x0303) + rbytes(rng, 32) + b'\x20' + rbytes(rng, 32)
                + struct.pack('!H', 2 * len(ciphers)) + b''.join(struct.pack('!H', c) for c in ciphers)
                + b'\x01\x00' + struct.pack('!H', len(extb)) + extb)
        hs = b'\x01' + len(body).to_bytes(3, 'big') + body
        return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs
    rec = build(exts)
    if pq:
        target = rng.randrange(1800, 2001)
        if len(rec) + 4 < target:
            exts.insert(-1, ext(21, b'\x00' * (target - len(rec) - 4)))
            rec = build(exts)
    elif rng.random() < 0.5:  # Chrome pads small hellos to 512 bytes
        if len(rec) + 4 < 517:
            exts.insert(-1, ext(21, b'\x00' * (517 - len(rec) - 4)))
            rec = build(exts)
    return rec


def tls_server_flight(rng):
    ks = struct.pack('!HH', 0x001d, 32) + rbytes(rng, 32)
    exts = struct.pack('!HHH', 43, 2, 0x0304) + struct.pack('!HH', 51, len(ks)) + ks
    body = (b'\x03\x03' + rbytes(rng, 32) + b'\x20' + rbytes(rng, 32) + struct.pack('!HB', 0x1301, 0)
            + struct.pack('!H', len(exts)) + exts)
    hello = b'\x02' + len(body).to_bytes(3, 'big') + body
    out = b'\x16\x03\x03' + struct.pack('!H', len(hello)) + hello
    out += b'\x14\x03\x03\x00\x01\x01'
    for _ in range(rng.randrange(1, 3)):
        n = rng.randrange(200, 1500)
        out += b'\x17\x03\x03' + struct.pack('!H', n) + rbytes(rng, n)
    return out


def tls_app_data(rng, lo, hi):
    n = rng.randrange(lo, hi)
    return b'\x17\x03\x03' + struct.pack('!H', n) + rbytes(rng, n)


UAS = ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', 'curl/8.5.0',
       'Wget/1.21.3', 'python-requests/2.31.0', 'Go-http-client/1.1']


def http_request(rng, host_line, method='GET', path=None, version='1.1', extra=(), body=b'',
                 host_first=None):
    path = path or '/' + rng.choice(['', 'index.html', 'api/v1/status', 'update.bin', 'favicon.ico',
                                     'search?q=weather'])
    hdrs = ['User-Agent: ' + rng.choice(UAS), 'Accept: */*', 'Connection: keep-alive'] + list(extra)
    if host_line is not None:
        pos = 0 if (host_first if host_first is not None else rng.random() < 0.6) else rng.randrange(1, len(hdrs) + 1)
        hdrs.insert(pos, host_line)
    if body:
        hdrs.append('Content-Length: %d' % len(body))
        hdrs.append('Content-Type: application/x-www-form-urlencoded')
    return ('%s %s HTTP/%s\r\n' % (method, path, version)).encode() + \
        ''.join(h + '\r\n' for h in hdrs).encode() + b'\r\n' + body


def http_response(rng):
    body = rbytes(rng, rng.randrange(100, 1400))
    return (b'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\n'
            b'Content-Length: %d\r\n\r\n' % len(body)) + body


# ---------------------------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.convs = []
        self.iocs = IocSet()
        self.used_ports = set()
        self.feed_v4 = []     # (text, kind) kind: host|cidr
        self.feed_v6 = []
        self.feed_dom = []    # as written (display form)
        self.near4, self.near6 = [], []
        self.hit4, self.hit6 = [], []   # (address, label) inside IoCs

    # ---- addresses
    def pub4(self):
        while True:
            a = self.rng.randrange(1, 224)
            if a in (10, 100, 127, 169, 172, 192, 198, 203, 0):
                continue
            ip = '%d.%d.%d.%d' % (a, self.rng.randrange(256), self.rng.randrange(256),
                                  self.rng.randrange(1, 255))
            if not self.iocs.addr_hit(ip) and ip not in self.near4:
                return ip

    def pub6(self):
        while True:
            base = self.rng.choice(['2a00:1450:4001', '2606:4700:3033', '2a03:2880:f12f', '2620:1ec:bdf'])
            ip = str(ipaddress.ip_address('%s:%x::%x' % (base, self.rng.randrange(0x8000),
                                                       self.rng.randrange(1, 0xffff))))
            if not self.iocs.addr_hit(ip):
                return ip

    def cli4(self):
        return '10.%d.%d.%d' % (self.rng.randrange(0, 4), self.rng.randrange(256), self.rng.randrange(2, 254))

    def cli6(self):
        return str(ipaddress.ip_address('fd00:0:0:%x::%x' % (self.rng.randrange(1, 5), self.rng.randrange(2, 0xfff))))

    def srv_int4(self):
        return '10.20.0.%d' % self.rng.randrange(2, 60)

    def srv_int6(self):
        return str(ipaddress.ip_address('fd00:0:0:20::%x' % self.rng.randrange(2, 60)))

    def port(self):
        while True:
            p = self.rng.randrange(1025, 65535)
            if p not in self.used_ports and p not in (5353, 8080, 8443, 9999):
                self.used_ports.add(p)
                return p

    def ioc_hit(self, v6):
        return self.rng.choice(self.hit6 if v6 else self.hit4)

    # ---- IoCs
    def make_iocs(self):
        r = self.rng
        for _ in range(30):
            ip = self.pub4()
            self.iocs.nets.append(ipaddress.ip_network(ip + '/32'))
            self.feed_v4.append((ip, 'host'))
            self.hit4.append(ip)
        for plen in [24] * 6 + [16] * 4:
            while True:
                base = self.pub4()
                net = ipaddress.ip_network(base + '/%d' % plen, strict=False)
                if not any(net.overlaps(n) for n in self.iocs.nets if n.version == 4):
                    break
            self.iocs.nets.append(net)
            self.feed_v4.append((str(net), 'cidr'))
            for _ in range(3):
                self.hit4.append(str(net.network_address + r.randrange(1, net.num_addresses - 1)))
        for i in range(8):
            pfx = '2001:db8:%x' % r.randrange(0x100, 0xffff) if i % 2 else '2a0b:%x:%x' % (
                r.randrange(0x1000, 0xffff), r.randrange(0xffff))
            ip = str(ipaddress.ip_address('%s::%x' % (pfx, r.randrange(1, 0xffff))))
            self.iocs.nets.append(ipaddress.ip_network(ip + '/128'))
            self.feed_v6.append((ip, 'host'))
            self.hit6.append(ip)
        for i in range(4):
            net = ipaddress.ip_network('2001:db8:%x::/48' % r.randrange(0x100, 0xffff) if i % 2 else
                                       '2a0b:%x:%x::/48' % (r.randrange(0x1000, 0xffff), r.randrange(0xffff)))
            self.iocs.nets.append(net)
            self.feed_v6.append((str(net), 'cidr'))
            for _ in range(3):
                self.hit6.append(str(net.network_address + r.getrandbits(80)))
        # near misses: just outside each IoC
        for n in self.iocs.nets:
            if n.version == 4:
                step = n.num_addresses
                cands = [n.network_address - 1, n.broadcast_address + 1] if step > 1 else \
                    [n.network_address - 1, n.network_address + 1]
                if step > 1:
                    cands.append(n.broadcast_address + 1 + r.randrange(1, 200))
                for c in cands:
                    if not self.iocs.addr_hit(str(c)) and 0 < int(c) >> 24 < 224:
                        self.near4.append(str(c))
            else:
                if n.prefixlen == 128:
                    cands = [n.network_address + 1, n.network_address - 1]
                else:
                    cands = [n.broadcast_address + 1 + r.getrandbits(64), n.network_address - 1 - r.getrandbits(64)]
                for c in cands:
                    if not self.iocs.addr_hit(str(c)):
                        self.near6.append(str(c))
        words = ['update', 'cdn', 'sync', 'login', 'secure', 'mail', 'cloud', 'api', 'telemetry',
                 'office', 'verify', 'account', 'static', 'files', 'portal']
        tlds = ['com', 'net', 'org', 'xyz', 'info', 'top', 'ru', 'io']
        doms = ['evil.com']
        while len(doms) < 22:
            d = '%s-%s%d.%s' % (r.choice(words), r.choice(words), r.randrange(10, 999), r.choice(tlds))
            if d not in doms:
                doms.append(d)
        # IoCs below a registrable domain: their parent must pass
        doms += ['dl.%s-%s%d.net' % (r.choice(words), r.choice(words), r.randrange(10, 999)),
                 'c2.%s%d.org' % (r.choice(words), r.randrange(10, 999)),
                 'a.b.%s%d.io' % (r.choice(words), r.randrange(10, 999))]
        self.iocs.domains = [norm_domain(d) for d in doms]
        self.feed_dom = doms

    def lookalikes(self, d):
        r = self.rng
        parts = d.split('.')
        out = ['not' + d, d + '.example.org', d.replace('.', '-') + '.com',
               '.'.join(parts[:-1]) + '.' + ('co' if parts[-1] != 'co' else 'cc'),
               parts[0][:-1] + '.' + '.'.join(parts[1:]) if len(parts[0]) > 1 else 'x' + d,
               'www.' + parts[0] + 'x.' + '.'.join(parts[1:])]
        if len(parts) > 2:
            out.append('.'.join(parts[1:]))          # the parent of a multi-label IoC
            out.append('www.' + '.'.join(parts[1:]))
        cands = [c for c in out if not self.iocs.name_hit(c)]
        return r.choice(cands)

    def matching_name(self, style=None):
        """A name that matches an IoC domain: exact, upper case, mixed case, or a subdomain."""
        r = self.rng
        d = r.choice(self.iocs.domains)
        style = style or r.choice(['exact', 'upper', 'mixed', 'sub', 'sub', 'deep'])
        if style == 'exact':
            n = d
        elif style == 'upper':
            n = d.upper()
        elif style == 'mixed':
            n = ''.join(c.upper() if r.random() < 0.5 else c for c in d)
        elif style == 'sub':
            n = r.choice(['www', 'api', 'cdn', 'x1', 'mail', 'WWW']) + '.' + d
        else:
            n = 'a%d.b-%d.%s' % (r.randrange(100), r.randrange(100), d)
        return n

    def benign_name(self):
        r = self.rng
        n = r.choice(['www.example.com', 'api.github.com', 'www.debian.org', 'deb.debian.org',
                      'fonts.gstatic.com', 'time.cloudflare.com', 'login.microsoftonline.com',
                      'update.googleapis.com', 'www.wikipedia.org', 'cdn.jsdelivr.net',
                      'outlook.office365.com', 'ocsp.digicert.com', 'repo.maven.apache.org',
                      'site%d.example.net' % r.randrange(50), 'host%d.corp.example' % r.randrange(50)])
        assert not self.iocs.name_hit(n)
        return n

    # ---- L2/L3 encapsulation
    def rand_encap(self):
        r = self.rng
        k = r.choices(['none', 'q', 'ad', 'qq', 'vary'], [40, 25, 12, 10, 13])[0]
        if k == 'none':
            return ('none',)
        if k == 'q':
            return ('q', r.randrange(1, 4095))
        if k in ('ad', 'qq'):
            return (k, r.randrange(1, 4095), r.randrange(1, 4095))
        return ('vary',)

    def l2(self, l3, src, dst, encap, ethertype=None):
        if encap[0] == 'vary':
            encap = self.rand_encap()
            while encap[0] == 'vary':
                encap = self.rand_encap()
        smac = mac_for(src) if is_internal(src) else GW_MAC
        dmac = mac_for(dst) if is_internal(dst) else GW_MAC
        e = Ether(src=smac, dst=dmac)
        if encap[0] == 'q':
            e = e / Dot1Q(vlan=encap[1], prio=self.rng.choice([0, 0, 0, 5]))
        elif encap[0] == 'ad':
            e = e / Dot1AD(vlan=encap[1]) / Dot1Q(vlan=encap[2])
        elif encap[0] == 'qq':
            e = Ether(src=smac, dst=dmac, type=0x8100) / Dot1Q(vlan=encap[1]) / Dot1Q(vlan=encap[2])
        return bytes(e / l3)

    def ip(self, src, dst, ipopt=None, hbh=None, ttl=None):
        if ':' in src:
            l3 = IPv6(src=src, dst=dst, hlim=ttl or self.rng.choice([64, 64, 128, 57]),
                      fl=self.rng.getrandbits(20))
            if hbh == 'hbh':
                l3 = l3 / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
            elif hbh == 'hbh+dst':
                l3 = l3 / IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\x00' * 4)]) / \
                    IPv6ExtHdrDestOpt(options=[PadN(optdata=b'\x00' * 4)])
            return l3
        kw = {}
        if ipopt == 'ra':
            kw['options'] = IPOption(b'\x94\x04\x00\x00')
        elif ipopt == 'rr':
            kw['options'] = IPOption(b'\x01\x07\x0b\x04' + b'\x00' * 8)  # NOP, RR with 2 slots
        elif ipopt == 'ts':
            kw['options'] = IPOption(b'\x44\x0c\x05\x00' + b'\x00' * 8)
        return IP(src=src, dst=dst, id=self.rng.getrandbits(16), ttl=ttl or self.rng.choice([64, 128, 57, 243]),
                  flags='DF' if self.rng.random() < 0.7 else 0, **kw)

    # ---- conversations
    def conv(self, kind, tag, intent):
        c = Conv(kind, tag, intent)
        self.convs.append(c)
        return c

    def tcp(self, c, cli, srv, sport, encap=None, ipopt=None, hbh=None):
        return TcpConv(self, c, cli, srv, self.port(), sport, encap or self.rand_encap(), ipopt, hbh)

    def tcp_generic(self, cli, srv, sport, tag='clean', intent='pass', kind='tcp', encap=None,
                    ipopt=None, hbh=None):
        c = self.conv(kind, tag, intent)
        t = self.tcp(c, cli, srv, sport, encap, ipopt, hbh)
        t.handshake()
        if sport == 22:
            t.data(False, b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')
            t.data(True, b'SSH-2.0-OpenSSH_9.6\r\n')
        for _ in range(self.rng.randrange(1, 3)):
            t.data(True, b'\x00\x00' + rbytes(self.rng, self.rng.randrange(40, 400)))
            t.data(False, b'\x00\x00' + rbytes(self.rng, self.rng.randrange(40, 2000)))
        t.close()
        return c

    def tls_flow(self, cli, srv, sni, sport=443, pq=False, nseg=1, tag='clean', intent=None,
                 kind='tls', encap=None, ipopt=None, hbh=None, special_cut=None):
        hit = self.iocs.name_hit(sni)
        c = self.conv(kind, tag, intent or ('trigger' if hit else 'pass'))
        t = self.tcp(c, cli, srv, sport, encap, ipopt, hbh)
        t.handshake()
        ch = tls_client_hello(self.rng, sni, pq)
        if nseg == 1 and len(ch) <= 1460:
            cuts = []
        elif nseg == 1:
            cuts = [1460 if ':' not in cli else 1440]
        else:
            cuts = set()
            if special_cut == 'hdr':
                cuts.add(5)
            elif special_cut == 'one':
                cuts.add(1)
            elif special_cut == 'name':
                i = ch.find(sni.encode())
                cuts.add(i + len(sni) // 2)
            while len(cuts) < nseg - 1:
                cuts.add(self.rng.randrange(1, len(ch)))
            cuts = sorted(cuts)
        t.data(True, ch, cuts=cuts, trigger=('sni', sni), expect=('sni', sni))
        t.data(False, tls_server_flight(self.rng), mss=1448)
        t.data(True, b'\x14\x03\x03\x00\x01\x01' + tls_app_data(self.rng, 40, 90))
        for _ in range(self.rng.randrange(0, 2)):
            t.data(True, tls_app_data(self.rng, 100, 600))
            t.data(False, tls_app_data(self.rng, 300, 2500), mss=1448)
        t.close()
        return c

    def http_flow(self, cli, srv, requests, sport=80, tag='clean', kind='http', encap=None,
                  ipopt=None, hbh=None):
        """requests: list of (payload, host value for matching or None)."""
        hit = any(self.iocs.name_hit(host_header_name(h)) for _, h in requests if h)
        c = self.conv(kind, tag, 'trigger' if hit else 'pass')
        t = self.tcp(c, cli, srv, sport, encap, ipopt, hbh)
        t.handshake()
        for payload, h in requests:
            t.data(True, payload, trigger=('host', h) if h else None,
                   expect=('host', h) if h else None, single=True)
            t.data(False, http_response(self.rng), mss=1448)
        t.close()
        return c

    def tls_split_flow(self, cli, srv, sni, how, kind='tls-split', tag='split'):
        """A ClientHello split to evade SNI filters: 'frag' (IP fragments, in order), 'frag-rev'
        (out of order, last fragment first), 'bytes' (1-byte TCP segments), 'records' (32-byte
        TLS records, one per segment)."""
        hit = self.iocs.name_hit(sni)
        c = self.conv(kind, tag, 'trigger' if hit else 'pass')
        t = self.tcp(c, cli, srv, 443, encap=('none',))
        t.handshake()
        ch = tls_client_hello(self.rng, sni)
        trig, exp = ('sni', sni), ('sni', sni)
        if how in ('frag', 'frag-rev'):
            fs = 8 * self.rng.randrange(10, 20)
            n = (len(ch) + 20 + fs - 1) // fs
            order = None if how == 'frag' else [n - 1] + list(range(n - 1))
            t.send_frags(True, ch, fs, order, trigger=trig, expect=exp)
        elif how == 'bytes':
            t.data(True, ch, cuts=list(range(1, len(ch))), trigger=trig, expect=exp)
        else:
            hs = ch[5:]
            recs = b''.join(b'\x16\x03\x01' + struct.pack('!H', len(hs[i:i + 32])) + hs[i:i + 32]
                            for i in range(0, len(hs), 32))
            t.data(True, recs, cuts=list(range(37, len(recs), 37)), trigger=trig, expect=exp)
        t.data(False, tls_server_flight(self.rng), mss=1448)
        t.data(True, b'\x14\x03\x03\x00\x01\x01' + tls_app_data(self.rng, 40, 90))
        t.close()
        return c

    def tls_conflict_flow(self, cli, srv, sni):
        """The hello in two segments, and between them a retransmission that overlaps the first
        with other bytes: no single reading exists, so the stream is unreadable (dropped)."""
        c = self.conv('tls-conflict', 'conflict', 'trigger')
        t = self.tcp(c, cli, srv, 443, encap=('none',))
        t.handshake()
        ch = tls_client_hello(self.rng, sni)
        seq0 = t.nxt[True]
        t.send_at(True, seq0, ch[:100])
        forged = bytes(b ^ 0x20 for b in ch[50:150])
        t.send_at(True, seq0 + 50, forged, trigger=('unreadable', None))
        t.nxt[True] = (seq0 + 100) & 0xffffffff
        t.data(True, ch[100:])
        t.data(False, tls_server_flight(self.rng), mss=1448)
        t.close()
        return c

    def http_frag_flow(self, cli, srv, host):
        hit = self.iocs.name_hit(host_header_name(host))
        c = self.conv('http-split', 'split', 'trigger' if hit else 'pass')
        t = self.tcp(c, cli, srv, 80, encap=('none',))
        t.handshake()
        t.send_frags(True, http_request(self.rng, 'Host: ' + host), 48, trigger=('host', host),
                     expect=('host', host))
        t.data(False, http_response(self.rng), mss=1448)
        t.close()
        return c

    def dns_udp(self, cli, res, name, qtype=1, respond=None, dport=53, tag='clean', kind='dns',
                encap=None, ipopt=None, hbh=None, intent=None):
        hit = self.iocs.name_hit(name) and dport == 53
        c = self.conv(kind, tag, intent or ('drop-all' if hit else 'pass'))
        encap = encap or self.rand_encap()
        sp = self.port()
        qid = self.rng.getrandbits(16)
        q = dns_query(qid, name, qtype, edns=self.rng.random() < 0.7)
        l3 = self.ip(cli, res, ipopt, hbh) / UDP(sport=sp, dport=dport) / Raw(q)
        c.pkts.append(Pkt(self.l2(l3, cli, res, encap), cli, res,
                          dnsname=name if dport == 53 else None,
                          expect=('dns', name)))
        if respond if respond is not None else not hit:
            l3 = self.ip(res, cli, hbh=hbh) / UDP(sport=dport, dport=sp) / Raw(dns_response(self.rng, qid, name, qtype))
            c.pkts.append(Pkt(self.l2(l3, res, cli, encap), res, cli))
        return c

    def dns_tcp(self, cli, res, name, tag='clean', kind='dns-tcp', encap=None):
        hit = self.iocs.name_hit(name)
        c = self.conv(kind, tag, 'trigger' if hit else 'pass')
        t = self.tcp(c, cli, res, 53, encap)
        t.handshake()
        qid = self.rng.getrandbits(16)
        q = dns_query(qid, name, self.rng.choice([1, 28, 16]))
        t.data(True, struct.pack('!H', len(q)) + q, trigger=('dns-tcp', name), expect=('dns', name),
               single=True)
        r = dns_response(self.rng, qid, name)
        t.data(False, struct.pack('!H', len(r)) + r)
        t.close()
        return c

    def icmp_echo(self, a, b, tag='clean', encap=None):
        v6 = ':' in a
        hit = self.iocs.addr_hit(a) or self.iocs.addr_hit(b)
        c = self.conv('icmp', tag, 'drop-all' if hit else 'pass')
        encap = encap or self.rand_encap()
        ident = self.rng.getrandbits(16)
        for s in range(self.rng.randrange(1, 4)):
            data = rbytes(self.rng, 56)
            if v6:
                req = ICMPv6EchoRequest(id=ident, seq=s, data=data)
                rep = ICMPv6EchoReply(id=ident, seq=s, data=data)
            else:
                req = ICMP(type=8, id=ident, seq=s) / Raw(data)
                rep = ICMP(type=0, id=ident, seq=s) / Raw(data)
            c.pkts.append(Pkt(self.l2(self.ip(a, b) / req, a, b, encap), a, b))
            c.pkts.append(Pkt(self.l2(self.ip(b, a) / rep, b, a, encap), b, a))
        return c

    def icmp_quote(self, router, host, ioc):
        """An ICMP error between benign hosts quoting a packet to an IoC: outer addresses decide."""
        c = self.conv('icmp-quote', 'icmp-quote', 'pass')
        inner = bytes(IP(src=host, dst=ioc, id=self.rng.getrandbits(16), ttl=1) /
                      UDP(sport=self.port(), dport=33434 + self.rng.randrange(30), chksum=0) / Raw(b'\x00' * 24))[:28]
        l3 = self.ip(router, host) / ICMP(type=11, code=0) / Raw(inner)
        c.pkts.append(Pkt(self.l2(l3, router, host, self.rand_encap()), router, host))
        return c

    def frag_udp(self, src, dst, size, nfrag, mimic=None, tag='frag', encap=None):
        hit = self.iocs.addr_hit(src) or self.iocs.addr_hit(dst)
        c = self.conv('ipv4-frag', tag, 'drop-all' if hit else 'pass')
        encap = encap or self.rand_encap()
        fsz = (size // nfrag + 7) // 8 * 8
        data = bytearray(rbytes(self.rng, size - 8))
        if mimic:  # the second fragment's data looks like a UDP header to port 53 + a DNS query
            fake = struct.pack('!HHHH', self.rng.randrange(1025, 65535), 53, 8 + 60, 0) + dns_query(0x4242, mimic)
            data[fsz - 8:fsz - 8 + len(fake)] = fake
        sp = self.port()
        whole = bytes(IP(src=src, dst=dst, id=1, proto=17) / UDP(sport=sp, dport=9999) / Raw(bytes(data)))[20:]
        ipid = self.rng.getrandbits(16)
        ttl = self.rng.choice([64, 128])
        for off in range(0, len(whole), fsz):
            chunk = whole[off:off + fsz]
            last = off + fsz >= len(whole)
            l3 = IP(src=src, dst=dst, id=ipid, ttl=ttl, proto=17, flags=0 if last else 'MF',
                    frag=off // 8) / Raw(chunk)
            c.pkts.append(Pkt(self.l2(l3, src, dst, encap), src, dst, frag=off > 0))
        return c

    def resolve(self, cli, res, name, addrs, ttl=300):
        """A UDP DNS query for `name` and the response with `addrs` (history scenario)."""
        c = self.conv('dns-resolve', 'resolve', 'any')
        encap = self.rand_encap()
        sp = self.port()
        qid = self.rng.getrandbits(16)
        l3 = self.ip(cli, res) / UDP(sport=sp, dport=53) / Raw(dns_query(qid, name, 28 if ':' in addrs[0] else 1))
        c.pkts.append(Pkt(self.l2(l3, cli, res, encap), cli, res, dnsname=name, expect=('dns', name)))
        l3 = self.ip(res, cli) / UDP(sport=53, dport=sp) / Raw(dns_answer_response(qid, name, addrs, ttl))
        c.pkts.append(Pkt(self.l2(l3, res, cli, encap), res, cli))
        c.qname, c.answers = name, addrs
        return c

    def connect_no_name(self, cli, srv, after, how):
        """A connection that names nothing: a ClientHello without SNI (as with ECH) or raw TCP,
        after conversation `after` (an index in convs) ended."""
        c = self.conv('tls-no-sni' if how == 'tls' else 'tcp-raw', 'no-name', 'any')
        c.after = (after, 0.01)
        t = self.tcp(c, cli, srv, 443 if how == 'tls' else 4444)
        t.handshake()
        if how == 'tls':
            t.data(True, tls_client_hello(self.rng, None))
            t.data(False, tls_server_flight(self.rng), mss=1448)
        else:
            t.data(True, b'\x00\x01' + rbytes(self.rng, 60))
            t.data(False, rbytes(self.rng, 200))
        t.close()
        return c

    def arp(self, a, b):
        c = self.conv('arp', 'arp', 'pass')
        encap = self.rand_encap()
        if encap[0] == 'vary':
            encap = ('none',)
        ma = mac_for(a)
        req = Ether(src=ma, dst='ff:ff:ff:ff:ff:ff')
        rep = Ether(src=GW_MAC, dst=ma)
        if encap[0] == 'q':
            req, rep = req / Dot1Q(vlan=encap[1]), rep / Dot1Q(vlan=encap[1])
        c.pkts.append(Pkt(bytes(req / ARP(op=1, hwsrc=ma, psrc=a, pdst=b)), None, None))
        if self.rng.random() < 0.6:
            c.pkts.append(Pkt(bytes(rep / ARP(op=2, hwsrc=GW_MAC, psrc=b, hwdst=ma, pdst=a)), None, None))
        return c


class TcpConv:
    def __init__(self, g, c, cli, srv, cport, sport, encap, ipopt, hbh):
        self.g, self.c, self.cli, self.srv, self.cport, self.sport = g, c, cli, srv, cport, sport
        self.encap, self.ipopt, self.hbh = encap, ipopt, hbh
        self.nxt = {True: g.rng.getrandbits(32), False: g.rng.getrandbits(32)}
        self.key = flow_key(6, cli, cport, srv, sport)
        self.win = {True: g.rng.choice([64240, 65535, 502, 2048]), False: g.rng.choice([65160, 28960, 501])}

    def send(self, c2s, flags, payload=b'', trigger=None, expect=None):
        src, dst = (self.cli, self.srv) if c2s else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if c2s else (self.sport, self.cport)
        seq = self.nxt[c2s]
        ack = 0 if flags == 'S' else self.nxt[not c2s]
        opts = [('MSS', 1460 if ':' not in src else 1440), ('SAckOK', b''), ('WScale', 7)] if 'S' in flags else []
        tcp = TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack, window=self.win[c2s], options=opts)
        l3 = self.g.ip(src, dst, self.ipopt, self.hbh) / tcp
        if payload:
            l3 = l3 / Raw(payload)
        self.nxt[c2s] = (seq + len(payload) + (1 if ('S' in flags or 'F' in flags) else 0)) & 0xffffffff
        self.c.pkts.append(Pkt(self.g.l2(l3, src, dst, self.encap), src, dst, flow=self.key,
                               trigger=trigger, expect=expect))

    def send_frags(self, c2s, payload, fragsize, order=None, trigger=None, expect=None):
        """One data segment in IP fragments of `fragsize` data bytes, sent in `order`; the last
        one sent completes the datagram and carries the trigger."""
        src, dst = (self.cli, self.srv) if c2s else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if c2s else (self.sport, self.cport)
        seq = self.nxt[c2s]
        tcp = TCP(sport=sp, dport=dp, flags='PA', seq=seq, ack=self.nxt[not c2s], window=self.win[c2s])
        self.nxt[c2s] = (seq + len(payload)) & 0xffffffff
        if ':' in src:
            ip6 = IPv6(src=src, dst=dst, hlim=64, fl=self.g.rng.getrandbits(20))
            whole = ip6 / IPv6ExtHdrFragment(id=self.g.rng.getrandbits(32)) / tcp / Raw(payload)
            frags = fragment6(whole, fragsize + 40 + 8)
        else:
            whole = IP(src=src, dst=dst, id=self.g.rng.getrandbits(16), ttl=64, proto=6) / tcp / Raw(payload)
            frags = fragment(whole, fragsize=fragsize)
        order = order or list(range(len(frags)))
        for n, i in enumerate(order):
            last = n == len(order) - 1
            self.c.pkts.append(Pkt(self.g.l2(frags[i], src, dst, self.encap), src, dst, flow=self.key,
                                   trigger=trigger if last else None, expect=expect if last else None,
                                   frag=i > 0))
        self.send(not c2s, 'A')

    def send_at(self, c2s, seq, payload, trigger=None):
        """A data segment at an explicit sequence number (a retransmission); nxt unchanged."""
        src, dst = (self.cli, self.srv) if c2s else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if c2s else (self.sport, self.cport)
        tcp = TCP(sport=sp, dport=dp, flags='PA', seq=seq & 0xffffffff, ack=self.nxt[not c2s], window=self.win[c2s])
        l3 = self.g.ip(src, dst, self.ipopt, self.hbh) / tcp / Raw(payload)
        self.c.pkts.append(Pkt(self.g.l2(l3, src, dst, self.encap), src, dst, flow=self.key, trigger=trigger))

    def handshake(self):
        self.send(True, 'S')
        self.send(False, 'SA')
        self.send(True, 'A')

    def close(self):
        self.send(True, 'FA')
        self.send(False, 'FA')
        self.send(True, 'A')

    def data(self, c2s, payload, mss=1460, cuts=None, trigger=None, expect=None, single=False):
        if ':' in (self.cli if c2s else self.srv):
            mss -= 20
        if single:
            cuts = []
        elif cuts is None:
            cuts = list(range(mss, len(payload), mss))
        bounds = [0] + list(cuts) + [len(payload)]
        segs = [payload[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]
        for i, s in enumerate(segs):
            last = i == len(segs) - 1
            self.send(c2s, 'PA' if last else 'A', s, trigger if last else None, expect if last else None)
            if not last and i % 2 == 1:
                self.send(not c2s, 'A')
        self.send(not c2s, 'A')


# ---------------------------------------------------------------------------------------------

def build_traffic(g):
    r = g.rng
    b4, b6 = g.pub4, g.pub6
    c4, c6 = g.cli4, g.cli6
    resolvers4 = ['10.255.0.53', '8.8.8.8', '1.1.1.1']
    resolvers6 = ['fd00::53', '2001:4860:4860::8888']
    dom = g.iocs.domains

    # plain benign flows, both directions, v4 and v6
    for i in range(40):
        v6 = i % 4 == 3
        if i % 3 == 2:   # inbound: external client -> internal server
            g.tcp_generic(b6() if v6 else b4(), g.srv_int6() if v6 else g.srv_int4(), r.choice([22, 25, 993, 3389]))
        else:
            g.tcp_generic(c6() if v6 else c4(), b6() if v6 else b4(), r.choice([22, 5201, 40000, 50022]))
    # IoC addresses as destination and as source (inbound), all protocols
    for i in range(48):
        v6 = i % 3 == 2
        ioc = g.ioc_hit(v6)
        kind = ['tcp', 'tls', 'http', 'in'][i % 4]
        intent = 'drop-all'
        if kind == 'in':
            g.tcp_generic(ioc, g.srv_int6() if v6 else g.srv_int4(), r.choice([22, 80, 443, 445]),
                          intent=intent, kind='ioc-addr-in')
        elif kind == 'tcp':
            g.tcp_generic(c6() if v6 else c4(), ioc, r.choice([22, 4444, 8888]), intent=intent, kind='ioc-addr-out')
        elif kind == 'tls':
            g.tls_flow(c6() if v6 else c4(), ioc, g.benign_name(), intent=intent, kind='ioc-addr-out')
        else:
            h = g.benign_name()
            g.http_flow(c6() if v6 else c4(), ioc, [(http_request(r, 'Host: ' + h), h)], kind='ioc-addr-out')
            g.convs[-1].intent = intent
    for i in range(10):
        v6 = i % 2
        g.icmp_echo(c6() if v6 else c4(), g.ioc_hit(v6))
        g.convs[-1].kind = 'ioc-addr-icmp'
    for i in range(8):
        v6 = i % 2
        g.dns_udp(c6() if v6 else c4(), g.ioc_hit(v6), g.benign_name(), intent='drop-all', kind='ioc-addr-dns')
    # near misses: just outside each IoC prefix -> pass
    for a in r.sample(g.near4, 24) + r.sample(g.near6, 8):
        v6 = ':' in a
        if r.random() < 0.5:
            g.tcp_generic(c6() if v6 else c4(), a, r.choice([443, 22, 8443]), tag='near-miss', kind='near-miss')
        else:
            g.tcp_generic(a, g.srv_int6() if v6 else g.srv_int4(), 22, tag='near-miss', kind='near-miss')
    # DNS over UDP
    for i in range(70):
        v6 = i % 4 == 1
        g.dns_udp(c6() if v6 else c4(), r.choice(resolvers6 if v6 else resolvers4), g.benign_name(),
                  qtype=r.choice([1, 28, 65]))
    for i in range(45):
        v6 = i % 4 == 1
        n = g.matching_name(['exact', 'upper', 'mixed', 'sub', 'deep'][i % 5])
        g.dns_udp(c6() if v6 else c4(), r.choice(resolvers6 if v6 else resolvers4), n,
                  qtype=r.choice([1, 28, 65, 16]))
    for i in range(45):
        v6 = i % 4 == 1
        d = dom[i % len(dom)] if i % 3 else 'evil.com'
        n = ['notevil.com', 'evil.com.example.org', 'evilxcom.net', 'evil.co'][i // 3 % 4] \
            if i % 3 == 0 else g.lookalikes(d)
        g.dns_udp(c6() if v6 else c4(), r.choice(resolvers6 if v6 else resolvers4), n,
                  tag='lookalike-dns', kind='dns-lookalike')
    for i in range(4):   # a matching name to a port other than 53 is not a DNS query by the spec
        g.dns_udp(c4(), '224.0.0.251' if i % 2 else '10.255.0.53', g.matching_name('exact'),
                  dport=5353 if i % 2 else 5300, respond=False, tag='dns-non53', kind='dns-non53')
    # DNS over TCP
    for i in range(12):
        v6 = i % 3 == 2
        res = r.choice(resolvers6 if v6 else resolvers4)
        if i % 3 == 0:
            g.dns_tcp(c6() if v6 else c4(), res, g.benign_name())
        elif i % 3 == 1:
            g.dns_tcp(c6() if v6 else c4(), res, g.matching_name())
        else:
            g.dns_tcp(c6() if v6 else c4(), res, g.lookalikes(r.choice(dom)), tag='lookalike-dns')
    # TLS
    for i in range(40):
        v6 = i % 4 == 3
        g.tls_flow(c6() if v6 else c4(), b6() if v6 else b4(), g.benign_name(),
                   pq=i % 3 == 0, nseg=1 if i % 5 else r.randrange(2, 5),
                   sport=8443 if i % 11 == 5 else 443)
    specials = [None, 'hdr', 'one', 'name']
    for i in range(36):
        v6 = i % 4 == 3
        pq = i % 3 == 0
        nseg = 1 if i % 2 == 0 else r.randrange(2, 5)
        g.tls_flow(c6() if v6 else c4(), b6() if v6 else b4(), g.matching_name(r.choice(['exact', 'sub', 'deep', 'mixed'])),
                   pq=pq, nseg=nseg, special_cut=specials[i // 2 % 4] if nseg > 1 else None,
                   sport=8443 if i % 9 == 4 else 443, kind='tls-ioc')
    for i in range(18):
        v6 = i % 4 == 3
        d = r.choice(dom)
        g.tls_flow(c6() if v6 else c4(), b6() if v6 else b4(),
                   'notevil.com' if i == 0 else 'evil.com.example.org' if i == 1 else g.lookalikes(d),
                   pq=i % 3 == 0, nseg=1 if i % 2 else r.randrange(2, 4), tag='lookalike-sni',
                   kind='tls-lookalike')
    # HTTP
    names = ['Host', 'HOST', 'host', 'hOsT']
    for i in range(30):
        v6 = i % 4 == 3
        h = g.benign_name()
        port = 8080 if i % 3 == 0 else 80
        val = h + (':8080' if port == 8080 and i % 2 else '')
        g.http_flow(c6() if v6 else c4(), b6() if v6 else b4(),
                    [(http_request(r, names[i % 4] + ': ' + val, method=r.choice(['GET', 'GET', 'HEAD']),
                                   version='1.0' if i % 7 == 0 else '1.1'), val)], sport=port)
    for i in range(34):
        v6 = i % 4 == 3
        n = g.matching_name()
        port = 8080 if i % 3 == 0 else 80
        val = n + (':8080' if port == 8080 and i % 2 else '') if i % 8 != 5 else n + '.'
        sep = [': ', ':', ':  ', ': '][i % 4]
        method = 'POST' if i % 6 == 1 else 'GET'
        req = http_request(r, names[i % 4] + sep + val, method=method, version='1.0' if i % 7 == 3 else '1.1',
                           body=b'a=1&b=2' if method == 'POST' else b'')
        reqs = [(req, val)]
        if i % 10 == 7:  # keep-alive: a benign request first, the matching one second
            hb = g.benign_name()
            reqs.insert(0, (http_request(r, 'Host: ' + hb), hb))
        g.http_flow(c6() if v6 else c4(), b6() if v6 else b4(), reqs, sport=port, kind='http-ioc')
    for i in range(22):
        v6 = i % 4 == 3
        d = r.choice(dom)
        hb = g.benign_name()
        la = g.lookalikes(d)
        variants = [
            ('Host: ' + la, la),
            ('Host: ' + la + ':8080', la + ':8080'),
            ('HOST: notevil.com', 'notevil.com'),
            ('host: evil.com.example.org:8080', 'evil.com.example.org:8080'),
        ]
        if i % 6 < 4:
            line, val = variants[i % 6]
            req = http_request(r, line)
        elif i % 6 == 4:  # the IoC only in other headers or the path
            req = http_request(r, 'Host: ' + hb, path='/redirect?to=http://%s/' % d,
                               extra=['X-Forwarded-Host: ' + d, 'Referer: http://%s/' % d])
            val = hb
        else:             # the IoC only in the body of a POST
            req = http_request(r, 'Host: ' + hb, method='POST', body=('Host: %s\r\n' % d).encode())
            val = hb
        g.http_flow(c6() if v6 else c4(), b6() if v6 else b4(), [(req, val)], tag='lookalike-host',
                    kind='http-lookalike', sport=8080 if i % 6 == 1 or i % 6 == 3 else 80)
    # HTTP with an IPv6 literal Host over IPv6 (a literal is no domain)
    for i in range(3):
        s = b6()
        val = '[%s]:8080' % s
        g.http_flow(c6(), s, [(http_request(r, 'Host: ' + val), val)], sport=8080)
    # IPv4 options
    for i in range(12):
        opt = ['ra', 'rr', 'ts'][i % 3]
        k = i % 4
        if k == 0:
            g.dns_udp(c4(), '10.255.0.53', g.matching_name() if i % 8 == 0 else g.benign_name(), ipopt=opt)
        elif k == 1:
            g.tls_flow(c4(), b4(), g.matching_name() if i % 2 else g.benign_name(), ipopt=opt, nseg=1 + i % 3)
        elif k == 2:
            g.tcp_generic(c4(), g.ioc_hit(False) if i % 2 == 0 else b4(), 22, ipopt=opt, kind='tcp-ipopt',
                          intent='drop-all' if i % 2 == 0 else 'pass')
        else:
            n = g.matching_name() if i % 2 else g.benign_name()
            g.http_flow(c4(), b4(), [(http_request(r, 'Host: ' + n), n)], ipopt=opt)
        g.convs[-1].kind += '+ipopt'
    # IPv4 fragments: to/from IoCs (all dropped), benign (all pass), benign with mimicking payload
    for i in range(20):
        k = i % 5
        size = r.choice([1800, 2400, 3000, 4000])
        nfrag = r.randrange(2, 4)
        if k == 0:
            g.frag_udp(c4(), g.ioc_hit(False), size, nfrag)
        elif k == 1:
            g.frag_udp(g.ioc_hit(False), c4(), size, nfrag)
        elif k == 2:
            g.frag_udp(c4(), b4(), size, nfrag)
        else:
            g.frag_udp(c4(), b4(), size, nfrag, mimic=g.matching_name('exact'), tag='frag-mimic')
    # IPv6 hop-by-hop (and hop-by-hop + destination options)
    for i in range(16):
        hbh = 'hbh+dst' if i % 5 == 4 else 'hbh'
        k = i % 4
        if k == 0:
            g.dns_udp(c6(), 'fd00::53', g.matching_name() if i % 8 == 0 else g.benign_name(), hbh=hbh)
        elif k == 1:
            g.tls_flow(c6(), b6(), g.matching_name() if i % 2 else g.benign_name(), hbh=hbh, nseg=1 + i % 2)
        elif k == 2:
            g.tcp_generic(c6(), g.ioc_hit(True) if i % 4 == 2 and i % 8 == 2 else b6(), 22, hbh=hbh,
                          intent='drop-all' if i % 8 == 2 else 'pass')
        else:
            g.icmp_echo(c6(), g.ioc_hit(True) if i % 8 == 3 else b6())
        g.convs[-1].kind += '+hbh'
    # ICMP
    for i in range(10):
        v6 = i % 3 == 2
        g.icmp_echo(c6() if v6 else c4(), b6() if v6 else b4())
    for i in range(3):
        g.icmp_quote('10.0.0.1', c4(), g.ioc_hit(False))
    # ARP, including ARP for IoC addresses (not IP: passes)
    for i in range(30):
        g.arp(c4(), g.ioc_hit(False) if i % 5 == 0 else '10.0.0.1' if i % 2 else c4())
    # Splitting to evade the SNI/Host filter: IP fragments (v4 and v6, in and out of order),
    # 1-byte segments, many TLS records; listed names blocked, unlisted ones pass unchanged.
    for i, how in enumerate(['frag', 'frag-rev', 'frag', 'frag-rev', 'bytes', 'records']):
        for listed in (True, False):
            v6 = i in (2, 3)
            g.tls_split_flow(c6() if v6 else c4(), b6() if v6 else b4(),
                             g.matching_name('sub') if listed else g.benign_name(), how)
    for i in range(2):
        g.http_frag_flow(c6() if i else c4(), b6() if i else b4(), g.matching_name('exact'))
        g.http_frag_flow(c6() if i else c4(), b6() if i else b4(), g.benign_name())
    for i in range(2):
        g.tls_conflict_flow(c4(), b4(), g.benign_name())


def build_history_traffic(g):
    """Listed names resolved, then their addresses contacted without a name (--history)."""
    r = g.rng
    used = {p.src for c in g.convs for p in c.pkts} | {p.dst for c in g.convs for p in c.pkts}

    def fresh(v6):
        while True:
            a = g.pub6() if v6 else g.pub4()
            if a not in used:
                used.add(a)
                return a
    for i in range(4):
        d = g.iocs.domains[(3 * i + 1) % len(g.iocs.domains)]
        name = ['app', 'api', 'x%d' % i, 'WWW'][i] + '.' + d
        v6 = i == 3
        addrs = [fresh(v6), fresh(v6)]
        asker = g.cli6() if v6 else g.cli4()
        res = ['10.255.0.53', '8.8.8.8', '1.1.1.1', 'fd00::53'][i]
        g.resolve(asker, res, name, addrs, ttl=[300, 60, 3600, 120][i])
        ask = len(g.convs) - 1
        # The host that asked connects to the first address without SNI; another host, whose
        # query the appliance never saw (another resolver), to the second with raw TCP.
        g.connect_no_name(asker, addrs[0], ask, 'tls')
        other = g.cli6() if v6 else g.cli4()
        g.connect_no_name(other, addrs[1], ask, 'tcp' if i % 2 else 'tls')
    # An answer for a name nobody listed: connections to it are no contact.
    addrs = [fresh(False)]
    g.resolve(g.cli4(), '10.255.0.53', g.benign_name(), addrs)
    g.connect_no_name(g.cli4(), addrs[0], len(g.convs) - 1, 'tls')


def ioc_text(net):
    """An IoC as the hunt names it: a host without its length, a prefix as CIDR."""
    full = 32 if net.version == 4 else 128
    return str(net.network_address) if net.prefixlen == full else str(net)


def covering_net(iocs, addr):
    ip = ipaddress.ip_address(addr)
    best = None
    for n in iocs.nets:
        if n.version == ip.version and ip in n and (best is None or n.prefixlen > best.prefixlen):
            best = n
    return best


def covering_domain(iocs, name):
    n = norm_domain(name)
    best = None
    for d in iocs.domains:
        if (n == d or n.endswith('.' + d)) and (best is None or len(d) > len(best)):
            best = d
    return best


def hunt_truth(g):
    """(host, how, ioc, seen, resolved_from) for every contact, by the verdict semantics'
    matcher: addresses, DNS queries to port 53 (UDP and TCP), TLS SNI, HTTP Host, and flows to
    an address a listed name's answer held, from the answer on."""
    out = set()
    bound = {}  # address -> (listed domain, the name asked)
    for c in g.convs:
        if c.kind == 'dns-resolve' and g.iocs.name_hit(c.qname):
            for a in c.answers:
                bound[a] = (covering_domain(g.iocs, c.qname), norm_domain(c.qname))
    for c in g.convs:
        for p in c.pkts:
            if p.src is None:
                continue
            for a, other in ((p.src, p.dst), (p.dst, p.src)):
                if g.iocs.addr_hit(a) and is_internal(other):
                    out.add((other, 'address', ioc_text(covering_net(g.iocs, a)), a, ''))
                if a in bound and is_internal(other):
                    out.add((other, 'resolved', bound[a][0], a, bound[a][1]))
            if p.dnsname is not None and g.iocs.name_hit(p.dnsname):
                out.add((p.src, 'dns', covering_domain(g.iocs, p.dnsname), norm_domain(p.dnsname), ''))
            if p.trigger is not None and p.trigger[0] in ('sni', 'host', 'dns-tcp'):
                name = host_header_name(p.trigger[1]) if p.trigger[0] == 'host' else p.trigger[1]
                if name is not None and g.iocs.name_hit(name):
                    how = {'sni': 'sni', 'host': 'http-host', 'dns-tcp': 'dns'}[p.trigger[0]]
                    out.add((p.src, how, covering_domain(g.iocs, name), norm_domain(name), ''))
    return sorted(out)


def interleave(g):
    """Merge conversations by timestamp: each starts at a random time; per-conversation order kept."""
    r = g.rng
    events = []
    ends = {}
    for ci, c in enumerate(g.convs):
        t = r.uniform(0, 120.0)
        after = getattr(c, 'after', None)  # (conversation index, delay): starts once that one ended
        if after is not None:
            t = ends[after[0]] + after[1]
        for pi, p in enumerate(c.pkts):
            events.append((t, ci, pi, p))
            t += r.expovariate(1 / 0.004)
        ends[ci] = t
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [(round(e[0], 6), e[1], e[3]) for e in events]


def compute_truth(g, seq):
    blocked = {}
    out = []
    triggered_flows = {}
    for _, ci, p in seq:
        c = g.convs[ci]
        if g.iocs.addr_hit(p.src) or g.iocs.addr_hit(p.dst):
            v, why = 'drop', ('ip-frag' if p.frag else 'ip6' if ':' in p.src else 'ip')
        elif p.flow is not None and p.flow in blocked:
            v, why = 'drop', blocked[p.flow] + '-flow'
        elif p.trigger is not None and (
                p.trigger[0] == 'unreadable' or
                (g.iocs.name_hit(host_header_name(p.trigger[1])) if p.trigger[0] == 'host'
                 else g.iocs.name_hit(p.trigger[1]))):
            v, why = 'drop', p.trigger[0]
            blocked[p.flow] = p.trigger[0]
        elif p.dnsname is not None and g.iocs.name_hit(p.dnsname):
            v, why = 'drop', 'dns'
        else:
            v, why = 'pass', c.tag
        out.append([v, why])
    # passing packets of a flow blocked later: pre-sni / pre-host / pre-dns-tcp
    for i, (_, ci, p) in enumerate(seq):
        if out[i][0] == 'pass' and p.flow in blocked:
            out[i][1] = 'pre-' + blocked[p.flow]
    # self-check: the truth agrees with what each conversation was built to be
    for ci, c in enumerate(g.convs):
        vs = [out[i][0] for i, (_, cj, _) in enumerate(seq) if cj == ci]
        ok = {'pass': all(v == 'pass' for v in vs), 'drop-all': all(v == 'drop' for v in vs),
              'trigger': 'drop' in vs and 'pass' in vs and vs.index('drop') > 0 and
              all(v == 'drop' for v in vs[vs.index('drop'):]),
              'any': True}[c.intent]  # history scenario: made to be recorded, not to be judged
        if not ok:
            raise SystemExit('generator bug: conversation %d (%s, %s) intent %s but truth %s'
                             % (ci, c.kind, c.tag, c.intent, ''.join(v[0] for v in vs)))
    return out


def write_pcap(path, seq):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, _, p in seq:
            t = TS0 + ts
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack('<IIII', sec, usec, len(p.frame), len(p.frame)) + p.frame)


def defang(s):
    return s.replace('.', '[.]', 1) if '.' in s else s


def write_feeds(g, outdir):
    r = random.Random(g.rng.getrandbits(64))
    # plain list: comments, blank lines, defanged dots, upper case, CRLF, a trailing dot
    lines = ['# iocgate integration feed (generated by tests/integration/gen_traffic.py)', '#',
             '# IPv4 hosts and networks', '']
    for i, (ip, k) in enumerate(g.feed_v4):
        s = defang(ip) if i % 4 == 1 else ip
        s += ['', '', '  # c2', '\t# scanner', '   '][i % 5]
        lines.append(s)
    lines += ['', '# IPv6']
    for i, (ip, k) in enumerate(g.feed_v6):
        lines.append(ip.upper() if i % 3 == 1 else ip)
    lines += ['', '# domains (some upper case, one with a trailing dot)']
    dom_lines = []
    for i, d in enumerate(g.feed_dom):
        s = d.upper() if i % 4 == 2 else defang(d) if i % 4 == 3 else d
        if i == 5:
            s = d + '.'
        dom_lines.append(s + ('  # phishing' if i % 6 == 0 else ''))
    text = '\n'.join(lines) + '\n' + ''.join(s + '\r\n' for s in dom_lines)
    with open(os.path.join(outdir, 'feed.txt'), 'w', newline='') as f:
        f.write(text)

    def uid():
        return str(uuid.UUID(int=r.getrandbits(128), version=4))
    # MISP CSV
    rows = ['uuid,event_id,category,type,value,comment,to_ids,date']
    date = str(TS0)
    for i, (ip, k) in enumerate(g.feed_v4):
        typ = 'ip-src' if i % 5 == 3 else 'ip-dst'
        com = ['', 'C2 server', '"botnet, stage 2"', 'scanner', ''][i % 5]
        rows.append(','.join([uid(), '1', 'Network activity', typ, ip, com, '1', date]))
    for i, (ip, k) in enumerate(g.feed_v6):
        rows.append(','.join([uid(), '2', 'Network activity', 'ip-dst' if i % 2 else 'ip-src', ip, '', '1', date]))
    for i, d in enumerate(g.feed_dom):
        typ = 'hostname' if i in (7, 13) else 'domain'
        com = '"phishing kit, see ""report"""' if i == 3 else ''
        rows.append(','.join([uid(), '3', 'Network activity', typ, d, com, '1', date]))
    rows.insert(len(rows) // 2, ','.join([uid(), '3', 'Payload delivery', 'sha256', '%064x' % r.getrandbits(256),
                                          'dropper', '1', date]))
    rows.insert(len(rows) // 3, ','.join([uid(), '3', 'Payload delivery', 'md5', '%032x' % r.getrandbits(128),
                                          '', '1', date]))
    with open(os.path.join(outdir, 'feed.csv'), 'w', newline='') as f:
        f.write(''.join(x + '\n' for x in rows))
    # STIX 2.1 bundle
    ident = 'identity--' + uid()
    objs = [{'type': 'identity', 'spec_version': '2.1', 'id': ident, 'created': '2024-06-24T00:00:00.000Z',
             'modified': '2024-06-24T00:00:00.000Z', 'name': 'iocgate test CTI', 'identity_class': 'organization'}]
    malware = 'malware--' + uid()
    objs.append({'type': 'malware', 'spec_version': '2.1', 'id': malware, 'created': '2024-06-24T00:00:00.000Z',
                 'modified': '2024-06-24T00:00:00.000Z', 'name': 'TestRAT', 'is_family': True})

    def ind(pattern, name, i):
        o = {'type': 'indicator', 'spec_version': '2.1', 'id': 'indicator--' + uid(),
             'created_by_ref': ident, 'created': '2024-06-24T00:00:00.000Z',
             'modified': '2024-06-24T00:00:00.000Z', 'pattern': pattern, 'pattern_type': 'stix',
             'valid_from': '2024-06-24T00:00:00Z', 'labels': ['malicious-activity'], 'name': name}
        if i % 4 == 0:
            o['valid_until'] = '2099-01-01T00:00:00Z'
        return o
    i = 0
    for ip, k in g.feed_v4:
        objs.append(ind("[ipv4-addr:value = '%s']" % ip, 'TestRAT infrastructure', i))
        i += 1
    for ip, k in g.feed_v6:
        objs.append(ind("[ipv6-addr:value = '%s']" % ip, 'TestRAT infrastructure', i))
        i += 1
    for d in g.feed_dom:
        objs.append(ind("[domain-name:value = '%s']" % d, 'TestRAT domain', i))
        i += 1
    objs.append(ind("[file:hashes.'SHA-256' = '%064x']" % r.getrandbits(256), 'TestRAT dropper', 1))
    rel = {'type': 'relationship', 'spec_version': '2.1', 'id': 'relationship--' + uid(),
           'created': '2024-06-24T00:00:00.000Z', 'modified': '2024-06-24T00:00:00.000Z',
           'relationship_type': 'indicates', 'source_ref': objs[2]['id'], 'target_ref': malware}
    objs.append(rel)
    bundle = {'type': 'bundle', 'id': 'bundle--' + uid(), 'objects': objs}
    with open(os.path.join(outdir, 'feed.stix.json'), 'w') as f:
        json.dump(bundle, f, indent=1)
        f.write('\n')


def verify_tshark(path, seq, convs):
    """Re-dissects the capture with tshark: every name the generator placed must be visible on the
    frame that carries it (the completing frame of a split ClientHello), and none elsewhere."""
    cmd = ['tshark', '-r', path, '-n', '-d', 'tcp.port==8443,tls', '-d', 'tcp.port==5300,dns',
           '-o', 'tcp.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
           '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.number', '-e', 'dns.qry.name',
           '-e', 'dns.flags.response', '-e', 'tls.handshake.extensions_server_name', '-e', 'http.host',
           '-e', '_ws.malformed', '-e', '_ws.expert.severity', '-e', 'tcp.checksum.status',
           '-e', 'udp.checksum.status', '-e', 'ip.checksum.status']
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rows = [line.split('\t') for line in res.stdout.splitlines()]
    if len(rows) != len(seq):
        return ['tshark saw %d frames, generator wrote %d' % (len(rows), len(seq))]
    errs = []
    seen = {'dns': 0, 'sni': 0, 'host': 0}
    for i, (row, (_, ci, p)) in enumerate(zip(rows, seq)):
        row += [''] * (11 - len(row))
        if convs[ci].kind == 'tls-conflict':
            continue  # two readings by design: tshark's is its overlap rule's
        got = {'dns': row[1] if row[2] in ('0', 'False') else '', 'sni': row[3], 'host': row[4]}
        want = {'dns': '', 'sni': '', 'host': ''}
        if p.expect:
            want[p.expect[0]] = p.expect[1][:-1] if p.expect[0] == 'dns' and p.expect[1].endswith('.') else p.expect[1]
            seen[p.expect[0]] += 1
        for k in want:
            if got[k] != want[k]:
                errs.append('frame %d (index %d): tshark %s=%r, generator placed %r' % (i + 1, i, k, got[k], want[k]))
        if row[5] and not convs[seq[i][1]].kind.startswith('ipv4-frag'):  # random UDP data: heuristics
            errs.append('frame %d (index %d): tshark reports a malformed packet' % (i + 1, i))
        for st in row[7:10]:
            if '2' in st.split(','):   # 2 = bad checksum
                errs.append('frame %d (index %d): bad checksum' % (i + 1, i))
    print('tshark: %d frames; names confirmed: dns %d, sni %d, host %d' %
          (len(rows), seen['dns'], seen['sni'], seen['host']))
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--out', required=True, help='output directory')
    ap.add_argument('--verify', action='store_true', help='re-dissect with tshark and check the names')
    ap.add_argument('--history', action='store_true',
                    help='add resolved-then-contacted flows and write hunt_truth.json (tests/integration/history_test.py)')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    g = Gen(a.seed)
    g.make_iocs()
    build_traffic(g)
    if a.history:
        build_history_traffic(g)
    seq = interleave(g)
    truth = compute_truth(g, seq)
    write_pcap(os.path.join(a.out, 'traffic.pcap'), seq)
    with open(os.path.join(a.out, 'truth.tsv'), 'w') as f:
        for i, (v, why) in enumerate(truth):
            f.write('%d\t%s\t%s\n' % (i, v, why))
    write_feeds(g, a.out)
    if a.history:
        with open(os.path.join(a.out, 'hunt_truth.json'), 'w') as f:
            json.dump([dict(zip(('host', 'how', 'ioc', 'seen', 'resolved_from'), t)) for t in hunt_truth(g)], f, indent=1)
    kinds = {}
    for _, ci, _ in seq:
        kinds[g.convs[ci].kind] = kinds.get(g.convs[ci].kind, 0) + 1
    ndrop = sum(1 for v, _ in truth if v == 'drop')
    print('%d packets (%d pass, %d drop) in %d conversations' % (len(seq), len(seq) - ndrop, ndrop, len(g.convs)))
    print('packets by kind: ' + ', '.join('%s=%d' % kv for kv in sorted(kinds.items())))
    if a.verify:
        errs = verify_tshark(os.path.join(a.out, 'traffic.pcap'), seq, g.convs)
        for e in errs[:30]:
            print('VERIFY: ' + e, file=sys.stderr)
        if errs:
            print('tshark verification: %d problems' % len(errs), file=sys.stderr)
            return 1
        print('tshark verification: OK')
    return 0


if __name__ == '__main__':
    sys.exit(main())
