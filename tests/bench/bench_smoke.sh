#!/usr/bin/env bash
# tests/bench/bench_smoke.sh — runs each benchmark of bench/ once, tiny and short, and checks
# that it prints its figures (no timing assertions). Args: gen.py forward lookup|none classify build
set -euo pipefail
gen=$1 forward=$2 lookup=$3 classify=$4 build=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "bench smoke: $*" >&2; exit 1; }
field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())[sys.argv[1]])' "$1"; }

/usr/bin/python3 "$gen" --packets 4096 --out "$tmp" >/dev/null || fail "traffic generator failed"

# Hugepages when there are enough free ones, else plain memory (slower, still runs).
free_huge=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_huge:-0}" -ge 256 ]; then mem=(--in-memory); else mem=(--no-huge -m 1024); fi
eal=(-l 0,1 --no-pci --no-telemetry --log-level lib.eal:error "${mem[@]}" --file-prefix "bench-smoke-$$")

out=$("$forward" --pcap "$tmp/traffic.pcap" --hits "$tmp/hits.txt" --set tiny --seconds 1 --warmup 0.2 \
  --flows 4096 --mbufs 16384 -- "${eal[@]}") || fail "forward_bench failed"
pk=$(echo "$out" | field packets)
[ "$pk" -gt 0 ] || fail "forward_bench forwarded no packets: $out"
echo "forward_bench: $(echo "$out" | field mpps) Mpps, $(echo "$out" | field cycles_per_packet) cycles/packet"

out=$("$forward" --pcap "$tmp/traffic.pcap" --hits "$tmp/hits.txt" --set tiny --seconds 1 --warmup 0.2 \
  --flows 4096 --mbufs 16384 --swap --swap-period 0.3 -- "${eal[@]}") || fail "forward_bench --swap failed"
[ "$(echo "$out" | field swaps)" -gt 0 ] || fail "forward_bench --swap made no swap: $out"
echo "forward_bench --swap: $(echo "$out" | field swaps) swaps"

if [ "$lookup" != none ]; then
  out=$("$lookup" --sets=tiny --fib-sets=tiny "--eal=--no-pci --no-telemetry -l 0 ${mem[*]} --file-prefix bench-smoke-l-$$ --log-level lib.eal:error" \
    --benchmark_min_time=0.01 2>&1) || fail "lookup_bench failed: $out"
  n=$(echo "$out" | grep -c 'cyc/lookup=' || true)
  [ "$n" -ge 6 ] || fail "lookup_bench printed $n results: $out"
  echo "lookup_bench: $n results"
fi

out=$("$classify" --pcap "$tmp/traffic.pcap" --hits "$tmp/hits.txt" --set tiny) || fail "classify_callgrind failed"
[ "$(echo "$out" | field allocations_in_measured_pass)" = 0 ] || fail "allocation in the steady-state pass: $out"
echo "classify_callgrind: $(echo "$out" | field packets) packets, no allocation"

out=$("$build" --sets tiny) || fail "build_bench failed"
echo "build_bench: tiny set compiled in $(echo "$out" | field compile_s) s"
