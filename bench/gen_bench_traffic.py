#!/usr/bin/python3
# bench/gen_bench_traffic.py — writes the forwarding benchmarks' capture and its IoC "hit" list.
# Raw struct writing (no scapy per packet), deterministic for a seed: 512k packets in ~5 s.
#
# Mix (fractions of packets):
#   ~85% 64 B frames: IPv4 TCP (flags only) or UDP (small payload), 5% of those IPv6
#   ~10% L7: DNS query (UDP 53), TLS ClientHello with SNI (TCP 443), HTTP GET with Host (TCP 80)
#   ~10% carry one 802.1Q tag, ~5% two (QinQ, outer 0x88a8)
# Addresses: src and dst uniform over the IPv4 space with bit 16 (the low bit of the second
# octet) clear, so every packet is a distinct flow and 2 x N addresses are (nearly) distinct.
# The benchmark's IoC sets only use addresses with that bit SET (bench/ioc_sets.h), so random
# prefixes /16../31 never cover traffic by accident; the hit rate is set here instead: one
# packet in 1000 is sent to an address or names a domain from hits.txt, which the benchmark
# adds to every non-empty table.
import argparse
import os
import random
import struct

HIT_V4 = 64       # distinct IoC addresses the hit packets use
HIT_DOMAINS = 32  # distinct IoC domains the hit packets use
WORDS = ['mail', 'cdn', 'api', 'static', 'img', 'login', 'news', 'shop', 'video', 'edge', 'app', 'docs']
TLDS = ['com', 'net', 'org', 'de', 'io', 'co.uk', 'fr', 'nl']


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ether(rng, vlans, ethertype):
    h = b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02'
    if vlans == 1:
        h += struct.pack('!HH', 0x8100, rng.randrange(1, 4095))
    elif vlans == 2:
        h += struct.pack('!HHHH', 0x88a8, rng.randrange(1, 4095), 0x8100, rng.randrange(1, 4095))
    return h + struct.pack('!H', ethertype)


def ipv4(src, dst, proto, l4):
    h = struct.pack('!BBHHHBBHII', 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + l4


def ipv6(src, dst, proto, l4):
    return struct.pack('!IHBB', 0x60000000, len(l4), proto, 64) + src + dst + l4


def tcp(sport, dport, flags, seq, payload=b''):
    return struct.pack('!HHIIBBHHH', sport, dport, seq, 0, 0x50, flags, 65535, 0, 0) + payload


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def dns_query(rng, name):
    q = b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
    return struct.pack('!HHHHHH', rng.randrange(65536), 0x0100, 1, 0, 0, 0) + q + struct.pack('!HH', 1, 1)


def client_hello(name):
    n = name.encode()
    sni = struct.pack('!HHHBH', 0, len(n) + 5, len(n) + 3, 0, len(n)) + n
    exts = sni + struct.pack('!HH', 23, 0) + struct.pack('!HHH', 10, 4, 2) + b'\x00\x1d'
    body = (b'\x03\x03' + bytes(range(32)) + b'\x00' + struct.pack('!H', 4) + b'\x13\x01\x13\x02' +
            b'\x01\x00' + struct.pack('!H', len(exts)) + exts)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def http_get(name):
    return ('GET /index.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench/1.0\r\nAccept: */*\r\n\r\n' % name).encode()


def benign_name(rng):
    return '%s%d.%s%d.%s' % (rng.choice(WORDS), rng.randrange(1000), rng.choice(WORDS), rng.randrange(100000),
                             rng.choice(TLDS))


def traffic_v4(rng):
    # bit 16 clear: never inside a benchmark IoC prefix (those have it set)
    return rng.getrandbits(32) & ~0x10000


def main():
    ap = argparse.ArgumentParser(description='Writes the forwarding benchmark capture and hits.txt.')
    ap.add_argument('--packets', type=int, default=512 * 1024)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--out', required=True, help='directory for traffic.pcap and hits.txt')
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)

    hit_v4 = [(rng.getrandbits(32) | 0x10000) for _ in range(HIT_V4)]
    hit_names = ['c2-%d.%s.iocbench.example' % (i, rng.choice(WORDS)) for i in range(HIT_DOMAINS)]
    with open(os.path.join(a.out, 'hits.txt'), 'w') as f:
        for v in hit_v4:
            f.write('%d.%d.%d.%d\n' % (v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255))
        for n in hit_names:
            f.write(n + '\n')

    counts = {'tcp': 0, 'udp': 0, 'ipv6': 0, 'dns': 0, 'tls': 0, 'http': 0, 'vlan': 0, 'qinq': 0,
              'hit': 0}
    out = bytearray(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(a.packets):
        r = rng.random()
        vlans = 2 if r < 0.05 else (1 if r < 0.15 else 0)
        if vlans == 1:
            counts['vlan'] += 1
        elif vlans == 2:
            counts['qinq'] += 1
        hit = i % 1000 == 500
        src, dst = traffic_v4(rng), traffic_v4(rng)
        sport, dport = rng.randrange(1024, 65536), rng.randrange(1, 65536)
        kind = rng.random()
        if kind < 0.10:  # L7: a third each DNS, TLS, HTTP
            sub = rng.randrange(3)
            name = hit_names[rng.randrange(HIT_DOMAINS)] if hit else benign_name(rng)
            if sub == 0:
                l3 = ipv4(src, dst, 17, udp(sport, 53, dns_query(rng, name)))
                counts['dns'] += 1
            elif sub == 1:
                l3 = ipv4(src, dst, 6, tcp(sport, 443, 0x18, rng.getrandbits(32), client_hello(name)))
                counts['tls'] += 1
            else:
                l3 = ipv4(src, dst, 6, tcp(sport, 80, 0x18, rng.getrandbits(32), http_get(name)))
                counts['http'] += 1
            frame = ether(rng, vlans, 0x0800) + l3
        elif kind < 0.15:  # IPv6 64 B-class TCP/UDP
            s6, d6 = rng.getrandbits(128).to_bytes(16, 'big'), rng.getrandbits(128).to_bytes(16, 'big')
            if rng.random() < 0.5:
                l3 = ipv6(s6, d6, 6, tcp(sport, dport, 0x10, rng.getrandbits(32)))
            else:
                l3 = ipv6(s6, d6, 17, udp(sport, dport, b'\0' * 8))
            frame = ether(rng, vlans, 0x86dd) + l3
            counts['ipv6'] += 1
            if hit:
                dst = hit_v4[rng.randrange(HIT_V4)]
                frame = ether(rng, vlans, 0x0800) + ipv4(src, dst, 6, tcp(sport, dport, 0x10, 1))
        else:
            if hit:
                dst = hit_v4[rng.randrange(HIT_V4)]
            if rng.random() < 0.6:
                l3 = ipv4(src, dst, 6, tcp(sport, dport, 0x10, rng.getrandbits(32)))
                counts['tcp'] += 1
            else:
                l3 = ipv4(src, dst, 17, udp(sport, dport, b'\0' * 6))
                counts['udp'] += 1
            frame = ether(rng, vlans, 0x0800) + l3
        if hit:
            counts['hit'] += 1
        if len(frame) < 60:
            frame += b'\0' * (60 - len(frame))
        out += struct.pack('<IIII', 1700000000 + i // 1000000, i % 1000000, len(frame), len(frame))
        out += frame
    with open(os.path.join(a.out, 'traffic.pcap'), 'wb') as f:
        f.write(out)
    print('wrote %s/traffic.pcap: %d packets, %d bytes; %s' %
          (a.out, a.packets, len(out), ', '.join('%s %d' % kv for kv in counts.items())))


if __name__ == '__main__':
    main()
