#!/usr/bin/python3
# bench/summarize.py — turns bench-results/results.jsonl (one run of bench/run.sh) into the
# Markdown tables of docs/BENCHMARKS.md, with every ratio and the issue 7 targets checked.
import json
import sys


def load(out):
    rows = [json.loads(l) for l in open(out + '/results.jsonl') if l.strip()]
    by = {}
    for r in rows:
        by.setdefault(r['label'], []).append(r)
    return rows, by


def one(by, label):
    v = by.get(label)
    return v[0] if v else None


def f(x, d=2):
    return '—' if x is None else ('%.*f' % (d, x))


def main():
    out = sys.argv[1]
    rows, by = load(out)
    hz = next((r['tsc_hz'] for r in rows if 'tsc_hz' in r), 2.6e9)
    io = one(by, 'testpmd_io')
    t0, t1 = one(by, 'testpmd_5tswap'), one(by, 'testpmd_5tswap_end')
    swap_base = [r['mpps'] for r in (t0, t1) if r and r['mpps'] > 0]
    tswap = sum(swap_base) / len(swap_base) if swap_base else None
    io_mpps = io['mpps'] if io else None
    targets = []

    print('### 1. Forwarding (net_pcap infinite_rx → net_null, one forwarding lcore)\n')
    print('| case | Mpps | cycles/packet | × testpmd 5tswap | × testpmd io | new flows / packet | dropped (hits) |')
    print('|---|---|---|---|---|---|---|')
    for label, name in [('testpmd_io', 'testpmd `io`'), ('testpmd_5tswap', 'testpmd `5tswap` (start)'),
                        ('testpmd_5tswap_end', 'testpmd `5tswap` (end, drift check)')]:
        r = one(by, label)
        if r:
            print('| %s | %s | %s | %s | %s | — | — |' % (name, f(r['mpps']), f(hz / (r['mpps'] * 1e6), 0) if r['mpps'] else '—',
                                                     f(r['mpps'] / tswap) if tswap else '—',
                                                     f(r['mpps'] / io_mpps) if io_mpps else '—'))
    cases = [('fwd_empty', 'iocgate, empty table'), ('fwd_10k', 'iocgate, 10k IoCs'),
             ('fwd_1m', 'iocgate, 1M IPv4 + 100k IPv6 + 1M domains'), ('fwd_5m', 'iocgate, 5M mixed'),
             ('fwd_1m_newflow', 'iocgate, 1M+100k+1M, every packet a new flow'),
             ('fwd_1m_hashed', 'iocgate, 1M+100k+1M, without the IPv4 direct index'),
             ('fwd_1m_newflow_hashed', 'iocgate, 1M+100k+1M, every packet a new flow, without the direct index'),
             ('fwd_empty_newflow', 'iocgate, empty table, every packet a new flow')]
    fw = {}
    for label, name in cases:
        r = one(by, label)
        if not r:
            continue
        fw[label] = r['mpps']
        print('| %s | %s | %s | %s | %s | %s | %s |' % (
            name, f(r['mpps']), f(r['cycles_per_packet'], 0), f(r['mpps'] / tswap) if tswap else '—',
            f(r['mpps'] / io_mpps) if io_mpps else '—', f(r['flows_created_per_packet'], 3),
            '%.3f%%' % (100 * r['dropped_fraction'])))
    print()
    if tswap and 'fwd_1m' in fw:
        x = fw['fwd_1m'] / tswap
        targets.append(('1M+100k+1M table ≥ 0.9 × 5tswap', '%.2f' % x, x >= 0.9))
    if tswap and 'fwd_empty' in fw:
        x = fw['fwd_empty'] / tswap
        targets.append(('empty table ≥ 1.0 × 5tswap', '%.2f' % x, x >= 1.0))
    if 'fwd_5m' in fw and 'fwd_10k' in fw:
        x = fw['fwd_5m'] / fw['fwd_10k']
        targets.append(('5M ≥ 0.9 × 10k', '%.2f' % x, x >= 0.9))
    if 'fwd_1m_newflow' in fw and 'fwd_1m' in fw:
        x = fw['fwd_1m_newflow'] / fw['fwd_1m']
        targets.append(('every packet a new flow ≥ 0.5 × steady (1M table)', '%.2f' % x, x >= 0.5))

    off, on = one(by, 'swap_off'), one(by, 'swap_on')
    if off and on:
        print('### 2. Table swap under load (1M-entry table, rebuilt on lcore 0, switched between bursts on lcore 1)\n')
        print('| run | Mpps | swaps | Mpps in swap windows (100 ms after each) | Mpps outside | worst 10 ms in a window | max poll gap (µs) | imissed | tx_failed | build per swap (s) |')
        print('|---|---|---|---|---|---|---|---|---|---|')
        print('| no swaps | %s | 0 | — | — | — | %s | %d | %d | — |' % (f(off['mpps']), f(off['max_poll_gap_us'], 0),
                                                                  off['port_rx_imissed'], off['tx_failed']))
        b = on.get('swap_build_s') or []
        print('| swap every %s s | %s | %d | %s | %s | %s | %s (in windows: %s) | %d | %d | %s |' % (
            '1', f(on['mpps']), on['swaps'], f(on['window_mpps']), f(on['steady_mpps']), f(on['window_min_10ms_mpps']),
            f(on['max_poll_gap_us'], 0), f(on['max_poll_gap_window_us'], 0), on['port_rx_imissed'], on['tx_failed'],
            f(sum(b) / len(b)) if b else '—'))
        print()
        lost = on['port_rx_imissed'] + on['tx_failed'] + on['port_rx_nombuf']
        targets.append(('zero packets lost by swaps (imissed + rx_nombuf + tx_failed)', str(lost), lost == 0))
        x = on['window_mpps'] / off['mpps'] if off['mpps'] else 0
        targets.append(('swap window ≥ 0.95 × steady (vs the run without swaps)', '%.2f' % x, x >= 0.95))

    lk = [r for r in rows if r.get('tool') == 'lookup_bench']
    if lk:
        print('### 3. Lookups (random keys, bursts of 32, TSC cycles per lookup)\n')
        print('| lookup | iocgate path | set | keys | iocgate | its MiB | DPDK | DPDK structure | iocgate / DPDK | memory / DPDK |')
        print('|---|---|---|---|---|---|---|---|---|---|')
        cyc = {r['name']: r for r in lk}
        for name, r in cyc.items():
            kind, impl, s, keys = name.split('/')[:4]
            if not impl.startswith('iocgate'):
                continue
            rival = next((v for n, v in cyc.items() if n.split('/')[0] == kind and not n.split('/')[1].startswith('iocgate')
                          and n.split('/')[2] == s and n.split('/')[3] == keys), None)
            rname = rival['name'].split('/')[1] + (' (%.0f MiB)' % rival['mib'] if rival and rival.get('mib') else '') if rival else '—'
            ratio = r['cycles_per_lookup'] / rival['cycles_per_lookup'] if rival else None
            mine_mib = r.get('mib') or cyc.get('%s/iocgate/%s/%s' % (kind, s, keys), {}).get('mib')
            mem = mine_mib / rival['mib'] if rival and rival.get('mib') and mine_mib else None
            path = 'burst (lookup_v4_burst)' if impl == 'iocgate_burst' else 'per key'
            print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                kind, path, s, keys, f(r['cycles_per_lookup'], 1), f(mine_mib, 1) if mine_mib else '—',
                f(rival['cycles_per_lookup'], 1) if rival else '—', rname, f(ratio), f(mem)))
            if kind == 'v4' and impl == 'iocgate_burst' and s == '1m' and keys == 'random_keys' and ratio is not None:
                targets.append(('IPv4 lookup ≤ 1.0 × rte_fib cycles with ≤ 1/8 of its memory (1M, random keys, burst)',
                                '%.2f ×, %.2f of the memory' % (ratio, mem or 0), ratio <= 1.0 and mem is not None and mem <= 0.125))
        print()

    bb = [r for r in rows if r.get('tool') == 'build_bench']
    kern = {(r['tool'], r['set']): r for r in rows if r.get('label') == 'kernel'}
    if bb:
        print('### 4. Compile and publish\n')
        print('| set | IoCs (v4 / v6 / domains) | iocgate add + build (s) | of which build() | publish: copy + attach + checksum (s) | rte_fib adds, IPv4 only (s, cycles/add, MiB) | ipset restore hash:net, IPv4 only (s) | nft -f interval set, IPv4 only (s) |')
        print('|---|---|---|---|---|---|---|---|')
        for r in bb:
            fib = r.get('rte_fib')
            fib_s = ('%s, %.0f, %.0f%s' % (f(fib.get('add_s')), fib.get('cycles_per_add', 0), fib['memory_mib'],
                                           (' — ' + fib['error'] + ' after %d' % fib.get('added', 0)) if fib.get('error') else '')
                     if fib else '—')
            ips, nft = kern.get(('ipset', r['set'])), kern.get(('nft', r['set']))
            ks = lambda k: '—' if not k else (f(k['seconds']) + ('' if k['rc'] == 0 else ' (rc %d)' % k['rc']))
            print('| %s | %d / %d / %d | %s | %s | %s | %s | %s | %s |' % (
                r['set'], r['v4'], r['v6'], r['domains'], f(r['compile_s']), f(r['build_s']), f(r['publish_s']),
                fib_s, ks(ips), ks(nft)))
            if r['set'] == '1m':
                targets.append(('compile 1M IPv4 + 100k IPv6 + 1M domains ≤ 1 s', f(r['compile_s']) + ' s',
                                r['compile_s'] <= 1.0))
                if ips:
                    targets.append(('compile faster than ipset restore of the same IPv4 addresses',
                                    '%s s vs %s s' % (f(r['compile_s']), f(ips['seconds'])), r['compile_s'] < ips['seconds']))
        print()
        print('### 5a. Memory per IoC kind (from the blob\'s section sizes; the two fixed 2 MiB IPv4 bitmaps apart)\n')
        print('| set | table bytes | B per IPv4 entry | B per IPv4 host | B per IPv6 entry | B per IPv6 host | B per domain | ipset hash:net bytes per IPv4 |')
        print('|---|---|---|---|---|---|---|---|')
        for r in bb:
            ips = kern.get(('ipset', r['set']))
            print('| %s | %d | %s | %s | %s | %s | %s | %s |' % (
                r['set'], r['total_bytes'], f(r['bytes_per_v4'], 1), f(r['bytes_per_v4_host'], 1), f(r['bytes_per_v6'], 1),
                f(r['bytes_per_v6_host'], 1), f(r['bytes_per_domain'], 1),
                f(ips['bytes'] / r['v4_entries'], 1) if ips and ips.get('bytes') else '—'))
            if r['set'] == '1m':
                targets.append(('≤ 16 B per IPv4 host', f(r['bytes_per_v4_host'], 1), r['bytes_per_v4_host'] <= 16))
                targets.append(('≤ 32 B per IPv6 host', f(r['bytes_per_v6_host'], 1), r['bytes_per_v6_host'] <= 32))
                targets.append(('≤ 64 B per domain', f(r['bytes_per_domain'], 1), r['bytes_per_domain'] <= 64))
        print()

    cg = [r for r in rows if r.get('tool') == 'callgrind']
    if cg:
        alloc = {r['label']: r for r in rows if r.get('tool') == 'classify_callgrind'}
        print('### 5b. Instructions per packet (callgrind, Classifier::classify_burst, steady-state pass over 65,536 frames)\n')
        print('| case | instructions / packet | allocations in the pass | alloc/lock/syscall functions in the pass | new flows / packet |')
        print('|---|---|---|---|---|')
        worst = 0
        for r in cg:
            a = alloc.get(r['label'], {})
            worst += r['forbidden_functions'] + a.get('allocations_in_measured_pass', 0)
            print('| %s | %s | %s | %s | %s |' % (r['case'], f(r['ir_per_packet'], 0),
                                                  a.get('allocations_in_measured_pass', '—'), r['forbidden_functions'],
                                                  f(a.get('flows_created_per_packet'), 3)))
        print()
        targets.append(('no allocation, lock or syscall per packet', 'found %d' % worst, worst == 0))

    print('### Targets\n')
    print('| target | this run | met |')
    print('|---|---|---|')
    for t, v, ok in targets:
        print('| %s | %s | %s |' % (t, v, 'yes' if ok else '**no**'))
    print()
    issue17(rows, by, fw, tswap)


