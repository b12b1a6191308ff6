#!/usr/bin/python3
# tests/integration/check_verdicts.py — checks the output of `iocgate replay` against a truth file.
# Usage: check_verdicts.py IN.pcap PASSED.pcap DROPPED.pcap truth.tsv [--label NAME]
# PASSED must be exactly the truth's pass packets of IN, in order and byte-identical; DROPPED exactly
# its drop packets (DROPPED `-`: not written, only PASSED is checked). Packet bytes are compared, not timestamps. Exits 1 on any mismatch, 2 on bad input.
# Pcap parsing by hand (classic pcap, either byte order, micro- or nanosecond), no scapy.
import argparse
import ipaddress
import struct
import sys


class BadInput(Exception):
    pass


def read_pcap(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as e:
        raise BadInput('%s: %s' % (path, e.strerror))
    if len(data) < 24:
        raise BadInput('%s: %d bytes, too short for a pcap header' % (path, len(data)))
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        end = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        end = '>'
    elif magic == b'\x0a\x0d\x0d\x0a':
        raise BadInput('%s: pcapng, expected a classic pcap file' % path)
    else:
        raise BadInput('%s: not a pcap file (magic %s)' % (path, magic.hex()))
    linktype = struct.unpack(end + 'I', data[20:24])[0] & 0x0fffffff
    pkts = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise BadInput('%s: truncated record header at byte %d' % (path, off))
        _, _, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
        if off + 16 + incl > len(data):
            raise BadInput('%s: truncated packet %d at byte %d' % (path, len(pkts), off))
        pkts.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, pkts


def read_truth(path):
    out = []
    try:
        with open(path) as f:
            for ln, line in enumerate(f, 1):
                line = line.rstrip('\r\n')
                if not line or line.startswith('#') or line.startswith('index'):
                    continue
                cols = line.split('\t')
                if len(cols) < 2 or cols[1] not in ('pass', 'drop') or not cols[0].isdigit():
                    raise BadInput('%s:%d: expected index<TAB>pass|drop<TAB>reason' % (path, ln))
                if int(cols[0]) != len(out):
                    raise BadInput('%s:%d: index %s out of sequence (expected %d)' % (path, ln, cols[0], len(out)))
                out.append((cols[1], cols[2] if len(cols) > 2 else ''))
    except OSError as e:
        raise BadInput('%s: %s' % (path, e.strerror))
    return out


# ---- one-line summary of a frame, for the mismatch report

def _dns_qname(b, off):
    labels = []
    while off < len(b) and len(labels) < 64:
        n = b[off]
        if n == 0:
            return '.'.join(labels) or '.'
        if n & 0xc0:
            return '.'.join(labels) + '.<ptr>'
        labels.append(b[off + 1:off + 1 + n].decode('ascii', 'replace'))
        off += 1 + n
    return '.'.join(labels) + '<trunc>'


def _dns(payload):
    if len(payload) < 13:
        return ''
    flags = struct.unpack('!H', payload[2:4])[0]
    return ' dns-%s %s' % ('resp' if flags & 0x8000 else 'query', _dns_qname(payload, 12))


def _tls_sni(p):
    if len(p) < 6 or p[0] != 0x16 or p[5] != 1:
        return ''
    try:
        off = 9 + 2 + 32
        off += 1 + p[off]
        off += 2 + struct.unpack('!H', p[off:off + 2])[0]
        off += 1 + p[off]
        end = off + 2 + struct.unpack('!H', p[off:off + 2])[0]
        off += 2
        while off + 4 <= min(end, len(p)):
            t, n = struct.unpack('!HH', p[off:off + 4])
            if t == 0:
                ln = struct.unpack('!H', p[off + 7:off + 9])[0]
                return ' tls-ch sni=%s' % p[off + 9:off + 9 + ln].decode('ascii', 'replace')
            off += 4 + n
        reclen = struct.unpack('!H', p[3:5])[0]
        return ' tls-ch%s' % (' (partial %d/%d)' % (len(p) - 5, reclen) if len(p) - 5 < reclen else '')
    except (IndexError, struct.error):
        return ' tls-ch (partial)'


def _http(p):
    first, _, rest = p.partition(b'\r\n')
    parts = first.split(b' ')
    if len(parts) != 3 or not parts[2].startswith(b'HTTP/1.'):
        return ''
    host = ''
    for line in rest.split(b'\r\n\r\n', 1)[0].split(b'\r\n'):
        k, _, v = line.partition(b':')
        if k.strip().lower() == b'host':
            host = v.strip().decode('ascii', 'replace')
            break
    return ' http %s host=%s' % (parts[0].decode('ascii', 'replace'), host)


def summarize(b):
    try:
        s = []
        et = struct.unpack('!H', b[12:14])[0]
        off = 14
        tags = []
        while et in (0x8100, 0x88a8, 0x9100):
            tags.append('%s%d' % ({0x8100: 'q', 0x88a8: 'ad', 0x9100: 'q9'}[et],
                                  struct.unpack('!H', b[off:off + 2])[0] & 0xfff))
            et = struct.unpack('!H', b[off + 2:off + 4])[0]
            off += 4
        if tags:
            s.append('vlan[' + ','.join(tags) + ']')
        if et == 0x0806:
            return ' '.join(s + ['arp %s -> %s' % (ipaddress.ip_address(b[off + 14:off + 18]),
                                                   ipaddress.ip_address(b[off + 24:off + 28]))])
        frag = ''
        if et == 0x0800:
            ihl = (b[off] & 15) * 4
            proto = b[off + 9]
            fo = struct.unpack('!H', b[off + 6:off + 8])[0]
            src, dst = ipaddress.ip_address(b[off + 12:off + 16]), ipaddress.ip_address(b[off + 16:off + 20])
            if ihl > 20:
                s.append('ipopt')
            if fo & 0x3fff:
                frag = ' frag(off=%d%s)' % ((fo & 0x1fff) * 8, ',MF' if fo & 0x2000 else '')
            l4 = off + ihl
            if fo & 0x1fff:
                return ' '.join(s + ['%s -> %s proto %d%s' % (src, dst, proto, frag)])
        elif et == 0x86dd:
            proto = b[off + 6]
            src, dst = ipaddress.ip_address(b[off + 8:off + 24]), ipaddress.ip_address(b[off + 24:off + 40])
            l4 = off + 40
            while proto in (0, 43, 60, 44):
                s.append({0: 'hbh', 43: 'rh', 60: 'dstopt', 44: 'frag6'}[proto])
                nxt = b[l4]
                l4 += 8 if proto == 44 else (b[l4 + 1] + 1) * 8
                proto = nxt
        else:
            return ' '.join(s + ['ethertype 0x%04x' % et])
        if proto in (6, 17):
            sp, dp = struct.unpack('!HH', b[l4:l4 + 4])
            if proto == 6:
                flags = b[l4 + 13]
                fl = ''.join(c for c, bit in zip('FSRPAU', range(6)) if flags >> bit & 1)
                pay = b[l4 + (b[l4 + 12] >> 4) * 4:]
                desc = 'tcp %s:%d -> %s:%d [%s] len %d' % (src, sp, dst, dp, fl, len(pay))
                app = ''
                if pay:
                    if 53 in (sp, dp) and len(pay) > 2:
                        app = _dns(pay[2:])
                    else:
                        app = _tls_sni(pay) or _http(pay)
            else:
                pay = b[l4 + 8:]
                desc = 'udp %s:%d -> %s:%d len %d' % (src, sp, dst, dp, len(pay))
                app = _dns(pay) if 53 in (sp, dp) or 5353 in (sp, dp) else ''
            return ' '.join(s + [desc + frag + app])
        return ' '.join(s + ['%s -> %s proto %d%s' % (src, dst, proto, frag)])
    except (IndexError, struct.error, ValueError):
        return '(unparsed %d bytes)' % len(b)


def to_ethernet(src, dst):
    """Rewrites a BSD-loopback capture (DLT_NULL/DLT_LOOP) to Ethernet: same packets and order, the
    4-byte family header replaced by a 14-byte Ethernet header. Returns a message, or None when src is
    already Ethernet (nothing written)."""
    with open(src, 'rb') as f:
        data = f.read()
    end = '<' if data[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
    link = struct.unpack(end + 'I', data[20:24])[0]
    if link == 1:
        return None
    if link not in (0, 108):
        raise BadInput('%s: link type %d, no conversion to Ethernet' % (src, link))
    out = [data[:20] + struct.pack(end + 'I', 1)]
    off = 24
    while off < len(data):
        sec, frac, incl, orig = struct.unpack(end + 'IIII', data[off:off + 16])
        hdr = data[off + 16:off + 20]
        fam = struct.unpack('>I' if link == 108 else end + 'I', hdr)[0]
        etype = 0x0800 if fam == 2 else 0x86dd   # AF_INET6 is 10, 24, 28 or 30 depending on the OS
        body = (b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01' + struct.pack('!H', etype)
                + data[off + 20:off + 16 + incl])
        out.append(struct.pack(end + 'IIII', sec, frac, len(body), orig + 10) + body)
        off += 16 + incl
    with open(dst, 'wb') as f:
        f.write(b''.join(out))
    return 'rewritten from link type %d to Ethernet (%d packets)' % (link, len(out) - 1)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--to-ethernet':
        try:
            msg = to_ethernet(sys.argv[2], sys.argv[3])
        except BadInput as e:
            print('ERROR: ' + str(e))
            return 2
        print(msg or 'already Ethernet')
        return 0 if msg else 3
    ap = argparse.ArgumentParser(description='check iocgate replay output against a truth file '
                                 '(or: --to-ethernet SRC DST to rewrite a loopback capture)')
    ap.add_argument('inp')
    ap.add_argument('passed')
    ap.add_argument('dropped')
    ap.add_argument('truth')
    ap.add_argument('--label', default='')
    ap.add_argument('--max-report', type=int, default=20)
    ap.add_argument('--write-expected', action='store_true',
                    help='instead of checking, write the expected PASSED and DROPPED files (self-test)')
    a = ap.parse_args()
    tag = '[%s] ' % a.label if a.label else ''
    if a.write_expected:
        _, inp = read_pcap(a.inp)
        truth = read_truth(a.truth)
        with open(a.inp, 'rb') as f:
            raw = f.read()
        end = '<' if raw[:4] in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1') else '>'
        outs = {'pass': open(a.passed, 'wb'), 'drop': open(a.dropped, 'wb')}
        for f in outs.values():
            f.write(raw[:24])
        off = 24
        for i in range(len(inp)):
            incl = struct.unpack(end + 'I', raw[off + 8:off + 12])[0]
            outs[truth[i][0]].write(raw[off:off + 16 + incl])
            off += 16 + incl
        for f in outs.values():
            f.close()
        return 0
    try:
        _, inp = read_pcap(a.inp)
        _, passed = read_pcap(a.passed)
        dropped = None if a.dropped == '-' else read_pcap(a.dropped)[1]
        truth = read_truth(a.truth)
    except BadInput as e:
        print(tag + 'ERROR: ' + str(e))
        return 2
    if len(truth) != len(inp):
        print(tag + 'ERROR: truth has %d entries, %s has %d packets' % (len(truth), a.inp, len(inp)))
        return 2

    # Align: every input packet must be found at the head of PASSED or of DROPPED (the expected one
    # is tried first, so identical packets in the input do not confuse the walk).
    p = d = 0
    actual = []
    if dropped is None:  # DROPPED not written (`-`): whatever is not passed counts as dropped
        for pkt in inp:
            if p < len(passed) and passed[p] == pkt:
                actual.append('pass')
                p += 1
            else:
                actual.append('drop')
        dropped = []
    for i, pkt in enumerate(inp if not actual else []):
        exp = truth[i][0]
        in_p = p < len(passed) and passed[p] == pkt
        in_d = d < len(dropped) and dropped[d] == pkt
        if exp == 'pass' and in_p or (in_p and not in_d):
            actual.append('pass')
            p += 1
        elif in_d:
            actual.append('drop')
            d += 1
        else:
            actual.append('missing')
    extra_p, extra_d = len(passed) - p, len(dropped) - d

    tallies = {}
    wrong = []
    for i, ((exp, why), got) in enumerate(zip(truth, actual)):
        t = tallies.setdefault((exp, why), [0, 0])
        t[0] += 1
        if got == exp:
            t[1] += 1
        else:
            wrong.append(i)
    ok = not wrong and extra_p == 0 and extra_d == 0
    print('%s%d packets: expected %d pass / %d drop; got %d passed / %d dropped' % (
        tag, len(inp), sum(1 for v, _ in truth if v == 'pass'), sum(1 for v, _ in truth if v == 'drop'),
        len(passed), len(dropped)))
    print('%s  %-6s %-22s %8s %8s' % (tag, 'verdict', 'reason', 'expected', 'correct'))
    for (exp, why), (n, good) in sorted(tallies.items()):
        print('%s  %-6s %-22s %8d %8d%s' % (tag, exp, why, n, good, '' if n == good else '   <-- %d wrong' % (n - good)))
    if wrong:
        print('%s%d packets with the wrong verdict; the first %d:' % (tag, len(wrong), min(len(wrong), a.max_report)))
        for i in wrong[:a.max_report]:
            print('%s  #%d expected %s (%s), got %s: %s' % (tag, i, truth[i][0], truth[i][1], actual[i], summarize(inp[i])))
    for name, extra, lst, start in (('PASSED', extra_p, passed, p), ('DROPPED', extra_d, dropped, d)):
        if extra:
            print('%s%s has %d packets that do not follow the input order or are not in the input; first: %s'
                  % (tag, name, extra, summarize(lst[start])))
    print('%s%s' % (tag, 'OK' if ok else 'FAIL'))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