def issue17(rows, by, fw, tswap):
    """Issue 17's rows, from whatever sections this run had (a row it lacks says so)."""
    t = []
    missing = 'not in this run'
    def ratio(label, target):
        if label in fw and tswap:
            v = fw[label] / tswap
            return ('%.2f × 5tswap' % v, v >= target)
        return (missing, None)
    t.append(('forwarding, 1M + 100k + 1M IoCs, steady flows', '≥ 0.6 × 5tswap') + ratio('fwd_1m', 0.6))
    t.append(('forwarding, empty table', '≥ 0.8 × 5tswap') + ratio('fwd_empty', 0.8))
    cg = {r['case']: r for r in rows if r.get('tool') == 'callgrind'}
    t.append(('instructions / packet (callgrind, 1M table)', '≤ 220',
              f(cg['1m']['ir_per_packet'], 0) if '1m' in cg else missing, cg['1m']['ir_per_packet'] <= 220 if '1m' in cg else None))
    if 'fwd_1m_newflow' in fw and 'fwd_1m' in fw:
        v = fw['fwd_1m_newflow'] / fw['fwd_1m']
        t.append(('every packet a new flow, 1M table', '≥ 0.5 × steady', '%.2f × steady' % v, v >= 0.5))
    else:
        t.append(('every packet a new flow, 1M table', '≥ 0.5 × steady', missing, None))
    lk = {(r['name']): r for r in rows if r.get('tool') == 'lookup_bench'}
    ours, per_key, fib = (lk.get('v4/%s/1m/random_keys' % n) for n in ('iocgate_burst', 'iocgate', 'rte_fib'))
    if ours and per_key and fib and ours.get('cycles_per_lookup') and fib.get('cycles_per_lookup') and fib.get('mib'):
        # The burst row reads the same table as the per-key row, which reports its size.
        c, m = ours['cycles_per_lookup'] / fib['cycles_per_lookup'], (per_key.get('mib') or 0) / fib['mib']
        t.append(('IPv4 lookup, 1M scattered, random keys (burst)', '≤ 1.0 × rte_fib cycles, ≤ 1/8 of its memory',
                  '%.2f ×, %.2f of the memory' % (c, m), c <= 1.0 and m <= 0.125))
    else:
        t.append(('IPv4 lookup, 1M scattered, random keys (burst)', '≤ 1.0 × rte_fib, ≤ 1/8 memory', missing, None))
    push = {r['figure']: r for r in by.get('push', []) if 'figure' in r}
    p4, ips, pd = push.get('push_1m_ipv4'), push.get('ipset_restore_same_hosts'), push.get('push_1m_domains')
    if p4 and ips:
        t.append(('`iocctl feed push` of %d IPv4 lines → enforced' % p4['iocs'], '≤ 1.5 s and ≤ 0.5 × `ipset restore` of the same hosts',
                  '%.2f s, %.2f × (ipset %.2f s)' % (p4['seconds'], p4['seconds'] / ips['seconds'], ips['seconds']),
                  p4['seconds'] <= 1.5 and p4['seconds'] / ips['seconds'] <= 0.5))
    else:
        t.append(('`iocctl feed push` of 1M IPv4 lines → enforced', '≤ 1.5 s and ≤ 0.5 × ipset', missing, None))
    t.append(('the same for %s domains' % (pd['iocs'] if pd else '1M'), '≤ 2 s',
              '%.2f s' % pd['seconds'] if pd else missing, pd['seconds'] <= 2 if pd else None))
    mem = next((r for r in rows if r.get('tool') == 'build_bench' and r.get('set') == '1m'), None)
    t.append(('memory per IPv4 / IPv6 host', '≤ 16 / 32 B',
              '%.1f / %.1f B' % (mem['bytes_per_v4_host'], mem['bytes_per_v6_host']) if mem else missing,
              mem['bytes_per_v4_host'] <= 16 and mem['bytes_per_v6_host'] <= 32 if mem else None))
    w = next((r for r in rows if r.get('figure') == 'workers_2_vs_1'), None)
    t.append(('2 workers vs 1 (RSS queues and the distributor)', 'verdicts identical, stickiness, counters add up',
              '%d checks passed, %d failed' % (w['passed'], w['failed']) if w else missing,
              w['failed'] == 0 and w['passed'] > 0 if w else None))
    print('### Issue 17\n')
    print('| figure | target | this run | met |')
    print('|---|---|---|---|')
    for name, target, v, ok in t:
        print('| %s | %s | %s | %s |' % (name, target, v, '—' if ok is None else 'yes' if ok else '**no**'))


if __name__ == '__main__':
    main()
